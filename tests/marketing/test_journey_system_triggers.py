"""The journey steps that give (bonus points, a promo code) and ask (a call task), and the system's own facts
as triggers — wins loaded into the lake, birthdays, churn crossings, tier upgrades — delivered by the durable
jobs as in production, on both dialects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import Engine, select

from helpers.factories import IMPORT
from lottocrm import clock
from lottocrm.analytics.churn.models import ChurnCrossing
from lottocrm.analytics.events import ChurnRiskCrossed
from lottocrm.audit.models import AuditEvent
from lottocrm.db.engine import transaction
from lottocrm.db.hash_unit import hash_unit, threshold
from lottocrm.events.delivery import worker_registry
from lottocrm.events.outbox import emit
from lottocrm.ingest.events import WinsCommitted
from lottocrm.jobs.worker import Worker
from lottocrm.lake.store import Lake
from lottocrm.loyalty.events import TierChanged
from lottocrm.loyalty.ledger.accounts import balance_of, member_account
from lottocrm.loyalty.programme.tiers import ensure_default_tiers
from lottocrm.marketing.journeys import live, service, walk
from lottocrm.marketing.journeys.giving import give_offer
from lottocrm.marketing.journeys.graph import JourneyInputError
from lottocrm.marketing.journeys.models import JourneyInstance, JourneyOffer, JourneyVersion, JourneyVisit
from lottocrm.messaging.models import Message
from lottocrm.players import consents
from lottocrm.players.events import CalendarDay
from lottocrm.players.models import Player
from lottocrm.settings import Settings
from marketing.campaigns.helpers import APPROVER, AUTHOR

AS_OF = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)  # noon in Moscow


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with clock.frozen(AS_OF):
        yield


def _journey(trigger: dict[str, Any], *steps: tuple[str, dict[str, Any]], **rules: Any) -> dict[str, Any]:
    """A journey of ``steps`` in order, then an exit; no control, so every instance walks."""
    names = [name for name, _ in steps] + ["done"]
    body = {name: step | {"next": names[i + 1]} for i, (name, step) in enumerate(steps)}
    return {
        "entry": trigger,
        "start": names[0],
        "message_class": "service",
        "control_share": 0,
        "steps": body | {"done": {"kind": "exit"}},
    } | rules


def _live(engine: Engine, document: dict[str, Any], name: str = "Системный") -> int:
    with transaction(engine) as session:
        version = service.create_journey(session, actor=AUTHOR, name=name, definition=document)
        live.go_live(session, actor=APPROVER, journey_id=version.journey_id, version=1, move_instances=False)
        return version.journey_id


def _deliver(engine: Engine) -> None:
    Worker(engine, worker_registry(), poll_interval=0.02, lease=dt.timedelta(seconds=5)).run(once=True)


def _instances(engine: Engine) -> list[JourneyInstance]:
    with transaction(engine) as session:
        return list(session.scalars(select(JourneyInstance).order_by(JourneyInstance.id)))


def _outcomes(engine: Engine, step: str) -> dict[int, str]:
    with transaction(engine) as session:
        rows = session.execute(
            select(JourneyInstance.player_id, JourneyVisit.outcome)
            .join(JourneyVisit, JourneyVisit.instance_id == JourneyInstance.id)
            .where(JourneyVisit.step == step)
        ).all()
    return {player: outcome for player, outcome in rows}


def test_an_offer_step_credits_points_once_and_gives_unique_codes(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    member, without_account = contactable(2)
    with transaction(engine) as session:
        account = member_account(session, member)
    points = {"kind": "offer", "bonus_points": 150, "value_kopecks": 1_500}
    code = {"kind": "offer", "promo_code": True, "value_kopecks": 5_000}
    _live(engine, _journey({"trigger": "birthday"}, ("gift", points), ("code", code)))
    with transaction(engine) as session:
        session.get(Player, member).birth_date = session.get(Player, without_account).birth_date = (
            AS_OF.date()
        )
        emit(session, CalendarDay(day=AS_OF.date(), birthdays=2, anniversaries=0))
    _deliver(engine)
    assert _outcomes(engine, "gift") == {member: "given", without_account: "not_given"}
    assert _outcomes(engine, "code") == {member: "given", without_account: "given"}
    with transaction(engine) as session:
        given = {(o.player_id, o.step): o for o in session.scalars(select(JourneyOffer))}
        assert balance_of(session, account) == 150
        assert given[member, "gift"].points == 150 and given[without_account, "gift"].points is None
        codes = {given[member, "code"].promo_code, given[without_account, "code"].promo_code}
        assert len(codes) == 2 and all(code and len(code) == 8 for code in codes)
        # A walk repeated after a crash (the same visit) finds what it gave and gives nothing more.
        instance = session.get(JourneyInstance, given[member, "gift"].instance_id)
        step = walk.definition_of(session, session.get(JourneyVersion, instance.version_id)).steps["gift"]
        assert give_offer(session, instance, "gift", step, visit=0, at=AS_OF) == "given"
        assert balance_of(session, account) == 150
        assert len(session.scalars(select(JourneyOffer)).all()) == 4
        audited = session.scalars(select(AuditEvent).where(AuditEvent.action == "journey.offer_given")).all()
        assert sorted((e.detail["step"], e.detail["points"]) for e in audited) == [
            ("code", 0),
            ("code", 0),
            ("gift", 0),
            ("gift", 150),
        ]


def test_a_call_task_goes_to_the_call_list_only_with_consent_to_calls(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    note = "Поздравить с годовщиной и рассказать о новой игре"
    journey_id = _live(
        engine,
        _journey(
            {"trigger": "registration_anniversary"},
            ("call", {"kind": "call_task", "note": note}),
            message_class="marketing",
            control_share=0.01,
        ),
    )
    players = contactable(6)
    willing, unwilling = [p for p in players if hash_unit(f"journey:{journey_id}", p) >= threshold(0.01)][:2]
    with transaction(engine) as session:
        consents.record_consent(
            session,
            actor=IMPORT,
            player_id=willing,
            purpose="advertising",
            channel="call",
            granted=True,
            source="website",
            notice_version="2025-01",
            occurred_at=AS_OF - dt.timedelta(days=30),
        )
        for player in (willing, unwilling):
            session.get(Player, player).registered_at = AS_OF - dt.timedelta(days=365)
        emit(session, CalendarDay(day=AS_OF.date(), birthdays=0, anniversaries=2))
    _deliver(engine)
    assert _outcomes(engine, "call") == {willing: "sent:call", unwilling: "not_sent:consent_missing"}
    with transaction(engine) as session:
        calls = session.scalars(select(Message).where(Message.channel == "call")).all()
    assert [(m.player_id, m.body, m.source_kind) for m in calls] == [(willing, note, "journey")]


def test_churn_crossings_start_only_the_players_who_entered_high_risk(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    entered, left = contactable(2)
    _live(engine, _journey({"trigger": "churn_risk_entered"}, ("pause", {"kind": "wait", "minutes": 60})))
    with transaction(engine) as session:
        for player, direction in ((entered, "entered"), (left, "left")):
            session.add(
                ChurnCrossing(
                    as_of=AS_OF.date(),
                    model_version="m1",
                    player_id=player,
                    direction=direction,
                    probability=0.7,
                )
            )
        emit(session, ChurnRiskCrossed(as_of=AS_OF.date(), model_version="m1", entered=1, left=1))
    _deliver(engine)
    assert [i.player_id for i in _instances(engine)] == [entered]


def test_a_tier_upgrade_starts_a_journey_and_a_downgrade_does_not(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    up, down = contactable(2)
    _live(engine, _journey({"trigger": "tier_upgraded"}, ("pause", {"kind": "wait", "minutes": 60})))
    with transaction(engine) as session:
        ensure_default_tiers(session, actor=IMPORT)
        emit(session, TierChanged(player_id=up, account_id=1, previous_tier="bronze", tier="gold"))
        emit(session, TierChanged(player_id=down, account_id=2, previous_tier="gold", tier="silver"))
    _deliver(engine)
    assert [i.player_id for i in _instances(engine)] == [up]


def _wins(
    lake: Lake, batch_id: str, rows: list[tuple[int, int, int | None, int, int]], won_at: dt.datetime = AS_OF
) -> None:
    """Wins (win id, ticket id, player id, draw id, amount in kopecks) committed to the lake."""
    lake.append(
        "wins",
        pa.table(
            {
                "win_id": [r[0] for r in rows],
                "ticket_id": [r[1] for r in rows],
                "player_id": [r[2] for r in rows],
                "game_id": [1] * len(rows),
                "draw_id": [r[3] for r in rows],
                "prize_tier": [3] * len(rows),
                "amount_kopecks": [r[4] for r in rows],
                "won_at": [won_at] * len(rows),
                "claimed": [False] * len(rows),
                "claimed_at": [None] * len(rows),
            }
        ),
        batch_id=batch_id,
    )


def test_each_winning_ticket_starts_its_own_instance_and_big_wins_pass_the_journeys_threshold(
    engine: Engine, contactable, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    small, big = contactable(2)
    pause = ("pause", {"kind": "wait", "minutes": 60})
    won = _live(engine, _journey({"trigger": "ticket_won", "key": "ticket"}, pause))
    large = _live(
        engine,
        _journey({"trigger": "big_win", "key": "ticket", "min_prize_kopecks": 1_000_000}, pause),
        "Крупный",
    )
    lake = Lake(settings.lake_path)
    # Two winning tickets of one player, a big win, and an anonymous retail ticket (no player: no journey).
    rows = [
        (1, 101, small, 7, 10_000),
        (2, 102, small, 7, 20_000),
        (3, 103, big, 7, 5_000_000),
        (4, 104, None, 7, 9),
    ]
    _wins(lake, "wins-draw-7", rows)
    with transaction(engine) as session:
        emit(
            session,
            WinsCommitted(
                batch_id="wins-draw-7",
                rows=4,
                first_id=1,
                last_id=4,
                players_touched=2,
                player_ids=[small, big],
            ),
        )
    _deliver(engine)
    started = {(i.journey_id, i.key) for i in _instances(engine)}
    assert started == {(won, "ticket:101"), (won, "ticket:102"), (won, "ticket:103"), (large, "ticket:103")}
    # Delivered again (a retried job): the delivery is recorded, nothing starts twice.
    _deliver(engine)
    assert len(_instances(engine)) == 4


def test_system_triggers_go_live_and_what_is_not_run_yet_is_refused(engine: Engine) -> None:
    with transaction(engine) as session:
        version = service.create_journey(
            session,
            actor=AUTHOR,
            name="Атрибут",
            definition=_journey(
                {"trigger": "jackpot_above", "key": "draw"},
                ("mark", {"kind": "set_attribute", "attribute": "jackpot_fan", "value": "yes"}),
            ),
        )
    with transaction(engine) as session, pytest.raises(JourneyInputError) as refused:
        live.go_live(session, actor=APPROVER, journey_id=version.journey_id, version=1, move_instances=False)
    assert "entry.trigger: jackpot_above journeys are not run yet" in str(refused.value)
    assert "steps.mark: set_attribute steps are not run yet" in str(refused.value)


def test_history_arriving_is_not_news(engine: Engine, contactable, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """A year of past draws imported, or last month's calendar day replayed, tells nobody anything today."""
    player = contactable(1)[0]
    pause = ("pause", {"kind": "wait", "minutes": 60})
    _live(engine, _journey({"trigger": "ticket_won", "key": "ticket"}, pause))
    _live(engine, _journey({"trigger": "birthday"}, pause), "День рождения")
    _wins(
        Lake(settings.lake_path),
        "wins-2025",
        [(1, 101, player, 3, 10_000)],
        won_at=AS_OF - dt.timedelta(days=365),
    )
    with transaction(engine) as session:
        session.get(Player, player).birth_date = (AS_OF - dt.timedelta(days=30)).date()
        emit(
            session,
            WinsCommitted(
                batch_id="wins-2025", rows=1, first_id=1, last_id=1, players_touched=1, player_ids=[player]
            ),
        )
        emit(session, CalendarDay(day=(AS_OF - dt.timedelta(days=30)).date(), birthdays=1, anniversaries=0))
    _deliver(engine)
    assert _instances(engine) == []
