"""How long the contact policy's audience count takes for a large population, per dialect.

Loads N players with realistic consent histories, a phone each, some self-exclusions and a cap ledger
(a touch or two for every 10th player in the last week) into a scratch database with SQL alone
(generate_series / a recursive CTE), and builds their contactability rows with the domain's own
``standing.rebuild`` (timed: it is what an upgrade or a bulk load costs). ``--scale-to M`` then copies
players and rows with SQL, id offsets added, up to M players: copying is cheaper than computing them
(bench/standing_rebuild_bench.py measures that), and the count reads only this table. ``--history`` adds
that many contact-history rows (the count does not read them; they are there for the size of the database).

Times the count of ``contact_policy.selection.eligible_select`` for SMS marketing, ``--runs`` times (p50 and
p95), against the raw engine in the same run: ``SELECT count(*)`` of the contactability table.

    .venv/bin/python bench/contactable_bench.py --players 1000000 --scale-to 20000000 \
        --history 60000000 --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from scratch_db import on_each_dialect
from sqlalchemy import Engine, func, select, text

from lottocrm import clock
from lottocrm.contact_policy import standing
from lottocrm.contact_policy.document import DEFAULT_POLICY
from lottocrm.contact_policy.selection import eligible_select
from lottocrm.db import migrate
from lottocrm.db.engine import make_engine, transaction

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
TOUCHES = """
INSERT INTO contact_touches (player_id, channel, contact_point, at)
SELECT i, 'sms', '+7900' || i, {last_week} FROM ids WHERE i % 10 = 0
UNION ALL SELECT i, 'sms', '+7900' || i, {yesterday} FROM ids WHERE i % 20 = 0
"""
# Copies of the first N players (and their rows) with ids shifted by a multiple of N.
SCALE_PLAYERS = """
INSERT INTO players (id, last_name, first_name, search_name, birth_date, region, registered_at,
                     registration_channel, age_verified, under_age, status, created_at)
SELECT id + {shift}, last_name, first_name, search_name, birth_date, region, registered_at,
       registration_channel, age_verified, under_age, status, created_at
FROM players WHERE id <= {base}
"""
HISTORY = """
INSERT INTO contact_history (at, player_id, channel, message_class, outcome, reason, contact_point,
                             source_kind, policy_version)
SELECT {history_at}, 1 + i % {players}, 'sms', 'marketing',
       CASE WHEN i % 4 = 0 THEN 'blocked' ELSE 'delivered' END,
       CASE WHEN i % 4 = 0 THEN 'cap' END, '+7900' || (1 + i % {players}), 'campaign', 0
FROM ids
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
            "last_week": "TIMESTAMPTZ '2026-02-25 10:00+00'",
            "yesterday": "TIMESTAMPTZ '2026-02-28 10:00+00'",
            "history_at": "TIMESTAMPTZ '2025-01-01 00:00+00' + (i % 420) * INTERVAL '1 day'",
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
            "last_week": "'2026-02-25 10:00:00.000000'",
            "yesterday": "'2026-02-28 10:00:00.000000'",
            "history_at": "datetime('2025-01-01', '+' || (i % 420) || ' days')",
        }
    return ids, values


def _ids(engine: Engine, count: int) -> str:
    return _dialect_sql(engine, count)[0]


def load(engine: Engine, players: int, *, history: int = 0) -> tuple[float, float]:
    """Sources by SQL, then the contactability rows by the domain's code: (load seconds, rebuild seconds)."""
    ids, values = _dialect_sql(engine, players)
    started = time.perf_counter()
    with engine.begin() as connection:
        for statement in (PLAYERS, EVENTS, PHONES, EXCLUSIONS, TOUCHES):
            connection.execute(text(ids + statement.format(**values).strip()))
        if history:
            sql = HISTORY.format(**values, players=players)
            connection.execute(text(_ids(engine, history) + sql.strip()))
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    # The world of the load is the morning of AS_OF: the cap ledger is read back from it.
    with clock.frozen(AS_OF), engine.begin() as connection:
        standing.rebuild(connection, policy=DEFAULT_POLICY)
    rebuilt = time.perf_counter() - started
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return loaded, rebuilt


def scale(engine: Engine, base: int, target: int) -> None:
    """Copy players 1..base and their contactability rows until ``target`` players exist."""
    columns = ", ".join(
        column.name for column in standing.contactability.columns if column.name != "player_id"
    )
    for shift in range(base, target, base):
        with engine.begin() as connection:
            connection.execute(text(SCALE_PLAYERS.format(shift=shift, base=min(base, target - shift))))
            connection.execute(
                text(
                    f"INSERT INTO contactability (player_id, {columns}) "
                    f"SELECT player_id + {shift}, {columns} "
                    f"FROM contactability WHERE player_id <= {min(base, target - shift)}"
                )
            )
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE"))
        else:
            connection.execute(text("ANALYZE"))


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def measure(engine: Engine, label: str, players: int, scale_to: int, history: int, runs: int) -> None:
    total = max(players, scale_to)
    with engine.connect() as connection:
        present = connection.execute(text("SELECT count(*) FROM contactability")).scalar()
    if present == total:
        # A database kept from an earlier run (--database): measured again, on a quiet machine.
        loaded = rebuilt = 0.0
    else:
        loaded, rebuilt = load(engine, players, history=history)
    if present != total and total > players:
        scale(engine, players, total)
        if engine.dialect.name == "postgresql":
            # Index-only scans need the visibility map a vacuum writes (autovacuum would, a little later).
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE contactability"))
    raw = "SELECT count(*) FROM contactability"
    contactable = eligible_select(
        channel="sms", message_class="marketing", at=AS_OF, policy=DEFAULT_POLICY
    ).subquery()
    timings: dict[str, list[float]] = {"raw": [], "count": []}
    count = 0
    for _ in range(runs):
        with transaction(engine) as session:
            started = time.perf_counter()
            session.execute(text(raw)).scalar()
            timings["raw"].append(time.perf_counter() - started)
            started = time.perf_counter()
            count = session.scalar(select(func.count()).select_from(contactable)) or 0
            timings["count"].append(time.perf_counter() - started)
    raw_p50, count_p50 = (statistics.median(timings[name]) for name in ("raw", "count"))
    count_p95 = _percentile(timings["count"], 0.95)
    built = (
        "kept from an earlier run"
        if present == total
        else f"{loaded:.1f} s | {players / rebuilt:,.0f} rows/s"
    )
    print(
        f"| {label} | {players:,} | {total:,} | {history:,} | {built} "
        f"| {raw_p50:.2f} s | {count_p50:.2f} / {count_p95:.2f} s | {count_p50 / raw_p50:.2f}× | {count:,} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=1_000_000, help="players loaded and rebuilt")
    parser.add_argument("--scale-to", type=int, default=0, help="copy them up to this many players")
    parser.add_argument("--history", type=int, default=0, help="contact-history rows to add")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--database", help="load into (or, once loaded, only measure) this database and keep it, instead"
    )
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to create a scratch database on")
    args = parser.parse_args()
    print(
        "| dialect | players built | players counted | history rows | load | rebuild "
        "| raw count(*) p50 | eligible count p50 / p95 | ratio (p50) | eligible |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    if args.database:
        engine = make_engine(args.database)
        migrate.upgrade(engine)
        measure(engine, engine.dialect.name, args.players, args.scale_to, args.history, args.runs)
        return
    on_each_dialect(
        args.postgres,
        lambda engine, label: measure(engine, label, args.players, args.scale_to, args.history, args.runs),
        skip_sqlite=args.skip_sqlite,
    )


if __name__ == "__main__":
    main()
