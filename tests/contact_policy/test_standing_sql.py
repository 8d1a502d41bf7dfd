"""The set-based contactability rows (``standing_sql``) equal the Python refresh's, column by column and
byte for byte as stored, over generated players: consents granted and withdrawn per channel with ties,
identities verified or not on several kinds, phones and addresses touched by other players, unreachable
points, responsible-gaming states with returns, under-age flags, birth dates (29 February, unknown),
statuses, cap-ledger touches at the windows' edges and on shared points, policies with and without caps, in
operator zones with and without DST. ``standing.drifted`` finds nothing after a set-based rebuild."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, delete, insert, text, update
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from helpers.month_population import REGIONS
from lottocrm import clock, vocab
from lottocrm.cli.main import app
from lottocrm.contact_policy import service, standing, standing_sql
from lottocrm.contact_policy.document import DEFAULT_POLICY, CapRule
from lottocrm.contact_policy.models import ContactTouch, UnreachablePoint, contactability
from lottocrm.db.engine import make_engine
from lottocrm.players.models import ConsentEvent, Player, PlayerIdentity, ResponsibleGaming

# Long (a property run over many generated cases): scheduled first, so it does not finish the suite alone.
pytestmark = pytest.mark.slow

TICK = dt.timedelta(microseconds=1)
# A day of a DST change in Berlin and Santiago, an ordinary day, and one with a leap-day birthday's turn.
MOMENTS = (
    dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 5, 4, 13, 17, 42, 123456, tzinfo=dt.UTC),
    dt.datetime(2027, 2, 28, 21, 0, tzinfo=dt.UTC),
)
ZONES = ("Europe/Moscow", "Europe/Berlin", "America/Santiago", "Asia/Vladivostok")
POLICIES = {
    "default": DEFAULT_POLICY,
    "no capped classes": DEFAULT_POLICY.model_copy(update={"capped_classes": ()}),
    "service capped, every kind of rule": DEFAULT_POLICY.model_copy(
        update={
            "capped_classes": ("service",),
            "caps": (
                CapRule(channel="all", per="contact_point", window="24h", limit=2),
                CapRule(channel="web", per="contact_point", window="7d", limit=1),
                CapRule(channel="email", per="contact_point", window="30d", limit=1),
                CapRule(channel="web", window="7d", limit=1),
                CapRule(channel="all", window="24h", limit=1),
                CapRule(channel="call", window="30d", limit=2),
            ),
        }
    ),
    "marketing, per point on every channel": DEFAULT_POLICY.model_copy(
        update={
            "capped_classes": ("marketing", "service"),
            "caps": (
                CapRule(channel="all", per="contact_point", window="7d", limit=3),
                CapRule(channel="all", per="contact_point", window="30d", limit=2),
                CapRule(channel="push", per="contact_point", window="24h", limit=1),
                CapRule(channel="sms", window="24h", limit=1),
            ),
        }
    ),
}
# Touches at, just inside and just outside each window, in between, at the moment, after it (a worker
# whose clock read later) and long before it.
TOUCH_AGES = tuple(
    age
    for window in (dt.timedelta(hours=24), dt.timedelta(days=7), dt.timedelta(days=30))
    for age in (window, window - TICK, window + TICK)
) + (
    dt.timedelta(hours=1),
    dt.timedelta(hours=3),
    dt.timedelta(0),
    -dt.timedelta(minutes=5),
    dt.timedelta(days=45),
)
LEAP_DAYS = (dt.date(2008, 2, 29), dt.date(2004, 2, 29), dt.date(1996, 2, 29))

players = st.fixed_dictionaries(
    {
        "status": st.sampled_from((*vocab.PLAYER_STATUSES, "active", "active", "active")),
        "under_age": st.sampled_from((False, False, False, True)),
        "birth": st.one_of(
            st.none(),
            st.sampled_from(LEAP_DAYS),
            st.dates(dt.date(2007, 1, 1), dt.date(2010, 12, 31)),
            st.dates(dt.date(1930, 1, 1), dt.date(2012, 12, 31)),
        ),
        "region": st.sampled_from((*REGIONS, None)),
        "rg": st.none()
        | st.fixed_dictionaries(
            {
                "excluded_days": st.none() | st.integers(-40, 400),
                "returned": st.booleans(),
                "timeout_hours": st.none() | st.integers(-48, 48),
                "limit_days": st.none() | st.integers(-3, 40),
            }
        ),
        # Weighted towards players the early checks let through, so that the later ones are reached: most
        # have a verified phone, e-mail and device of their own and consented to everything 400 hours ago.
        "own_points": st.sampled_from((True, True, True, False)),
        "consented": st.sampled_from((True, True, True, False)),
        # kind, value (0: a pool every player draws from, 1–2: the player's own), verified, minutes after
        # START
        "identities": st.lists(
            st.tuples(
                st.sampled_from(vocab.IDENTITY_KINDS),
                st.integers(0, 2),
                st.booleans(),
                st.sampled_from((0, 0, 5, 60)),
            ),
            max_size=5,
        ),
        # purpose, channel, granted, hours before the moment (ties are common)
        "consents": st.lists(
            st.tuples(
                st.sampled_from(vocab.CONSENT_PURPOSES),
                st.sampled_from(vocab.CONSENT_CHANNELS),
                st.booleans(),
                st.sampled_from((0, 1, 1, 24, 400)),
            ),
            max_size=8,
        ),
        # channel, value of the channel's kind (as above; the web point for banners), age
        "touches": st.lists(
            st.tuples(
                st.sampled_from(vocab.CONSENT_CHANNELS), st.integers(0, 1), st.sampled_from(TOUCH_AGES)
            ),
            max_size=12,
        ),
        # value of a kind, channel
        "unreachable": st.lists(
            st.tuples(
                st.sampled_from(("phone", "email", "device")),
                st.integers(0, 2),
                st.sampled_from(("sms", "call", "email", "push")),
            ),
            max_size=2,
        ),
    }
)
KIND_OF = {"sms": "phone", "call": "phone", "email": "email", "push": "device", "card": "card"}
START = dt.datetime(2024, 6, 1, 8, 0, tzinfo=dt.UTC)


def _value(kind: str, number: int, player_id: int) -> str:
    owner = "shared" if number == 0 else f"p{player_id}"
    return {"phone": f"+7900{owner}{number}", "email": f"{owner}.{number}@example.ru"}.get(
        kind, f"{kind}:{owner}:{number}"
    )


def _load(connection: Connection, population: list[dict[str, Any]], at: dt.datetime) -> list[int]:
    for table in (ContactTouch, UnreachablePoint, ConsentEvent, PlayerIdentity, ResponsibleGaming):
        connection.execute(delete(table))
    connection.execute(delete(contactability))
    connection.execute(delete(Player))
    day = clock.operator_day(at)
    # Ids with gaps, so that ranges and scoped refreshes meet holes.
    ids = [3 * n + 1 for n in range(len(population))]
    identities, consents, touches, unreachable = [], [], [], {}
    taken: set[tuple[str, str]] = set()
    for player_id, g in zip(ids, population, strict=True):
        connection.execute(
            insert(Player).values(
                id=player_id,
                last_name="Тестов",
                first_name="Тест",
                search_name="тестов тест",
                birth_date=g["birth"],
                region=g["region"],
                registered_at=START,
                registration_channel="website",
                age_verified=True,
                under_age=g["under_age"],
                status=g["status"],
                created_at=START,
            )
        )
        if (rg := g["rg"]) is not None:
            connection.execute(
                insert(ResponsibleGaming).values(
                    player_id=player_id,
                    self_excluded_until=None
                    if rg["excluded_days"] is None
                    else day + dt.timedelta(days=rg["excluded_days"]),
                    returned_at=at - dt.timedelta(hours=2) if rg["returned"] else None,
                    timeout_until=None
                    if rg["timeout_hours"] is None
                    else at + dt.timedelta(hours=rg["timeout_hours"]),
                    limit_reached_until=None
                    if rg["limit_days"] is None
                    else day + dt.timedelta(days=rg["limit_days"]),
                    flags=[],
                    updated_at=START,
                )
            )
        own = (
            [("phone", 1, True, 0), ("email", 1, True, 0), ("device", 1, True, 0)] if g["own_points"] else []
        )
        for kind, number, verified, minutes in own + g["identities"]:
            # One identity, one player: a shared value goes to the first player who has it; the others
            # have touches on it (a phone that changed hands), which its per-point caps count.
            if (kind, _value(kind, number, player_id)) in taken:
                continue
            taken.add((kind, _value(kind, number, player_id)))
            identities.append(
                {
                    "id": len(identities) + 1,
                    "player_id": player_id,
                    "kind": kind,
                    "value": _value(kind, number, player_id),
                    "verified": verified,
                    "created_at": START + dt.timedelta(minutes=minutes),
                }
            )
        agreed = [("personal_data", "web", True, 400)] + [
            ("advertising", channel, True, 400) for channel in vocab.CONSENT_CHANNELS
        ]
        for purpose, channel, granted, hours in (agreed if g["consented"] else []) + g["consents"]:
            moment = at - dt.timedelta(hours=hours)
            consents.append(
                {
                    # Ids not in the order of the events: the tie-break is the id, not the insertion.
                    "id": (len(consents) * 7919) % 100_003 + 1,
                    "player_id": player_id,
                    "purpose": purpose,
                    "channel": channel,
                    "granted": granted,
                    "occurred_at": moment,
                    "source": "import",
                    "notice_version": "v1",
                    "recorded_at": moment,
                }
            )
        for channel, number, age in g["touches"]:
            point = (
                standing.web_point(player_id)
                if channel == "web"
                else _value(KIND_OF[channel], number, player_id)
            )
            touches.append(
                {"player_id": player_id, "channel": channel, "contact_point": point, "at": at - age}
            )
        for kind, number, channel in g["unreachable"]:
            point = _value(kind, number, player_id)
            unreachable[(point, channel)] = {
                "contact_point": point,
                "channel": channel,
                "reason": "hard_bounce",
                "since": at - dt.timedelta(days=number),
            }
    for table, rows in (
        (PlayerIdentity, identities),
        (ConsentEvent, consents),
        (ContactTouch, touches),
        (UnreachablePoint, list(unreachable.values())),
    ):
        if rows:
            connection.execute(insert(table), rows)
    return ids


def _stored(connection: Connection) -> dict[int, dict[str, Any]]:
    """The rows as the driver returns them: SQLite's text exactly as written."""
    result = connection.exec_driver_sql("SELECT * FROM contactability ORDER BY player_id")
    names = list(result.keys())
    return {row[0]: dict(zip(names, row, strict=True)) for row in result}


