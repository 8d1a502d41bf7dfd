"""Every simulated fact points at rows that exist, and player data is well-formed."""

from __future__ import annotations

import re

import phonenumbers
import pyarrow.compute as pc

from conftest import SimulatedOperator


def _with_catalogue(operator: SimulatedOperator):  # type: ignore[no-untyped-def]
    con = operator.facts()
    for name in ("players", "games", "points_of_sale", "player_identities", "consent_events"):
        con.register(f"db_{name}", operator.db_table(name))
    con.register("db_draws", operator.db_table("draws", "id", "game_id", "draw_at", "status"))
    return con


def test_every_ticket_points_at_existing_player_game_draw_and_outlet(operator: SimulatedOperator) -> None:
    con = _with_catalogue(operator)
    problems = con.execute(
        """
        SELECT
          count(*) FILTER (WHERE t.player_id IS NOT NULL AND p.id IS NULL) AS unknown_player,
          count(*) FILTER (WHERE g.id IS NULL) AS unknown_game,
          count(*) FILTER (WHERE g.kind = 'draw' AND d.id IS NULL) AS draw_game_without_draw,
          count(*) FILTER (WHERE g.kind = 'instant' AND t.draw_id IS NOT NULL) AS instant_with_draw,
          count(*) FILTER (WHERE d.id IS NOT NULL AND d.game_id <> t.game_id) AS draw_of_other_game,
          count(*) FILTER (WHERE d.id IS NOT NULL AND t.sold_at >= CAST(d.draw_at AS TIMESTAMPTZ))
            AS sold_after_draw,
          count(*) FILTER (WHERE s.id IS NULL OR s.channel <> t.channel) AS bad_outlet,
          count(*) FILTER (WHERE s.region IS NOT NULL AND s.region <> t.region) AS outlet_elsewhere,
          count(*) FILTER (WHERE t.price_kopecks <> g.ticket_price_kopecks) AS wrong_price,
          count(*) FILTER (WHERE p.id IS NOT NULL AND t.sold_at <= CAST(p.registered_at AS TIMESTAMPTZ))
            AS before_signup,
          count(*) FILTER (WHERE p.under_age) AS sold_to_minor,
          count(*) FILTER (WHERE t.sold_at >= TIMESTAMPTZ '2025-03-01 00:00:00+00') AS in_future
        FROM tickets t
        LEFT JOIN db_players p ON p.id = t.player_id
        LEFT JOIN db_games g ON g.id = t.game_id
        LEFT JOIN db_draws d ON d.id = t.draw_id
        LEFT JOIN db_points_of_sale s ON s.id = t.pos_id
        """
    ).fetchone()
    assert problems == (0,) * 12


def test_ticket_ids_are_unique_and_wins_belong_to_settled_tickets(operator: SimulatedOperator) -> None:
    con = _with_catalogue(operator)
    assert con.execute("SELECT count(*) - count(DISTINCT ticket_id) FROM tickets").fetchone()[0] == 0
    problems = con.execute(
        """
        SELECT count(*) FILTER (WHERE t.ticket_id IS NULL),
               count(*) FILTER (WHERE w.amount_kopecks <= 0),
               count(*) FILTER (WHERE w.won_at < t.sold_at),
               count(*) FILTER (WHERE d.id IS NOT NULL AND d.status <> 'drawn'),
               count(*) FILTER (WHERE w.claimed <> (w.claimed_at IS NOT NULL)),
               count(*) FILTER (WHERE w.player_id IS DISTINCT FROM t.player_id),
               count(*)
        FROM wins w LEFT JOIN tickets t USING (ticket_id) LEFT JOIN db_draws d ON d.id = w.draw_id
        """
    ).fetchone()
    assert problems[:6] == (0,) * 6
    assert problems[6] > 1_000


def test_identities_are_unique_and_valid(operator: SimulatedOperator) -> None:
    identities = operator.db_table("player_identities")
    pairs = list(zip(identities["kind"].to_pylist(), identities["value"].to_pylist(), strict=True))
    assert len(pairs) == len(set(pairs))
    by_kind: dict[str, list[str]] = {}
    for kind, value in pairs:
        by_kind.setdefault(kind, []).append(value)
    for phone in by_kind["phone"]:
        parsed = phonenumbers.parse(phone, "RU")
        assert phonenumbers.is_valid_number(parsed), phone
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == phone
    email = re.compile(r"^[a-z0-9._]+@[a-z0-9.-]+\.[a-z]{2,}$")
    assert all(email.match(address) for address in by_kind["email"])
    assert all(re.fullmatch(r"7800\d{12}", card) for card in by_kind["card"])
    assert all(
        re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", d)
        for d in by_kind["device"]
    )
    players = operator.db_table("players")
    assert len(by_kind["phone"]) == players.num_rows  # everyone registers with a phone


