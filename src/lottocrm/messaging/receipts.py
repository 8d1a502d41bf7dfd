"""Delivery receipts, including the ones that arrive before the dispatcher has recorded whom they are for.

An SMSC may report delivery within milliseconds of ``submit_sm_resp``, while the dispatcher records the
provider's ids for a whole batch only after the batch is sent. A receipt whose provider id no message carries
yet is kept (``early_receipts``) and applied as soon as its message is settled: at the end of every batch's
settlement and whenever the sender has applied what arrived. A receipt kept a week with no message is not
ours (another system on the same account) and is dropped.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lottocrm.contact_policy.reasons import Reason
from lottocrm.messaging.history import record_for_message
from lottocrm.messaging.models import EarlyReceipt, Message

KEPT = dt.timedelta(days=7)


def _end(session: Session, message: Message, status: str, at: dt.datetime) -> None:
    delivered = status == "delivered"
    message.status, message.finished_at = ("delivered" if delivered else "failed"), at
    why = None if delivered else Reason.of("provider_refused", why=status)
    record_for_message(session, message, "delivered" if delivered else "failed", at=at, reason=why)


def apply_receipt(session: Session, *, channel: str, provider_id: str, status: str, at: dt.datetime) -> None:
    """End the message ``provider_id`` names; keep the receipt if no message names it yet."""
    message = session.scalar(
        select(Message).where(Message.channel == channel, Message.provider_id == provider_id)
    )
    if message is None:
        session.add(EarlyReceipt(channel=channel, provider_id=provider_id, status=status, received_at=at))
    elif message.status in ("sent", "in_doubt"):
        _end(session, message, status, at)
    # Otherwise it already ended: receipts can repeat.


def settle_early_receipts(session: Session, *, at: dt.datetime) -> int:
    """Apply the kept receipts whose messages are now known; drop those kept too long. How many applied."""
    matched = session.execute(
        select(EarlyReceipt, Message).join(
            Message,
            (Message.channel == EarlyReceipt.channel) & (Message.provider_id == EarlyReceipt.provider_id),
        )
    ).all()
    for receipt, message in matched:
        if message.status in ("sent", "in_doubt"):
            _end(session, message, receipt.status, receipt.received_at)
        session.delete(receipt)
    session.execute(delete(EarlyReceipt).where(EarlyReceipt.received_at < at - KEPT))
    return len(matched)
