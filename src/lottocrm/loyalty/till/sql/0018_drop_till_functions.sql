-- Back to 0015's functions: the authorize of this revision goes; 0018's downgrade then rebuilds 0015's.
DROP FUNCTION loyalty_till_authorize(text, text, text, text, text, text, bigint, text, timestamptz, timestamptz,
    interval);
