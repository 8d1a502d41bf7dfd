
DROP FUNCTION IF EXISTS loyalty_till_refund, loyalty_till_void, loyalty_till_capture,
    loyalty_till_locked_hold, loyalty_till_authorize, loyalty_hold_json, loyalty_release,
    loyalty_till_answer, loyalty_till_claim, loyalty_till_partner, loyalty_system_account, loyalty_error,
    loyalty_iso;
