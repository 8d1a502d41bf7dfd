"""The dispatcher's decisions around the provider call: the gate asked again when a message is due (a
self-exclusion or a withdrawal after queueing stops it, quiet hours hold it, caps are taken atomically),
the attempt recorded before sending, and each provider answer settled (sent, retried with its cap place
given back, failed with the address marked unreachable), a dead worker's messages left in doubt."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select

from helpers.factories import IMPORT
from lottocrm import clock
from lottocrm.audit.models import AuditEvent
from lottocrm.contact_policy import service as gate
from lottocrm.contact_policy.models import ContactHistory, ContactTouch, UnreachablePoint
from lottocrm.db.engine import transaction
from lottocrm.messaging import dispatch, inbound, receipts
from lottocrm.messaging.channels.base import DeliveryReceipt, SendResult, TransportError
from lottocrm.messaging.models import EarlyReceipt, Message
from lottocrm.messaging.sender import Sender
from lottocrm.messaging.service import Content, Outgoing, queue_messages
from lottocrm.players import responsible_gaming

# Tuesday 10 March 2026, 12:00 and 23:30 in Moscow.
NOON = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
NIGHT = dt.datetime(2026, 3, 10, 20, 30, tzinfo=dt.UTC)


def _queue(engine: Engine, player_id: int, channel: str, at: dt.datetime, n: int = 1) -> list[int]:
    with transaction(engine) as session:
        decision = gate.decide(
            session, player_id=player_id, channel=channel, message_class="marketing", at=at
        )
        assert decision.permit is not None, decision.reasons
        items = [Outgoing(decision.permit, Content(body=f"Тираж №{k}", subject="Тираж")) for k in range(n)]
        return [i for i in queue_messages(session, items, at=at) if i is not None]


def _claim(
    engine: Engine, channel: str, at: dt.datetime
) -> tuple[list[dispatch.Claimed], dispatch.BatchReport]:
    report = dispatch.BatchReport()
    with transaction(engine) as session:
        claimed = dispatch.claim(session, channel=channel, limit=100, report=report, now=at)
    return claimed, report


def _outcomes(engine: Engine, message_id: int) -> list[tuple[str, str | None]]:
    with transaction(engine) as session:
        rows = session.execute(
            select(ContactHistory.outcome, ContactHistory.reason)
            .where(ContactHistory.message_id == message_id)
            .order_by(ContactHistory.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_a_self_exclusion_after_queueing_stops_the_message(seeded, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    (message_id,) = _queue(engine, 1001, "email", NOON)
    with clock.frozen(NOON), transaction(engine) as session:
        responsible_gaming.change_responsible_gaming(
            session,
            actor=IMPORT,
            player_id=1001,
            self_excluded_until=dt.date(2027, 1, 1),
            monthly_spend_limit_kopecks=None,
        )
    claimed, report = _claim(engine, "email", NOON + dt.timedelta(minutes=1))
    assert claimed == [] and report.cancelled == 1
    assert _outcomes(engine, message_id) == [("permitted", None), ("blocked", "self_excluded")]
    with transaction(engine) as session:
        assert session.get(Message, message_id).status == "cancelled"


def test_quiet_hours_hold_a_due_message_until_morning(seeded, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    (message_id,) = _queue(engine, 1001, "sms", NOON)
    claimed, report = _claim(engine, "sms", NIGHT)
    assert claimed == [] and report.held == 1
    with transaction(engine) as session:
        message = session.get(Message, message_id)
        morning = dt.datetime(2026, 3, 11, 9, 0, tzinfo=clock.zone_named("Europe/Moscow"))
        assert message.status == "queued" and morning <= message.next_attempt_at < morning + dt.timedelta(
            hours=1
        )
    assert _outcomes(engine, message_id)[-1] == ("held", "quiet_hours")
    claimed, _ = _claim(engine, "sms", message.next_attempt_at)
    assert [c.outgoing.message_id for c in claimed] == [message_id]


def test_the_cap_lets_one_of_two_through_and_a_retry_gives_its_place_back(seeded, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    first, second = _queue(engine, 1001, "sms", NOON, n=2)
    claimed, report = _claim(engine, "sms", NOON)
    assert [c.outgoing.message_id for c in claimed] == [first] and report.cancelled == 1
    assert _outcomes(engine, second)[-1] == ("blocked", "cap")
    with transaction(engine) as session:
        assert session.get(Message, first).status == "sending" and session.get(Message, first).attempts == 1
        dispatch.settle(
            session,
            claimed,
            [
                SendResult(
                    first, error=TransportError("busy", permanent=False, reason="throttled", retry_after=60)
                )
            ],
            report=report,
            now=NOON,
        )
    with transaction(engine) as session:
        message = session.get(Message, first)
        assert message.status == "queued" and message.next_attempt_at == NOON + dt.timedelta(seconds=60)
        assert session.scalar(select(func.count()).select_from(ContactTouch)) == 0
    claimed, _ = _claim(engine, "sms", NOON + dt.timedelta(minutes=2))
    with transaction(engine) as session:
        dispatch.settle(session, claimed, [SendResult(first, provider_id="smsc-1")], report=report, now=NOON)
    with transaction(engine) as session:
        message = session.get(Message, first)
        assert (message.status, message.provider_id, message.attempts) == ("sent", "smsc-1", 2)
        assert session.scalar(select(func.count()).select_from(ContactTouch)) == 1
    assert _outcomes(engine, first)[-1] == ("sent", None)


def test_a_hard_bounce_fails_the_message_and_marks_the_address(seeded, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    (message_id,) = _queue(engine, 1001, "email", NOON)
    claimed, report = _claim(engine, "email", NOON)
    with transaction(engine) as session:
        error = TransportError("550 no such user", permanent=True, reason="hard_bounce")
        dispatch.settle(session, claimed, [SendResult(message_id, error=error)], report=report, now=NOON)
    with transaction(engine) as session:
        assert session.get(Message, message_id).status == "failed"
        assert session.get(UnreachablePoint, ("petr.fedorov@mail.ru", "email")) is not None
        decision = gate.decide(session, player_id=1001, channel="email", message_class="marketing", at=NOON)
        assert decision.blocked_by == "unreachable"
        marked = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "contact_policy.unreachable")
        ).one()
        assert marked.actor == "job:messaging.dispatch"
        assert marked.detail == {"channel": "email", "contact_point": "p***@m***.ru", "reason": "hard_bounce"}
    assert _outcomes(engine, message_id)[-1] == ("failed", "provider_refused")


def test_a_dead_workers_message_is_left_in_doubt_not_sent_again(seeded, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    (message_id,) = _queue(engine, 1001, "email", NOON)
    claimed, _ = _claim(engine, "email", NOON)  # the worker dies after recording the attempt
    assert len(claimed) == 1
    assert _claim(engine, "email", NOON + dt.timedelta(minutes=5))[0] == []  # nobody sends it again
    with transaction(engine) as session:
        assert dispatch.mark_in_doubt(session, now=NOON + dt.timedelta(minutes=5)) == 0
        assert dispatch.mark_in_doubt(session, now=NOON + dt.timedelta(minutes=11)) == 1
        assert session.get(Message, message_id).status == "in_doubt"


def test_a_receipt_that_beats_the_settlement_is_kept_then_applied(seeded, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """An SMSC may report delivery before the dispatcher has recorded the provider's id for its batch."""
    with clock.frozen(NOON):
        (message_id,) = _queue(engine, 1001, "sms", NOON)
        claimed, _ = _claim(engine, "sms", NOON)
        early = DeliveryReceipt(provider_id="smsc-42", status="delivered")
        with transaction(engine) as session:
            inbound.apply(session, early, channel="sms", at=NOON)
            inbound.apply(session, DeliveryReceipt(provider_id="not-ours", status="delivered"), channel="sms")
        with transaction(engine) as session:
            assert session.get(Message, message_id).status == "sending"
            assert session.scalar(select(func.count()).select_from(EarlyReceipt)) == 2
            results = [SendResult(message_id=message_id, provider_id="smsc-42")]
            dispatch.settle(session, claimed, results, report=dispatch.BatchReport(), now=NOON)
        with transaction(engine) as session:
            assert session.get(Message, message_id).status == "delivered"
            assert session.scalars(select(EarlyReceipt.provider_id)).all() == ["not-ours"]
        assert _outcomes(engine, message_id)[-2:] == [("sent", None), ("delivered", None)]
    # A receipt no message claims within a week is someone else's: dropped.
    with clock.frozen(NOON + dt.timedelta(days=8)), transaction(engine) as session:
        receipts.settle_early_receipts(session, at=clock.now())
        assert session.scalar(select(func.count()).select_from(EarlyReceipt)) == 0


