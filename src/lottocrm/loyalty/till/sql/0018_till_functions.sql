-- Migration 0018: what a partner may learn and do (#12 item 7). Read it beside 0015_till_functions.sql.

-- Lock the hold's member account (fixed order: account, then hold) and check the hold is the caller's.
-- o_status 0: go on, and read the hold afresh — only its partner, which never changes, is read here.
CREATE OR REPLACE FUNCTION loyalty_till_locked_hold(p_partner bigint, p_hold_id bigint,
    OUT o_balance bigint, OUT o_status int, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    hold_partner bigint;
BEGIN
    SELECT a.balance, h.partner_id INTO o_balance, hold_partner
    FROM loyalty_holds h JOIN loyalty_accounts a ON a.id = h.account_id
    WHERE h.id = p_hold_id FOR UPDATE OF a;
    -- Another partner's hold is answered as no hold at all: a partner probing ids learns nothing of it.
    IF NOT FOUND OR hold_partner IS DISTINCT FROM p_partner THEN
        o_status := 404;
        o_body := loyalty_error_text('hold_not_found', format('no hold %s', p_hold_id));
    ELSE
        o_status := 0;
    END IF;
END $$;

-- Points are no longer spent by phone: the API refuses a phone before calling (phone_needs_code), so
-- authorize looks members up by card number only and takes no phone.
DROP FUNCTION loyalty_till_authorize(text, text, text, text, text, text, text, bigint, text, timestamptz,
    timestamptz, interval);

CREATE FUNCTION loyalty_till_authorize(p_prefix text, p_digest text, p_key text, p_hash text,
    p_card_number text, p_refusal text, p_points bigint, p_reference text,
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
        SELECT c.id, c.number, c.status, c.max_ops_per_minute, a.id AS account_id, a.balance INTO m
        FROM loyalty_cards c JOIN loyalty_accounts a ON a.id = c.account_id
        WHERE c.number = p_card_number
        ORDER BY c.status, c.id LIMIT 1 FOR UPDATE OF a;
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
