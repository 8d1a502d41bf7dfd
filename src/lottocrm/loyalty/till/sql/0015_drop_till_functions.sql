
DROP FUNCTION IF EXISTS loyalty_till_open, loyalty_till_locked_hold, loyalty_hold_text, loyalty_error_text;
