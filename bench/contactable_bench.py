"""How long the contact policy's set-based selection takes for a large population, per dialect.

Loads N players with realistic consent histories and a phone each into a scratch database with SQL alone
(generate_series / a recursive CTE), then times counting `contact_policy.selection.eligible_select` for SMS
marketing against a raw scan that reads the same consent table once (`SELECT count(*) … GROUP BY
player_id`), measured in the same run. No contact history yet: the caps count an empty ledger.

    .venv/bin/python bench/contactable_bench.py --players 1000000 \
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from scratch_db import on_each_dialect
from sqlalchemy import Engine, func, select, text

from lottocrm.contact_policy.document import DEFAULT_POLICY
from lottocrm.contact_policy.selection import eligible_select
from lottocrm.db.engine import transaction

AS_OF = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)

# Player i: born 1960 + i % 50 (under 18 for a few), blocked every 97th, self-excluded every 53rd;
# personal data granted at registration; SMS advertising granted, withdrawn again by every 5th player;
# e-mail advertising granted by every 3rd.
PLAYERS = """
INSERT INTO players (id, last_name, first_name, search_name, birth_date, region, registered_at,
                     registration_channel, age_verified, under_age, status, created_at)
SELECT i, 'Иванов', 'Иван', 'иванов иван', {birth_date}, 'RU-MOW', {registered}, 'website', {true},
       {false}, CASE WHEN i % 97 = 0 THEN 'blocked' ELSE 'active' END, {registered}
FROM ids
"""
EVENTS = """
INSERT INTO consent_events (player_id, purpose, channel, granted, occurred_at, source, notice_version,
                            recorded_at)
SELECT i, 'personal_data', 'web', {true}, {registered}, 'website', 'pd-2025.1', {registered} FROM ids
UNION ALL SELECT i, 'advertising', 'sms', {true}, {registered}, 'website', 'ad-2025.1', {registered} FROM ids
UNION ALL SELECT i, 'advertising', 'sms', {false}, {later}, 'website', 'ad-2025.1', {later}
          FROM ids WHERE i % 5 = 0
UNION ALL SELECT i, 'advertising', 'email', {true}, {registered}, 'website', 'ad-2025.1', {registered}
          FROM ids WHERE i % 3 = 0
"""
PHONES = """
INSERT INTO player_identities (player_id, kind, value, verified, created_at)
SELECT i, 'phone', '+7900' || i, {true}, {registered} FROM ids
"""
EXCLUSIONS = """
INSERT INTO responsible_gaming (player_id, self_excluded_until, flags, updated_at)
SELECT i, {until}, '[]', {registered} FROM ids WHERE i % 53 = 0
"""


def _dialect_sql(engine: Engine, players: int) -> tuple[str, dict[str, str]]:
    if engine.dialect.name == "postgresql":
        ids = f"WITH ids AS (SELECT generate_series(1, {players}) AS i) "
        values = {
            "birth_date": "DATE '1960-01-01' + ((i % 50) * 365)",
            "registered": "TIMESTAMPTZ '2025-01-01 00:00+00'",
            "later": "TIMESTAMPTZ '2025-06-01 00:00+00'",
            "until": "DATE '2027-01-01'",
            "true": "true",
            "false": "false",
        }
    else:
        ids = f"WITH RECURSIVE ids(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM ids WHERE i < {players}) "
        values = {
            "birth_date": "date('1960-01-01', '+' || ((i % 50) * 365) || ' days')",
            "registered": "'2025-01-01 00:00:00.000000'",
            "later": "'2025-06-01 00:00:00.000000'",
            "until": "'2027-01-01'",
            "true": "1",
            "false": "0",
        }
    return ids, values


def load(engine: Engine, players: int) -> float:
    ids, values = _dialect_sql(engine, players)
    started = time.perf_counter()
    with engine.begin() as connection:
        for statement in (PLAYERS, EVENTS, PHONES, EXCLUSIONS):
            connection.execute(text(ids + statement.format(**values).strip()))
        connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


def measure(engine: Engine, label: str, players: int) -> None:
    load_seconds = load(engine, players)
    raw = "SELECT count(*) FROM (SELECT player_id FROM consent_events GROUP BY player_id) AS per_player"
    contactable = eligible_select(
        channel="sms", message_class="marketing", at=AS_OF, policy=DEFAULT_POLICY
    ).subquery()
    timings = {}
    for name, run in {
        "raw scan": lambda session: session.execute(text(raw)).scalar(),
        "contactable (sms)": lambda session: session.scalar(select(func.count()).select_from(contactable)),
    }.items():
        best = float("inf")
        for _ in range(3):
            with transaction(engine) as session:
                started = time.perf_counter()
                result = run(session)
                best = min(best, time.perf_counter() - started)
        timings[name] = (best, result)
    raw_seconds, _ = timings["raw scan"]
    seconds, count = timings["contactable (sms)"]
    print(
        f"| {label} | {players:,} | {load_seconds:.1f} s | {raw_seconds:.2f} s | {seconds:.2f} s "
        f"| {seconds / raw_seconds:.1f}× | {count:,} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to create a scratch database on")
    args = parser.parse_args()
    print("| dialect | players | load | raw scan, best of 3 | contactable count, best of 3 | ratio | count |")
    print("|---|---|---|---|---|---|---|")
    on_each_dialect(args.postgres, lambda engine, label: measure(engine, label, args.players))


if __name__ == "__main__":
    main()
