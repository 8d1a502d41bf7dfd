
DROP FUNCTION loyalty_till_claim(bigint, text, text, timestamptz);
DROP FUNCTION loyalty_till_answer(bigint, text, integer, json);
DROP FUNCTION loyalty_till_partner(text, text, boolean);
DROP FUNCTION loyalty_till_locked_hold(bigint, text, bigint);
DROP FUNCTION loyalty_hold_json(loyalty_holds, text, bigint, bigint, bigint);
DROP FUNCTION loyalty_error(text, text);

-- SQL functions simple enough for the planner to inline into the plan PL/pgSQL caches (STABLE like
-- to_json, or they would not be inlined and would be parsed and planned at every call).
CREATE FUNCTION loyalty_error_text(code text, message text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT '{"error":{"code":' || to_json(code)::text || ',"message":' || to_json(message)::text || '}}'
$$;

CREATE FUNCTION loyalty_hold_text(h loyalty_holds, p_status text, p_captured bigint, p_refunded bigint,
    p_balance bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('{"hold_id":%s,"status":%s,"points":%s,"captured_points":%s,"refunded_points":%s,'
        '"expires_at":"%s","balance":%s}', h.id, to_json(p_status)::text, h.points, p_captured, p_refunded,
        loyalty_iso(h.expires_at, true), p_balance)
$$;

-- The calling partner by its key, then the key's earlier answer. o_status 0: a new call it may make.
-- 401 and 403 are not stored: the key belongs to no partner yet.
CREATE FUNCTION loyalty_till_open(p_prefix text, p_digest text, p_needs_redeem boolean, p_key text,
    p_hash text, OUT o_partner bigint, OUT o_status int, OUT o_body text, OUT o_replayed boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r record;
BEGIN
    o_replayed := false;
    SELECT p.id, p.code, p.can_redeem, p.active, k.digest INTO r
    FROM loyalty_partner_keys k JOIN loyalty_partners p ON p.id = k.partner_id
    WHERE k.prefix = p_prefix AND k.revoked_at IS NULL;
    IF NOT FOUND OR r.digest <> p_digest THEN
        o_status := 401;
        o_body := loyalty_error_text('unauthorized', 'unknown or revoked API key');
        RETURN;
    ELSIF NOT r.active THEN
        o_status := 403;
        o_body := loyalty_error_text('partner_not_allowed',
            format('partner %s is suspended from the programme', r.code));
        RETURN;
    ELSIF p_needs_redeem AND NOT r.can_redeem THEN
        o_status := 403;
        o_body := loyalty_error_text('partner_not_allowed',
            format('partner %s may not accept points', r.code));
        RETURN;
    END IF;
    o_partner := r.id;
    SELECT i.request_hash, i.status_code, i.response::text AS response INTO r
    FROM loyalty_idempotency i WHERE i.partner_id = o_partner AND i.key = p_key;
    IF NOT FOUND THEN
        o_status := 0;
    ELSIF r.request_hash <> p_hash THEN
        o_status := 409;
        o_body := loyalty_error_text('idempotency_conflict',
            format('idempotency key %L was already used for a different request', p_key));
    ELSE
        o_status := r.status_code;
        o_body := r.response;
        o_replayed := true;
    END IF;
END $$;

-- Lock the hold's member account (fixed order: account, then hold) and check the hold is the caller's.
-- o_status 0: go on, and read the hold afresh — only its partner, which never changes, is read here.
CREATE FUNCTION loyalty_till_locked_hold(p_partner bigint, p_hold_id bigint,
    OUT o_balance bigint, OUT o_status int, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    hold_partner bigint;
BEGIN
    SELECT a.balance, h.partner_id INTO o_balance, hold_partner
    FROM loyalty_holds h JOIN loyalty_accounts a ON a.id = h.account_id
    WHERE h.id = p_hold_id FOR UPDATE OF a;
    IF NOT FOUND THEN
        o_status := 404;
        o_body := loyalty_error_text('hold_not_found', format('no hold %s', p_hold_id));
    ELSIF hold_partner IS DISTINCT FROM p_partner THEN
        o_status := 403;
        o_body := loyalty_error_text('partner_not_allowed',
            format('hold %s was authorized by another partner', p_hold_id));
    ELSE
        o_status := 0;
    END IF;
END $$;

-- Each call below decides its answer inside the block labelled "call" (a refusal leaves it early, before
-- any write) and stores it under the key after the block.

CREATE OR REPLACE FUNCTION loyalty_till_authorize(p_prefix text, p_digest text, p_key text, p_hash text,
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
    SELECT o.o_partner, o.o_status, o.o_body, o.o_replayed INTO v_partner, o_status, o_body, o_replayed
    FROM loyalty_till_open(p_prefix, p_digest, true, p_key, p_hash) o;
    IF o_status <> 0 THEN RETURN; END IF;
    <<call>>
    BEGIN
        IF p_refusal IS NOT NULL THEN
            o_status := 404;
            o_body := loyalty_error_text('unknown_card', p_refusal);
            EXIT call;
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
            o_body := loyalty_error_text('unknown_card', 'no loyalty card matches');
            EXIT call;
        END IF;
        IF m.status = 'blocked' THEN
            o_status := 403;
            o_body := loyalty_error_text('blocked_card', format('card %s is blocked', m.number));
            EXIT call;
        END IF;
        -- Counted under the account lock, and no further than the limit: a busy card costs no more.
        SELECT count(*) INTO v_recent FROM (
            SELECT 1 FROM loyalty_operations
            WHERE card_id = m.id AND created_at > p_now - p_window AND kind IN ('earn', 'authorize')
            LIMIT m.max_ops_per_minute
        ) calls;
        IF v_recent >= m.max_ops_per_minute THEN
            -- Not stored: "try again later" must stay possible with the same key.
            o_status := 429;
            o_body := loyalty_error_text('velocity_limit', format(
                'card %s reached its limit of %s till calls a minute; try again later',
                m.number, m.max_ops_per_minute));
            RETURN;
        END IF;
        SELECT coalesce(sum(remaining), 0) INTO v_available FROM loyalty_lots
        WHERE account_id = m.account_id AND remaining > 0 AND expires_at > p_now;
        IF v_available < p_points THEN
            o_status := 409;
            o_body := loyalty_error_text('insufficient_points',
                format('%s points asked, %s available', p_points, v_available));
            EXIT call;
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
        o_body := loyalty_hold_text(v_hold, 'authorized', 0, 0, m.balance - p_points);
    END call;
    INSERT INTO loyalty_idempotency (partner_id, key, request_hash, status_code, response, created_at)
    VALUES (v_partner, p_key, p_hash, o_status, o_body::json, p_now);
END $$;

CREATE OR REPLACE FUNCTION loyalty_till_capture(p_prefix text, p_digest text, p_key text, p_hash text,
    p_hold_id bigint, p_points bigint, p_now timestamptz,
    OUT o_status int, OUT o_body text, OUT o_replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_partner bigint;
    v_hold loyalty_holds;
    v_balance bigint;
    v_points bigint;
    v_operation bigint;
    v_holds bigint;
BEGIN
    SELECT o.o_partner, o.o_status, o.o_body, o.o_replayed INTO v_partner, o_status, o_body, o_replayed
    FROM loyalty_till_open(p_prefix, p_digest, false, p_key, p_hash) o;
    IF o_status <> 0 THEN RETURN; END IF;
    <<call>>
    BEGIN
        SELECT l.o_balance, l.o_status, l.o_body INTO v_balance, o_status, o_body
        FROM loyalty_till_locked_hold(v_partner, p_hold_id) l;
        IF o_status <> 0 THEN EXIT call; END IF;
        SELECT * INTO v_hold FROM loyalty_holds WHERE id = p_hold_id;

        v_points := coalesce(p_points, v_hold.points);
        IF v_points <= 0 THEN
            o_status := 422;
            o_body := loyalty_error_text('invalid_amount',
                format('a capture must be a positive number of points, got %s', v_points));
        ELSIF v_hold.status <> 'authorized' THEN
            o_status := 409;
            o_body := loyalty_error_text('hold_not_open',
                format('hold %s is already %s', v_hold.id, v_hold.status));
        ELSIF v_hold.expires_at <= p_now THEN
            o_status := 409;
            o_body := loyalty_error_text('hold_expired', format('hold %s expired at %s; authorize again',
                v_hold.id, loyalty_iso(v_hold.expires_at, false)));
        ELSIF v_points > v_hold.points THEN
            o_status := 422;
            o_body := loyalty_error_text('amount_above_hold',
                format('capture of %s points is above the hold''s %s', v_points, v_hold.points));
        END IF;
        IF o_body IS NOT NULL THEN EXIT call; END IF;

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
        o_body := loyalty_hold_text(v_hold, 'captured', v_points, v_hold.refunded_points,
            v_balance + v_hold.points - v_points);
    END call;
    INSERT INTO loyalty_idempotency (partner_id, key, request_hash, status_code, response, created_at)
    VALUES (v_partner, p_key, p_hash, o_status, o_body::json, p_now);
END $$;

CREATE OR REPLACE FUNCTION loyalty_till_void(p_prefix text, p_digest text, p_key text, p_hash text,
    p_hold_id bigint, p_now timestamptz,
    OUT o_status int, OUT o_body text, OUT o_replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_partner bigint;
    v_hold loyalty_holds;
    v_balance bigint;
    v_operation bigint;
BEGIN
    SELECT o.o_partner, o.o_status, o.o_body, o.o_replayed INTO v_partner, o_status, o_body, o_replayed
    FROM loyalty_till_open(p_prefix, p_digest, false, p_key, p_hash) o;
    IF o_status <> 0 THEN RETURN; END IF;
    <<call>>
    BEGIN
        SELECT l.o_balance, l.o_status, l.o_body INTO v_balance, o_status, o_body
        FROM loyalty_till_locked_hold(v_partner, p_hold_id) l;
        IF o_status <> 0 THEN EXIT call; END IF;
        SELECT * INTO v_hold FROM loyalty_holds WHERE id = p_hold_id;

        -- An expired hold may still be voided: expiry itself does so.
        IF v_hold.status <> 'authorized' THEN
            o_status := 409;
            o_body := loyalty_error_text('hold_not_open',
                format('hold %s is already %s', v_hold.id, v_hold.status));
            EXIT call;
        END IF;
        INSERT INTO loyalty_operations (kind, account_id, partner_id, hold_id, points, created_at)
        VALUES ('void', v_hold.account_id, v_partner, v_hold.id, v_hold.points, p_now)
        RETURNING id INTO v_operation;
        PERFORM loyalty_release(v_hold.account_id, loyalty_system_account('holds', 'holds', NULL),
            v_hold.authorize_operation_id, v_operation, v_hold.points, p_now);
        UPDATE loyalty_holds SET status = 'voided', closed_at = p_now WHERE id = v_hold.id;
        o_status := 200;
        o_body := loyalty_hold_text(v_hold, 'voided', v_hold.captured_points, v_hold.refunded_points,
            v_balance + v_hold.points);
    END call;
    INSERT INTO loyalty_idempotency (partner_id, key, request_hash, status_code, response, created_at)
    VALUES (v_partner, p_key, p_hash, o_status, o_body::json, p_now);
END $$;

CREATE OR REPLACE FUNCTION loyalty_till_refund(p_prefix text, p_digest text, p_key text, p_hash text,
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
    SELECT o.o_partner, o.o_status, o.o_body, o.o_replayed INTO v_partner, o_status, o_body, o_replayed
    FROM loyalty_till_open(p_prefix, p_digest, false, p_key, p_hash) o;
    IF o_status <> 0 THEN RETURN; END IF;
    <<call>>
    BEGIN
        SELECT l.o_balance, l.o_status, l.o_body INTO v_balance, o_status, o_body
        FROM loyalty_till_locked_hold(v_partner, p_hold_id) l;
        IF o_status <> 0 THEN EXIT call; END IF;
        SELECT * INTO v_hold FROM loyalty_holds WHERE id = p_hold_id;

        IF v_hold.status <> 'captured' THEN
            o_status := 409;
            o_body := loyalty_error_text('hold_not_open', format(
                'hold %s is %s; only a captured redemption can be refunded', v_hold.id, v_hold.status));
            EXIT call;
        END IF;
        IF p_points > v_hold.captured_points - v_hold.refunded_points THEN
            o_status := 422;
            o_body := loyalty_error_text('refund_above_capture',
                format('refund of %s points is above the %s captured and not yet refunded',
                    p_points, v_hold.captured_points - v_hold.refunded_points));
            EXIT call;
        END IF;
        INSERT INTO loyalty_operations (kind, account_id, partner_id, hold_id, points, created_at)
        VALUES ('refund', v_hold.account_id, v_partner, v_hold.id, p_points, p_now)
        RETURNING id INTO v_operation;
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
        o_body := loyalty_hold_text(v_hold, v_hold.status, v_hold.captured_points,
            v_hold.refunded_points + p_points, v_balance + p_points);
    END call;
    INSERT INTO loyalty_idempotency (partner_id, key, request_hash, status_code, response, created_at)
    VALUES (v_partner, p_key, p_hash, o_status, o_body::json, p_now);
END $$;