def test_players_have_cyrillic_names_and_flags_that_agree(operator: SimulatedOperator) -> None:
    # Names are checked on first registrations: a planted duplicate may type its name in Latin letters
    # (simulator/duplicates.py; tests/simulator/test_duplicates.py).
    con = _with_catalogue(operator)
    row = con.execute(
        """
        WITH p AS (SELECT db_players.*, t.person_id = t.player_id AS first_registration
                   FROM db_players JOIN truth t ON t.player_id = db_players.id)
        SELECT count(*) FILTER (WHERE first_registration AND
                 NOT regexp_full_match(last_name || first_name || middle_name, '[А-Яа-яЁё-]+')),
               count(*) FILTER (WHERE first_registration AND gender = 'F' AND NOT (middle_name LIKE '%на')),
               count(*) FILTER (WHERE first_registration AND gender = 'M' AND NOT (middle_name LIKE '%ич')),
               count(*) FILTER (WHERE under_age AND age_verified),
               count(*) FILTER (WHERE under_age AND birth_date + INTERVAL 18 YEAR <= registered_at::DATE),
               count(*) FILTER (WHERE NOT under_age AND birth_date + INTERVAL 18 YEAR > registered_at::DATE),
               count(*) FILTER (WHERE under_age), count(*) FILTER (WHERE NOT age_verified AND NOT under_age),
               count(DISTINCT region)
        FROM p
        """
    ).fetchone()
    assert row[:6] == (0,) * 6
    assert row[6] > 0 and row[7] > 0  # some minors, some adults not yet verified
    assert row[8] >= 20


def test_consent_history_is_well_formed(operator: SimulatedOperator) -> None:
    con = _with_catalogue(operator)
    problems = con.execute(
        """
        WITH ordered AS (
            SELECT c.*, p.registered_at,
                   row_number() OVER w AS n, lag(granted) OVER w AS previous
            FROM db_consent_events c JOIN db_players p ON p.id = c.player_id
            WINDOW w AS (PARTITION BY c.player_id, c.purpose, c.channel ORDER BY c.occurred_at, c.id)
        )
        SELECT count(*) FILTER (WHERE n = 1 AND occurred_at <> registered_at),
               count(*) FILTER (WHERE occurred_at < registered_at OR occurred_at >= TIMESTAMP '2025-03-01'),
               count(*) FILTER (WHERE n > 1 AND granted = previous),
               count(*) FILTER (WHERE purpose = 'personal_data' AND (NOT granted OR n > 1)),
               count(*) FILTER (WHERE n > 1 AND granted), count(*) FILTER (WHERE n > 1 AND NOT granted)
        FROM ordered
        """
    ).fetchone()
    assert problems[:4] == (0,) * 4
    assert problems[4] > 0 and problems[5] > 0  # late opt-ins and withdrawals both happen
    one_personal = con.execute(
        "SELECT count(DISTINCT player_id) = (SELECT count(*) FROM db_players) FROM db_consent_events "
        "WHERE purpose = 'personal_data'"
    ).fetchone()[0]
    assert one_personal
    offered_without_means = con.execute(
        """
        SELECT count(*) FROM db_consent_events c
        WHERE (c.channel = 'email' AND c.purpose = 'advertising' AND NOT EXISTS (
                 SELECT 1 FROM db_player_identities i WHERE i.player_id = c.player_id AND i.kind = 'email'))
           OR (c.channel = 'push' AND c.purpose = 'advertising' AND NOT EXISTS (
                 SELECT 1 FROM db_player_identities i WHERE i.player_id = c.player_id AND i.kind = 'device'))
        """
    ).fetchone()[0]
    assert offered_without_means == 0


def test_advertising_opt_in_rates_are_realistic(operator: SimulatedOperator) -> None:
    consents = operator.db_table("consent_events")
    first_sms = consents.filter(
        pc.and_(pc.equal(consents["channel"], "sms"), pc.equal(consents["purpose"], "advertising"))
    )
    rate = pc.mean(pc.cast(first_sms["granted"], "int8")).as_py()
    assert 0.25 < rate < 0.55
