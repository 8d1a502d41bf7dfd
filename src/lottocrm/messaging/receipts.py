"""Delivery receipts, applied a batch at a time, including the ones that arrive before the dispatcher has
recorded whom they are for.

An SMSC reports thousands of deliveries a second during a campaign, so receipts are applied set-based: one
read of the messages they name, one guarded UPDATE per reported status, one insert into the contact history.
An SMSC may also report delivery within milliseconds of ``submit_sm_resp``, while the dispatcher records the
provider's ids for a whole batch only after the batch is sent. A receipt whose provider id no message carries
yet is kept (``early_receipts``) and applied as soon as its message is settled: at the end of every batch's
settlement and whenever the sender has applied what arrived. A receipt kept a week with no message is not
ours (another system on the same account) and is dropped.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from lottocrm.contact_policy.models import ContactHistory
from lottocrm.contact_policy.reasons import Reason
from lottocrm.messaging.history import MESSAGE_FIELDS, history_row
from lottocrm.messaging.models import EarlyReceipt, Message

KEPT = dt.timedelta(days=7)
# Statuses a receipt may still end; a message already delivered or failed ignores a repeated receipt.
OPEN = ("sent", "in_doubt")
# Provider ids per read (an IN list both databases take comfortably).
CHUNK = 1_000


@dataclass(frozen=True)
class Receipt:
    """A provider's report on the message it knows as ``provider_id``, received at ``at``."""

    channel: str
    provider_id: str
    status: str
    at: dt.datetime


def _end(session: Session, ended: Sequence[tuple[Any, Receipt]]) -> int:
    """End each (message row, receipt) still open, as delivered or failed, with its history row; one
    UPDATE per reported status and moment. Returns how many ended."""
    groups: dict[tuple[str, dt.datetime], dict[int, Any]] = defaultdict(dict)
    for message, receipt in ended:
        groups[(receipt.status, receipt.at)][message.id] = message
    history: list[dict[str, Any]] = []
    for (status, at), messages in groups.items():
        delivered = status == "delivered"
        changed = session.scalars(
            update(Message)
            .where(Message.id.in_(list(messages)), Message.status.in_(OPEN))
            .values(status="delivered" if delivered else "failed", finished_at=at)
            .returning(Message.id)
            .execution_options(synchronize_session=False)
        ).all()
        why = None if delivered else Reason.of("provider_refused", why=status)
        outcome = "delivered" if delivered else "failed"
        history += [history_row(messages[key], outcome, at=at, reason=why) for key in changed]
    if history:
        session.execute(insert(ContactHistory), history)
    return len(history)


def _messages_named(session: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The messages (id, status and history fields) of (channel, provider id) pairs, by pair."""
    columns = [
        Message.id,
        Message.provider_id,
        Message.status,
        *(getattr(Message, n) for n in MESSAGE_FIELDS),
    ]
    by_channel: dict[str, list[str]] = defaultdict(list)
    for channel, provider_id in keys:
        by_channel[channel].append(provider_id)
    found: dict[tuple[str, str], Any] = {}
    for channel, provider_ids in by_channel.items():
        for first in range(0, len(provider_ids), CHUNK):
            chunk = provider_ids[first : first + CHUNK]
            for row in session.execute(
                select(*columns).where(Message.channel == channel, Message.provider_id.in_(chunk))
            ):
                found[(channel, row.provider_id)] = row
    return found


def apply_receipts(session: Session, receipts: Sequence[Receipt]) -> int:
    """End the messages the receipts name; keep the receipts no message names yet. A repeated receipt
    changes nothing. Returns how many messages ended."""
    first: dict[tuple[str, str], Receipt] = {}
    for receipt in receipts:
        first.setdefault((receipt.channel, receipt.provider_id), receipt)
    found = _messages_named(session, first)
    early = [receipt for key, receipt in first.items() if key not in found]
    if early:
        session.execute(
            insert(EarlyReceipt),
            [
                {"channel": r.channel, "provider_id": r.provider_id, "status": r.status, "received_at": r.at}
                for r in early
            ],
        )
    return _end(session, [(found[key], receipt) for key, receipt in first.items() if key in found])


def apply_receipt(session: Session, *, channel: str, provider_id: str, status: str, at: dt.datetime) -> None:
    """One receipt (``apply_receipts`` of one)."""
    apply_receipts(session, [Receipt(channel, provider_id, status, at)])


def settle_early_receipts(session: Session, *, at: dt.datetime) -> int:
    """Apply the kept receipts whose messages are now known; drop those kept too long. How many applied."""
    kept = session.execute(
        select(
            EarlyReceipt.id,
            EarlyReceipt.channel,
            EarlyReceipt.provider_id,
            EarlyReceipt.status,
            EarlyReceipt.received_at,
        ).join(
            Message,
            (Message.channel == EarlyReceipt.channel) & (Message.provider_id == EarlyReceipt.provider_id),
        )
    ).all()
    matched = [Receipt(row.channel, row.provider_id, row.status, row.received_at) for row in kept]
    found = _messages_named(session, {(r.channel, r.provider_id) for r in matched})
    _end(session, [(found[(r.channel, r.provider_id)], r) for r in matched])
    doomed = [row.id for row in kept]
    for first in range(0, len(doomed), CHUNK):
        session.execute(delete(EarlyReceipt).where(EarlyReceipt.id.in_(doomed[first : first + CHUNK])))
    session.execute(delete(EarlyReceipt).where(EarlyReceipt.received_at < at - KEPT))
    return len(matched)
