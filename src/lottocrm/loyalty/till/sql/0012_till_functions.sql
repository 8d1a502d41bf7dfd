
CREATE FUNCTION loyalty_iso(ts timestamptz, zulu boolean) RETURNS text LANGUAGE sql STABLE AS $$
    -- Python's datetime.isoformat() of a UTC time (pydantic's JSON when zulu): no fraction when it is zero.
    SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN extract(microseconds FROM ts)::bigint % 1000000 <> 0
                THEN to_char(ts AT TIME ZONE 'UTC', '.US') ELSE '' END
        || CASE WHEN zulu THEN 'Z' ELSE '+00:00' END
$$;

CREATE FUNCTION loyalty_error(code text, message text) RETURNS json LANGUAGE sql IMMUTABLE AS $$
    SELECT json_build_object('error', json_build_object('code', code, 'message', message))
$$;

CREATE FUNCTION loyalty_system_account(p_code text, p_kind text, p_partner bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    found_id bigint;
BEGIN
    SELECT id INTO found_id FROM loyalty_accounts WHERE code = p_code;
    IF found_id IS NULL THEN
        INSERT INTO loyalty_accounts (code, kind, partner_id, created_at)
        VALUES (p_code, p_kind, p_partner, now()) ON CONFLICT (code) DO NOTHING;
        SELECT id INTO found_id FROM loyalty_accounts WHERE code = p_code;
    END IF;
    RETURN found_id;
END $$;

-- The calling partner by its key; o_status 0 when it may go on (401/403 are refused before any claim).
CREATE FUNCTION loyalty_till_partner(p_prefix text, p_digest text, p_needs_redeem boolean,
    OUT o_partner bigint, OUT o_status int, OUT o_body text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r record;
BEGIN
    SELECT p.id, p.code, p.can_redeem, p.active, k.digest INTO r
    FROM loyalty_partner_keys k JOIN loyalty_partners p ON p.id = k.partner_id
    WHERE k.prefix = p_prefix AND k.revoked_at IS NULL;
    IF NOT FOUND OR r.digest <> p_digest THEN
        o_status := 401;
        o_body := loyalty_error('unauthorized', 'unknown or revoked API key');
    ELSIF NOT r.active THEN
        o_status := 403;
        o_body := loyalty_error('partner_not_allowed',
            format('partner %s is suspended from the programme', r.code));
    ELSIF p_needs_redeem AND NOT r.can_redeem THEN
        o_status := 403;
        o_body := loyalty_error('partner_not_allowed', format('partner %s may not accept points', r.code));
    ELSE
        o_partner := r.id;
        o_status := 0;
    END IF;
END $$;

-- Claim the key (o_status 0: it is ours), or the first call's answer, or 409 for another body.
CREATE FUNCTION loyalty_till_claim(p_partner bigint, p_key text, p_hash text, p_now timestamptz,
    OUT o_status int, OUT o_body text, OUT o_replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    o_replayed := false;
    INSERT INTO loyalty_idempotency (partner_id, key, request_hash, status_code, response, created_at)
    VALUES (p_partner, p_key, p_hash, 0, '{}', p_now) ON CONFLICT (partner_id, key) DO NOTHING;
    IF FOUND THEN
        o_status := 0;
        RETURN;
    END IF;
    SELECT i.request_hash, i.status_code, i.response::text AS response INTO r
    FROM loyalty_idempotency i WHERE i.partner_id = p_partner AND i.key = p_key;
    IF r.request_hash <> p_hash THEN
        o_status := 409;
        o_body := loyalty_error('idempotency_conflict',
            format('idempotency key %L was already used for a different request', p_key));
    ELSE
        o_status := r.status_code;
        o_body := r.response;
        o_replayed := true;
    END IF;
END $$;

CREATE FUNCTION loyalty_till_answer(p_partner bigint, p_key text, p_status int, p_body json) RETURNS text
LANGUAGE sql AS $$
    UPDATE loyalty_idempotency SET status_code = p_status, response = p_body
    WHERE partner_id = p_partner AND key = p_key;
    SELECT p_body::text;
$$;

-- Give back p_points of what p_from_operation drew, latest-expiring lots first (void, partial capture).
CREATE FUNCTION loyalty_release(p_account bigint, p_holds bigint, p_from_operation bigint,
    p_operation bigint, p_points bigint, p_now timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    drawn bigint;
BEGIN
    INSERT INTO loyalty_postings (operation_id, debit_account_id, credit_account_id, points, created_at)
    VALUES (p_operation, p_holds, p_account, p_points, p_now);
    UPDATE loyalty_accounts SET balance = balance + p_points WHERE id = p_account;
    SELECT coalesce(sum(points), 0) INTO drawn FROM loyalty_lot_draws WHERE operation_id = p_from_operation;
    IF drawn < p_points THEN
        RAISE EXCEPTION 'operation % drew % points, cannot return %', p_from_operation, drawn, p_points;
    END IF;
    WITH draws AS (
        SELECT d.lot_id, sum(d.points) AS points, l.expires_at
        FROM loyalty_lot_draws d JOIN loyalty_lots l ON l.id = d.lot_id
        WHERE d.operation_id = p_from_operation
        GROUP BY d.lot_id, l.expires_at
    ), ordered AS (
        SELECT lot_id, points,
               sum(points) OVER (ORDER BY expires_at DESC, lot_id DESC) - points AS before
        FROM draws
    ), plan AS (
        SELECT lot_id, least(points, p_points - before) AS give FROM ordered WHERE before < p_points
    ), given AS (
        UPDATE loyalty_lots l SET remaining = l.remaining + plan.give FROM plan WHERE l.id = plan.lot_id
    )
    INSERT INTO loyalty_lot_draws (operation_id, lot_id, points) SELECT p_operation, lot_id, -give FROM plan;
END $$;

CREATE FUNCTION loyalty_hold_json(h loyalty_holds, p_status text, p_captured bigint, p_refunded bigint,
    p_balance bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('hold_id', h.id, 'status', p_status, 'points', h.points,
        'captured_points', p_captured, 'refunded_points', p_refunded,
        'expires_at', loyalty_iso(h.expires_at, true), 'balance', p_balance)
$$;

CREATE FUNCTION loyalty_till_authorize(p_prefix text, p_digest text, p_key text, p_hash text,
    p_card_number text, p_phone text, p_refusal text, p_points bigint, p_reference text,
    p_now timestamptz, p_expires_at timestamptz, p_window interval,
    OUT o_status int, OUT o_body text, OUT o_replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_partner bigint;
    m record;
    v_recent int;
    v_available bigint;
    v_operation bigint;
    v_hold loyalty_holds;
BEGIN
    o_replayed := false;
    SELECT a.o_partner, a.o_status, a.o_body INTO v_partner, o_status, o_body
    FROM loyalty_till_partner(p_prefix, p_digest, true) a;
    IF o_status <> 0 THEN RETURN; END IF;
    SELECT c.o_status, c.o_body, c.o_replayed INTO o_status, o_body, o_replayed
    FROM loyalty_till_claim(v_partner, p_key, p_hash, p_now) c;
    IF o_status <> 0 THEN RETURN; END IF;

    IF p_refusal IS NOT NULL THEN
        o_status := 404;
        o_body := loyalty_till_answer(v_partner, p_key, o_status, loyalty_error('unknown_card', p_refusal));
        RETURN;
    END IF;
    -- The member's account row is the lock for its balance, lots and holds.
    IF p_card_number IS NOT NULL THEN
        SELECT c.id, c.number, c.status, c.max_ops_per_minute, a.id AS account_id, a.balance INTO m
        FROM loyalty_cards c JOIN loyalty_accounts a ON a.id = c.account_id
        WHERE c.number = p_card_number
        ORDER BY c.status, c.id LIMIT 1 FOR UPDATE OF a;
    ELSE
        SELECT c.id, c.number, c.status, c.max_ops_per_minute, a.id AS account_id, a.balance INTO m
        FROM loyalty_cards c JOIN loyalty_accounts a ON a.id = c.account_id
        WHERE a.player_id IN (
            SELECT player_id FROM player_identities WHERE kind = 'phone' AND value = p_phone)
        ORDER BY c.status, c.id LIMIT 1 FOR UPDATE OF a;
    END IF;
    IF NOT FOUND THEN
        o_status := 404;
        o_body := loyalty_till_answer(v_partner, p_key, o_status,
            loyalty_error('unknown_card', 'no loyalty card matches'));
        RETURN;
    END IF;
    IF m.status = 'blocked' THEN
        o_status := 403;
        o_body := loyalty_till_answer(v_partner, p_key, o_status,
            loyalty_error('blocked_card', format('card %s is blocked', m.number)));
        RETURN;
    END IF;
    -- Counted under the account lock, and no further than the limit: a busy card costs no more to check.
    SELECT count(*) INTO v_recent FROM (
        SELECT 1 FROM loyalty_operations
        WHERE card_id = m.id AND created_at > p_now - p_window AND kind IN ('earn', 'authorize')
        LIMIT m.max_ops_per_minute
    ) calls;
    IF v_recent >= m.max_ops_per_minute THEN
        -- Not remembered: "try again later" must stay possible with the same key.
        DELETE FROM loyalty_idempotency WHERE partner_id = v_partner AND key = p_key;
        o_status := 429;
        o_body := loyalty_error('velocity_limit', format(
            'card %s made %s till calls in the last minute (limit %s); try again later',
            m.number, v_recent, m.max_ops_per_minute));
        RETURN;
    END IF;
    SELECT coalesce(sum(remaining), 0) INTO v_available FROM loyalty_lots
    WHERE account_id = m.account_id AND remaining > 0 AND expires_at > p_now;
    IF v_available < p_points THEN
        o_status := 409;
        o_body := loyalty_till_answer(v_partner, p_key, o_status, loyalty_error('insufficient_points',
            format('%s points asked, %s available', p_points, v_available)));
        RETURN;
    END IF;

    INSERT INTO loyalty_operations (kind, account_id, partner_id, card_id, points, reference, created_at)
    VALUES ('authorize', m.account_id, v_partner, m.id, p_points, p_reference, p_now)
    RETURNING id INTO v_operation;
    -- Soonest-expiring lots first: each lot gives what is still wanted after the lots before it.
    WITH live AS (
        SELECT id, remaining, sum(remaining) OVER (ORDER BY expires_at, id) - remaining AS before
        FROM loyalty_lots WHERE account_id = m.account_id AND remaining > 0 AND expires_at > p_now
    ), plan AS (
        SELECT id, least(remaining, p_points - before) AS take FROM live WHERE before < p_points
    ), taken AS (
        UPDATE loyalty_lots l SET remaining = l.remaining - plan.take FROM plan WHERE l.id = plan.id
    )
    INSERT INTO loyalty_lot_draws (operation_id, lot_id, points) SELECT v_operation, id, take FROM plan;
    INSERT INTO loyalty_postings (operation_id, debit_account_id, credit_account_id, points, created_at)
    VALUES (v_operation, m.account_id, loyalty_system_account('holds', 'holds', NULL), p_points, p_now);
    UPDATE loyalty_accounts SET balance = balance - p_points WHERE id = m.account_id;
    INSERT INTO loyalty_holds (account_id, partner_id, authorize_operation_id, points, captured_points,
        refunded_points, status, expires_at, created_at)
    VALUES (m.account_id, v_partner, v_operation, p_points, 0, 0, 'authorized', p_expires_at, p_now)
    RETURNING * INTO v_hold;
    o_status := 200;
    o_body := loyalty_till_answer(v_partner, p_key, 200,
        loyalty_hold_json(v_hold, 'authorized', 0, 0, m.balance - p_points));
END $$;

-- Lock the hold's member, then read the hold (fixed order: account -> hold). o_status 0: go on.
CREATE FUNCTION loyalty_till_locked_hold(p_partner bigint, p_key text, p_hold_id bigint,
    OUT o_balance bigint, OUT o_status int, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    hold_partner bigint;
BEGIN
    SELECT a.balance INTO o_balance FROM loyalty_accounts a
    WHERE a.id = (SELECT account_id FROM loyalty_holds WHERE id = p_hold_id) FOR UPDATE;
    IF NOT FOUND THEN
        o_status := 404;
        o_body := loyalty_till_answer(p_partner, p_key, o_status,
            loyalty_error('hold_not_found', format('no hold %s', p_hold_id)));
        RETURN;
    END IF;
    SELECT partner_id INTO hold_partner FROM loyalty_holds WHERE id = p_hold_id;
    IF hold_partner IS DISTINCT FROM p_partner THEN
        o_status := 403;
        o_body := loyalty_till_answer(p_partner, p_key, o_status, loyalty_error('partner_not_allowed',
            format('hold %s was authorized by another partner', p_hold_id)));
        RETURN;
    END IF;
    o_status := 0;
END $$;

CREATE FUNCTION loyalty_till_capture(p_prefix text, p_digest text, p_key text, p_hash text,
    p_hold_id bigint, p_points bigint, p_now timestamptz,
    OUT o_status int, OUT o_body text, OUT o_replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_partner bigint;
    v_hold loyalty_holds;
    v_balance bigint;
    v_points bigint;
    v_refusal json;
    v_operation bigint;
    v_holds bigint;
BEGIN
    o_replayed := false;
    SELECT a.o_partner, a.o_status, a.o_body INTO v_partner, o_status, o_body
    FROM loyalty_till_partner(p_prefix, p_digest, false) a;
    IF o_status <> 0 THEN RETURN; END IF;
    SELECT c.o_status, c.o_body, c.o_replayed INTO o_status, o_body, o_replayed
    FROM loyalty_till_claim(v_partner, p_key, p_hash, p_now) c;
    IF o_status <> 0 THEN RETURN; END IF;
    SELECT l.o_balance, l.o_status, l.o_body INTO v_balance, o_status, o_body
    FROM loyalty_till_locked_hold(v_partner, p_key, p_hold_id) l;
    IF o_status <> 0 THEN RETURN; END IF;
    SELECT * INTO v_hold FROM loyalty_holds WHERE id = p_hold_id;

    v_points := coalesce(p_points, v_hold.points);
    IF v_points <= 0 THEN
        o_status := 422;
        v_refusal := loyalty_error('invalid_amount',
            format('a capture must be a positive number of points, got %s', v_points));
    ELSIF v_hold.status <> 'authorized' THEN
        o_status := 409;
        v_refusal := loyalty_error('hold_not_open',
            format('hold %s is already %s', v_hold.id, v_hold.status));
    ELSIF v_hold.expires_at <= p_now THEN
        o_status := 409;
        v_refusal := loyalty_error('hold_expired', format('hold %s expired at %s; authorize again',
            v_hold.id, loyalty_iso(v_hold.expires_at, false)));
    ELSIF v_points > v_hold.points THEN
        o_status := 422;
        v_refusal := loyalty_error('amount_above_hold',
            format('capture of %s points is above the hold''s %s', v_points, v_hold.points));
    END IF;
    IF v_refusal IS NOT NULL THEN
        o_body := loyalty_till_answer(v_partner, p_key, o_status, v_refusal);
        RETURN;
    END IF;

    v_holds := loyalty_system_account('holds', 'holds', NULL);
    INSERT INTO loyalty_operations (kind, account_id, partner_id, hold_id, points, created_at)
    VALUES ('capture', v_hold.account_id, v_partner, v_hold.id, v_points, p_now)
    RETURNING id INTO v_operation;
    INSERT INTO loyalty_postings (operation_id, debit_account_id, credit_account_id, points, created_at)
    VALUES (v_operation, v_holds,
        loyalty_system_account(format('partner:%s:redeemed', v_partner), 'partner_redeemed', v_partner),
        v_points, p_now);
    IF v_points < v_hold.points THEN
        PERFORM loyalty_release(v_hold.account_id, v_holds, v_hold.authorize_operation_id, v_operation,
            v_hold.points - v_points, p_now);
    END IF;
    UPDATE loyalty_holds SET status = 'captured', captured_points = v_points, closed_at = p_now
    WHERE id = v_hold.id;
    o_status := 200;
    o_body := loyalty_till_answer(v_partner, p_key, 200, loyalty_hold_json(v_hold, 'captured', v_points,
        v_hold.refunded_points, v_balance + v_hold.points - v_points));
END $$;

CREATE FUNCTION loyalty_till_void(p_prefix text, p_digest text, p_key text, p_hash text,
    p_hold_id bigint, p_now timestamptz,
    OUT o_status int, OUT o_body text, OUT o_replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_partner bigint;
    v_hold loyalty_holds;
    v_balance bigint;
    v_operation bigint;
BEGIN
    o_replayed := false;
    SELECT a.o_partner, a.o_status, a.o_body INTO v_partner, o_status, o_body
    FROM loyalty_till_partner(p_prefix, p_digest, false) a;
    IF o_status <> 0 THEN RETURN; END IF;
    SELECT c.o_status, c.o_body, c.o_replayed INTO o_status, o_body, o_replayed
    FROM loyalty_till_claim(v_partner, p_key, p_hash, p_now) c;
    IF o_status <> 0 THEN RETURN; END IF;
    SELECT l.o_balance, l.o_status, l.o_body INTO v_balance, o_status, o_body
    FROM loyalty_till_locked_hold(v_partner, p_key, p_hold_id) l;
    IF o_status <> 0 THEN RETURN; END IF;
    SELECT * INTO v_hold FROM loyalty_holds WHERE id = p_hold_id;

    -- An expired hold may still be voided: expiry itself does so.
    IF v_hold.status <> 'authorized' THEN
        o_status := 409;
        o_body := loyalty_till_answer(v_partner, p_key, o_status,
            loyalty_error('hold_not_open', format('hold %s is already %s', v_hold.id, v_hold.status)));
        RETURN;
    END IF;
    INSERT INTO loyalty_operations (kind, account_id, partner_id, hold_id, points, created_at)
    VALUES ('void', v_hold.account_id, v_partner, v_hold.id, v_hold.points, p_now)
    RETURNING id INTO v_operation;
    PERFORM loyalty_release(v_hold.account_id, loyalty_system_account('holds', 'holds', NULL),
        v_hold.authorize_operation_id, v_operation, v_hold.points, p_now);
    UPDATE loyalty_holds SET status = 'voided', closed_at = p_now WHERE id = v_hold.id;
    o_status := 200;
    o_body := loyalty_till_answer(v_partner, p_key, 200, loyalty_hold_json(v_hold, 'voided',
        v_hold.captured_points, v_hold.refunded_points, v_balance + v_hold.points));
END $$;

CREATE FUNCTION loyalty_till_refund(p_prefix text, p_digest text, p_key text, p_hash text,
    p_hold_id bigint, p_points bigint, p_now timestamptz, p_min_lifetime interval,
    OUT o_status int, OUT o_body text, OUT o_replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_partner bigint;
    v_hold loyalty_holds;
    v_balance bigint;
    v_operation bigint;
    v_latest timestamptz;
BEGIN
    o_replayed := false;
    SELECT a.o_partner, a.o_status, a.o_body INTO v_partner, o_status, o_body
    FROM loyalty_till_partner(p_prefix, p_digest, false) a;
    IF o_status <> 0 THEN RETURN; END IF;
    SELECT c.o_status, c.o_body, c.o_replayed INTO o_status, o_body, o_replayed
    FROM loyalty_till_claim(v_partner, p_key, p_hash, p_now) c;
    IF o_status <> 0 THEN RETURN; END IF;
    SELECT l.o_balance, l.o_status, l.o_body INTO v_balance, o_status, o_body
    FROM loyalty_till_locked_hold(v_partner, p_key, p_hold_id) l;
    IF o_status <> 0 THEN RETURN; END IF;
    SELECT * INTO v_hold FROM loyalty_holds WHERE id = p_hold_id;

    IF v_hold.status <> 'captured' THEN
        o_status := 409;
        o_body := loyalty_till_answer(v_partner, p_key, o_status, loyalty_error('hold_not_open',
            format('hold %s is %s; only a captured redemption can be refunded', v_hold.id, v_hold.status)));
        RETURN;
    END IF;
    IF p_points > v_hold.captured_points - v_hold.refunded_points THEN
        o_status := 422;
        o_body := loyalty_till_answer(v_partner, p_key, o_status, loyalty_error('refund_above_capture',
            format('refund of %s points is above the %s captured and not yet refunded',
                p_points, v_hold.captured_points - v_hold.refunded_points)));
        RETURN;
    END IF;
    INSERT INTO loyalty_operations (kind, account_id, partner_id, hold_id, points, created_at)
    VALUES ('refund', v_hold.account_id, v_partner, v_hold.id, p_points, p_now) RETURNING id INTO v_operation;
    INSERT INTO loyalty_postings (operation_id, debit_account_id, credit_account_id, points, created_at)
    VALUES (v_operation,
        loyalty_system_account(format('partner:%s:redeemed', v_partner), 'partner_redeemed', v_partner),
        v_hold.account_id, p_points, p_now);
    UPDATE loyalty_accounts SET balance = balance + p_points WHERE id = v_hold.account_id;
    -- A fresh lot, as long-lived as the longest-lived lot drawn, but at least p_min_lifetime.
    SELECT max(l.expires_at) INTO v_latest FROM loyalty_lots l
    JOIN loyalty_lot_draws d ON d.lot_id = l.id WHERE d.operation_id = v_hold.authorize_operation_id;
    INSERT INTO loyalty_lots (account_id, operation_id, points, remaining, expires_at, created_at)
    VALUES (v_hold.account_id, v_operation, p_points, p_points,
        greatest(coalesce(v_latest, p_now), p_now + p_min_lifetime), p_now);
    UPDATE loyalty_holds SET refunded_points = refunded_points + p_points WHERE id = v_hold.id;
    o_status := 200;
    o_body := loyalty_till_answer(v_partner, p_key, 200, loyalty_hold_json(v_hold, v_hold.status,
        v_hold.captured_points, v_hold.refunded_points + p_points, v_balance + p_points));
END $$;