def _assert_same(python: dict[int, dict[str, Any]], sql: dict[int, dict[str, Any]]) -> None:
    assert sql.keys() == python.keys()
    for player_id, expected in python.items():
        differ = {
            name: (value, sql[player_id][name])
            for name, value in expected.items()
            if sql[player_id][name] != value or type(sql[player_id][name]) is not type(value)
        }
        assert not differ, (player_id, differ)


@pytest.fixture(scope="module")
def db(module_db_url: str) -> Iterator[Engine]:
    engine = make_engine(module_db_url)
    yield engine
    engine.dispose()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    population=st.lists(players, min_size=2, max_size=8),
    at=st.sampled_from(MOMENTS),
    zone=st.sampled_from(ZONES),
    policy=st.sampled_from(sorted(POLICIES)),
    chunk=st.integers(1, 4),
)
def test_the_set_based_rows_are_the_python_rows(
    db: Engine, population: list[dict[str, Any]], at: dt.datetime, zone: str, policy: str, chunk: int
) -> None:
    rules = POLICIES[policy]
    with clock.frozen(at, zone), db.begin() as connection:
        ids = _load(connection, population, at)
        assert len(ids) < standing.SET_BASED_FROM  # so the refresh is the Python one
        assert standing.refresh(connection, ids, policy=rules) == len(ids)
        python = _stored(connection)

        # Over the rows the refresh wrote (the upsert), then into an empty table, a few players a statement.
        assert standing_sql.rebuild(connection, policy=rules, chunk=chunk) == len(ids)
        _assert_same(python, _stored(connection))
        connection.execute(delete(contactability))
        assert standing_sql.rebuild(connection, policy=rules, chunk=chunk) == len(ids)
        _assert_same(python, _stored(connection))
        assert standing.drifted(connection, ids, policy=rules) == []

        # A refresh of some of them (every other one: the ranges have holes), the others left alone.
        connection.execute(delete(contactability))
        chosen = ids[::2]
        assert standing_sql.refresh(connection, chosen, policy=rules, now=at) == len(chosen)
        _assert_same({player_id: python[player_id] for player_id in chosen}, _stored(connection))
        connection.rollback()


