"""The cap ledger and the contact history: places under the caps are taken atomically, even by concurrent
dispatch workers, and the history is evidence that cannot be edited."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from lottocrm import clock
from lottocrm.contact_policy import ledger, service
from lottocrm.contact_policy.models import ContactHistory, ContactTouch
from lottocrm.db.engine import transaction

# Wednesday 11 March 2026, 12:00 in Moscow.
NOON = dt.datetime(2026, 3, 11, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _the_world_is_at_noon() -> Iterator[None]:
    # The gate reads the cap ledger from now back: these tests live on NOON.
    with clock.frozen(NOON):
        yield


def _permit(session, player_id: int, at: dt.datetime = NOON):  # type: ignore[no-untyped-def]
    decision = service.decide(session, player_id=player_id, channel="sms", message_class="marketing", at=at)
    assert decision.permit is not None, decision.reasons
    return decision.permit


def test_the_daily_sms_cap_lets_one_message_through(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    (player,) = contactable(1)
    with transaction(engine) as session:
        permit = _permit(session, player)
        answers = ledger.reserve(session, permits=[(permit, 1), (permit, 2)], at=NOON)
    assert answers[1] is None
    assert answers[2] is not None and answers[2].code == "cap"
    assert answers[2].detail == {"channel": "sms", "per": "player", "window": "24h", "count": 1, "limit": 1}
    with transaction(engine) as session:
        # The next decision sees the touch: the gate and the ledger agree.
        decision = service.decide(
            session, player_id=player, channel="sms", message_class="marketing", at=NOON
        )
        assert decision.blocked_by == "cap"
        ledger.release(session, message_ids=[1])
    with transaction(engine) as session:
        assert service.decide(
            session, player_id=player, channel="sms", message_class="marketing", at=NOON
        ).allowed


def test_service_messages_take_no_place(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    (player,) = contactable(1)
    with transaction(engine) as session:
        decision = service.decide(session, player_id=player, channel="sms", message_class="service", at=NOON)
        assert decision.permit is not None
        answers = ledger.reserve(session, permits=[(decision.permit, n) for n in range(5)], at=NOON)
        assert set(answers.values()) == {None}
        assert session.scalar(select(func.count()).select_from(ContactTouch)) == 0


@pytest.mark.parametrize("workers", [8])
def test_concurrent_workers_never_overshoot_a_cap(engine: Engine, contactable, workers: int) -> None:  # type: ignore[no-untyped-def]
    """Eight workers reserve a week of SMS for the same players at once; each player may have one a day and
    three a week, whatever the interleaving."""
    players = contactable(12)
    with transaction(engine) as session:
        permits = [_permit(session, player) for player in players]
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            barrier.wait()
            for day in range(7):
                moment = NOON + dt.timedelta(days=day, minutes=worker)
                with transaction(engine) as session:
                    ledger.reserve(
                        session,
                        permits=[
                            (permit, 1_000_000 * worker + 1000 * day + n) for n, permit in enumerate(permits)
                        ],
                        at=moment,
                    )
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with transaction(engine) as session:
        touches = session.execute(select(ContactTouch.player_id, ContactTouch.at)).all()
    per_player = Counter(player_id for player_id, _ in touches)
    # One a day for 7 days, three a week: the weekly cap binds.
    assert set(per_player.values()) == {3}
    for player in players:
        moments = sorted(at for player_id, at in touches if player_id == player)
        assert all(b - a >= dt.timedelta(hours=23) for a, b in zip(moments, moments[1:], strict=False))


def test_the_history_records_decisions_and_cannot_be_edited(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    (player,) = contactable(1)
    with transaction(engine) as session:
        permit = _permit(session, player)
        blocked = service.decide(
            session, player_id=player, channel="push", message_class="marketing", at=NOON
        )
        ledger.record(
            session,
            [
                ledger.Outcome("permitted", permit=permit, message_id=7),
                ledger.Outcome("blocked", decision=blocked),
            ],
            at=NOON,
            source_kind="campaign",
            source_id="42",
        )
    with transaction(engine) as session:
        rows = session.scalars(select(ContactHistory).order_by(ContactHistory.id)).all()
        assert [(r.outcome, r.channel, r.reason) for r in rows] == [
            ("permitted", "sms", None),
            ("blocked", "push", "consent_missing"),
        ]
        assert rows[0].consent_event_id == permit.consent_event_id is not None
        assert rows[1].source_id == "42"
        rows[0].outcome = "sent"
        with pytest.raises(ValueError, match="evidence"):
            session.flush()
    with pytest.raises(ValueError, match="unknown contact outcome"):
        ledger.Outcome("maybe", permit=permit)