def test_receipts_applied_together_end_each_message_once(seeded, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """A batch of receipts as an SMSC sends them during a campaign: deliveries and failures mixed, one
    repeated, one ahead of its message, one for a message already ended."""
    with clock.frozen(NOON):
        ids = _queue(engine, 1001, "email", NOON, n=3)
        claimed, _ = _claim(engine, "email", NOON)
        assert len(claimed) == 3
        with transaction(engine) as session:
            results = [SendResult(message_id=m, provider_id=f"p{m}") for m in ids]
            dispatch.settle(session, claimed, results, report=dispatch.BatchReport(), now=NOON)
        first, second, third = ids
        batch = [
            receipts.Receipt("email", f"p{first}", "delivered", NOON),
            receipts.Receipt("email", f"p{second}", "undeliverable", NOON),
            receipts.Receipt("email", f"p{first}", "delivered", NOON),
            receipts.Receipt("email", "p-later", "delivered", NOON),
            receipts.Receipt("email", f"p{third}", "delivered", NOON),
        ]
        with transaction(engine) as session:
            assert receipts.apply_receipts(session, batch) == 3
        with transaction(engine) as session:
            # A later, contradicting receipt for a message already ended changes nothing.
            late = receipts.Receipt("email", f"p{third}", "undeliverable", NOON)
            assert receipts.apply_receipts(session, [late]) == 0
            statuses = [session.get(Message, m).status for m in ids]
            assert statuses == ["delivered", "failed", "delivered"]
            assert session.scalars(select(EarlyReceipt.provider_id)).all() == ["p-later"]
    assert _outcomes(engine, first)[-2:] == [("sent", None), ("delivered", None)]
    assert _outcomes(engine, second)[-2:] == [("sent", None), ("failed", "provider_refused")]
    assert _outcomes(engine, third)[-2:] == [("sent", None), ("delivered", None)]


def test_a_bad_receipt_among_many_costs_only_itself(seeded, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """Receipts are applied together; when the batch fails (here a receipt naming no provider id), each is
    applied on its own and only the bad one is lost (logged)."""
    with clock.frozen(NOON):
        ids = _queue(engine, 1001, "email", NOON, n=2)
        claimed, _ = _claim(engine, "email", NOON)
        with transaction(engine) as session:
            results = [SendResult(message_id=m, provider_id=f"p{m}") for m in ids]
            dispatch.settle(session, claimed, results, report=dispatch.BatchReport(), now=NOON)
        sender = Sender(engine, {})
        bad = DeliveryReceipt(provider_id=None, status="delivered")  # type: ignore[arg-type]
        sender._apply(
            [
                (DeliveryReceipt(provider_id=f"p{ids[0]}", status="delivered"), "email"),
                (bad, "email"),
                (DeliveryReceipt(provider_id=f"p{ids[1]}", status="delivered"), "email"),
            ]
        )
        assert sender.inbound_applied == 2
        with transaction(engine) as session:
            assert [session.get(Message, m).status for m in ids] == ["delivered", "delivered"]
            assert session.scalar(select(func.count()).select_from(EarlyReceipt)) == 0