def _touch_some(engine: Engine, ids: list[int]) -> None:
    """Variety on top of ``contactable``: a withdrawal, an exclusion, touches on a phone from its former
    owner."""
    with engine.begin() as connection:
        connection.execute(
            insert(ConsentEvent).values(
                player_id=ids[1],
                purpose="advertising",
                channel="sms",
                granted=False,
                occurred_at=NOW - dt.timedelta(days=1),
                source="import",
                notice_version="v1",
                recorded_at=NOW,
            )
        )
        connection.execute(
            insert(ResponsibleGaming).values(
                player_id=ids[2], self_excluded_until=dt.date(2026, 6, 1), flags=[], updated_at=NOW
            )
        )
        connection.execute(
            insert(ContactTouch),
            [
                {"player_id": ids[0], "channel": "sms", "contact_point": f"+7916{ids[3]:07d}", "at": at}
                for at in (
                    NOW - dt.timedelta(hours=3),
                    NOW - dt.timedelta(days=2),
                    NOW - dt.timedelta(days=3),
                )
            ],
        )


NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def test_a_refresh_of_many_players_is_set_based_and_gives_the_same_rows(
    engine: Engine, contactable, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    ids = contactable(12)
    _touch_some(engine, ids)
    with clock.frozen(NOW), engine.begin() as connection:
        standing.refresh(connection, ids, policy=DEFAULT_POLICY)
        python = _stored(connection)

    # Above the threshold the loaders' refresh goes through SQL, in runs of at most 5 players spanning at
    # most 7 ids: contiguous ids, a sparse list, and an id with no player.
    monkeypatch.setattr(standing, "SET_BASED_FROM", 4)
    monkeypatch.setattr(standing_sql, "CHUNK", 5)
    monkeypatch.setattr(standing_sql, "SPAN", 7)
    set_based: list[int] = []
    original = standing_sql.refresh
    monkeypatch.setattr(
        standing_sql,
        "refresh",
        lambda connection, player_ids, **options: (
            set_based.append(len(player_ids)) or original(connection, player_ids, **options)
        ),
    )
    for chosen in (ids, ids[::3], [*ids[:4], 10_000]):
        with clock.frozen(NOW), engine.begin() as connection:
            connection.execute(delete(contactability))
            assert service.refresh_players(connection, chosen) == len(set(chosen) & set(ids))
            _assert_same(
                {player_id: python[player_id] for player_id in chosen if player_id in python},
                _stored(connection),
            )
            assert sorted(standing.drifted(connection, ids, policy=DEFAULT_POLICY)) == [
                player_id for player_id in ids if player_id not in chosen
            ]
    assert set_based == [12, 4, 5]


def test_a_rebuild_reports_its_progress_range_by_range(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    ids = contactable(5)
    seen: list[tuple[int, int]] = []
    with clock.frozen(NOW), engine.begin() as connection:
        written = standing_sql.rebuild(
            connection,
            policy=DEFAULT_POLICY,
            chunk=2,
            progress=lambda done, total: seen.append((done, total)),
        )
    assert written == len(ids)
    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_the_rebuild_command_leaves_nothing_for_the_check(settings, engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    ids = contactable(6)
    _touch_some(engine, ids)
    with engine.begin() as connection:
        connection.execute(delete(contactability).where(contactability.c.player_id.in_(ids[:3])))
    runner = CliRunner()
    assert runner.invoke(app, ["contact-policy", "check"]).exit_code != 0
    rebuilt = runner.invoke(app, ["contact-policy", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "6 contactability rows rebuilt" in rebuilt.output
    checked = runner.invoke(app, ["contact-policy", "check"])
    assert checked.exit_code == 0, checked.output
    assert "every contactability row matches its facts" in checked.output


def test_a_birth_date_past_the_calendar_is_named(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    ids = contactable(3)
    with engine.begin() as connection:
        connection.execute(update(Player).where(Player.id == ids[1]).values(birth_date=dt.date(9985, 1, 1)))
    with (
        clock.frozen(NOW),
        engine.begin() as connection,
        pytest.raises(ValueError, match=f"birth date 9985-01-01 of a player among ids {ids[0]}–{ids[2]}"),
    ):
        standing_sql.rebuild(connection, policy=DEFAULT_POLICY)


def test_the_set_based_refresh_locks_the_players_before_reading(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write transaction is the lock")
    ids = contactable(3)
    with clock.frozen(NOW), engine.connect() as rebuilding, engine.connect() as other, rebuilding.begin():
        standing_sql.refresh(rebuilding, ids[1:], policy=DEFAULT_POLICY, now=NOW)
        with other.begin():
            other.execute(text("SET LOCAL lock_timeout = '200ms'"))
            # A writer of a refreshed player (another refresh, the cap ledger) waits for the rebuild…
            with pytest.raises(OperationalError, match="lock timeout"):
                other.execute(text(f"SELECT id FROM players WHERE id = {ids[1]} FOR NO KEY UPDATE"))
        with other.begin():
            # … one outside it does not.
            other.execute(text(f"SELECT id FROM players WHERE id = {ids[0]} FOR NO KEY UPDATE"))
