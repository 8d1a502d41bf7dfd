"""Messages a dead dispatcher left ``sending``: asked about at the provider, never sent twice, never lost.

A worker records the attempt (``sending``) before it asks the provider and settles the answer after; killed
in between, it leaves messages the provider may or may not have taken. Once their lease has passed (the
worker is surely gone), ``reconcile`` settles them:

- the transport can look them up (:class:`~.channels.base.Reconcilable`): a message the provider took is
  ``sent`` with the provider's id (its place under the caps, taken at the claim, is kept, and its receipt
  will match); one it never took is queued again at once and its cap place given back — the next claim asks
  the gate again and takes a place anew, so the caps count it once;
- it cannot (no status API): the messages become ``in_doubt`` for a person, as nothing can be proved.

Every update is conditional on ``sending``, so a slow but living worker's own settle is never overwritten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from lottocrm import clock
from lottocrm.contact_policy import ledger
from lottocrm.db.engine import transaction
from lottocrm.messaging.channels.base import Reconcilable, Transport, TransportError
from lottocrm.messaging.dispatch import LEASE, mark_in_doubt
from lottocrm.messaging.history import record_for_message
from lottocrm.messaging.models import Message

BATCH = 1000


@dataclass
class ReconcileReport:
    sent: int = 0
    requeued: int = 0
    in_doubt: int = 0
    # The provider could not be asked now: left ``sending`` for the next round.
    unanswered: int = 0


def _stale(engine: Engine, *, channel: str, before: dt.datetime) -> list[int]:
    with transaction(engine) as session:
        return list(
            session.scalars(
                select(Message.id)
                .where(Message.status == "sending", Message.channel == channel, Message.attempted_at < before)
                .order_by(Message.id)
                .limit(BATCH)
            )
        )


async def reconcile(
    engine: Engine,
    transport: Transport,
    *,
    channel: str | None = None,
    lease: dt.timedelta = LEASE,
    now: dt.datetime | None = None,
) -> ReconcileReport:
    """Settle ``channel``'s messages ``sending`` for longer than ``lease`` (see the module's description)."""
    report = ReconcileReport()
    moment = now or clock.now()
    channel = channel or transport.channel
    if not (isinstance(transport, Reconcilable) and transport.can_look_up):
        with transaction(engine) as session:
            report.in_doubt = mark_in_doubt(session, now=moment, lease=lease, channel=channel)
        return report
    while stale := _stale(engine, channel=channel, before=moment - lease):
        try:
            answers = await transport.lookup(stale)
        except TransportError:
            report.unanswered += len(stale)
            return report
        with transaction(engine) as session:
            _settle(session, answers, report=report, now=clock.now())
        if len(stale) < BATCH:
            break
    return report


def _settle(session, answers: dict[int, str | None], *, report: ReconcileReport, now: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    taken = {message_id: provider_id for message_id, provider_id in answers.items() if provider_id}
    not_taken = [message_id for message_id, provider_id in answers.items() if not provider_id]
    messages = session.scalars(
        select(Message).where(Message.id.in_(list(taken)), Message.status == "sending")
    ).all()
    for message in messages:
        message.status, message.provider_id, message.sent_at = "sent", taken[message.id], now
        message.last_error = None
        record_for_message(session, message, "sent", at=now)
        report.sent += 1
    if not_taken:
        requeued = session.scalars(
            update(Message)
            .where(Message.id.in_(not_taken), Message.status == "sending")
            .values(
                status="queued",
                next_attempt_at=now,
                last_error="a sender stopped before the provider took it",
            )
            .returning(Message.id)
        ).all()
        ledger.release(session, message_ids=list(requeued))
        report.requeued += len(requeued)
