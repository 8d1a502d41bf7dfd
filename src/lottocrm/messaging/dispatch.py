"""The dispatcher: takes due messages from the outbox, asks the gate again, sends them through their
channel's transport and records what the provider said.

A batch goes through three steps, each its own transaction except the sending:

1. ``claim``: lock the due messages (``SKIP LOCKED`` on PostgreSQL, so several dispatchers share the
   outbox), ``contact_policy.release.recheck`` them, render the permitted ones queued without their text
   (``render_due.py``; one that cannot be rendered fails alone), mark the permitted ones ``sending`` with the
   attempt recorded, cancel the blocked ones and push the held ones to the end of their quiet hours. Commit.
2. send the permitted ones through the transport, concurrently within its window.
3. ``settle``: each message's answer — sent (with the provider's id), retried later (a temporary error,
   its cap place given back), or failed for good (an unreachable address is marked so). Commit.

A worker that dies between 1 and 3 leaves messages ``sending``: the provider may or may not have taken
them, so they are never sent again blindly. After the lease, ``reconcile`` asks a provider that can be
asked and settles them (sent, or queued again); with one that cannot, ``mark_in_doubt`` leaves them
``in_doubt`` for a person. No message is sent twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.contact_policy import ledger
from lottocrm.contact_policy.permits import Permit
from lottocrm.contact_policy.reasons import Reason
from lottocrm.contact_policy.release import Pending, recheck
from lottocrm.db.engine import transaction
from lottocrm.messaging import push_subscriptions, unsubscribe
from lottocrm.messaging.channels.base import OutgoingMessage, SendResult, Transport, TransportError
from lottocrm.messaging.models import Message
from lottocrm.messaging.receipts import settle_early_receipts
from lottocrm.messaging.render_due import Failure, Text, render_due, to_render
from lottocrm.messaging.service import TO_RENDER
from lottocrm.settings import get_settings

# Waits before the next attempt after a temporary error; after the last, the message fails.
BACKOFF = (
    dt.timedelta(seconds=30),
    dt.timedelta(minutes=2),
    dt.timedelta(minutes=10),
    dt.timedelta(hours=1),
    dt.timedelta(hours=6),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# A message "sending" for longer than this belongs to a dead worker.
LEASE = dt.timedelta(minutes=10)
DISPATCHER = Actor("job:messaging.dispatch")
# Temporary refusals that are a provider's "not before" rather than an error, and batches claimed but never
# handed to the provider: they do not use up attempts.
WAITS = frozenset({"queue_full", "not_sent"})
# Addresses a provider's permanent refusal proves unreachable.
UNREACHABLE_REASONS = frozenset({"hard_bounce", "invalid_address", "gone"})


@dataclass(frozen=True)
class Claimed:
    """A message permitted to leave now, as the transport needs it."""

    permit: Permit
    outgoing: OutgoingMessage
    attempts: int


@dataclass
class BatchReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    held: int = 0


# What a claim reads of each due message: rows, not ORM objects (500 of them a batch, read and changed once).
_DUE_COLUMNS = (
    Message.id,
    Message.player_id,
    Message.channel,
    Message.message_class,
    Message.contact_point,
    Message.source_kind,
    Message.source_id,
    # What the domains' message values know a message by (a journey's instance is in its key).
    Message.dedupe_key,
    Message.address,
    Message.subject,
    Message.body,
    Message.html,
    Message.headers,
    Message.attempts,
    Message.template_version_id,
    Message.extra,
)


def _due(session: Session, *, channel: str, limit: int, now: dt.datetime) -> list[Any]:
    query = (
        select(*_DUE_COLUMNS)
        .where(Message.status == "queued", Message.channel == channel, Message.next_attempt_at <= now)
        .order_by(Message.next_attempt_at, Message.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Message)
    return list(session.execute(query))


def _unsubscribe_headers(message: Any) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe on every marketing e-mail, signed for this message."""
    if message.channel != "email" or message.message_class != "marketing":
        return {}
    url = unsubscribe.link(
        get_settings(), player_id=message.player_id, channel="email", message_id=message.id
    )
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _record_claim(
    session: Session,
    *,
    sending: list[int],
    held: dict[int, dt.datetime],
    cancelled: dict[str, list[int]],
    failed: dict[str, list[int]],
    rendered: list[dict[str, Any]],
    now: dt.datetime,
) -> None:
    """The batch's new states: one UPDATE for the messages leaving, one per reason for those stopped or
    failed (a text that could not be rendered), one executemany for those held (each until its own moment)
    and one for the texts rendered now."""
    quiet = {"synchronize_session": False}
    outbox = Message.__table__
    if rendered:
        session.execute(
            update(outbox)
            .where(outbox.c.id == bindparam("key"))
            .values(
                body=bindparam("body"),
                subject=bindparam("subject"),
                html=bindparam("html"),
                extra=bindparam("extra"),
            ),
            rendered,
        )
    if sending:
        session.execute(
            update(Message)
            .where(Message.id.in_(sending))
            .values(status="sending", attempts=Message.attempts + 1, attempted_at=now)
            .execution_options(**quiet)
        )
    for reason, ids in cancelled.items():
        session.execute(
            update(Message)
            .where(Message.id.in_(ids))
            .values(status="cancelled", finished_at=now, last_error=reason)
            .execution_options(**quiet)
        )
    for error, ids in failed.items():
        session.execute(
            update(Message)
            .where(Message.id.in_(ids))
            .values(status="failed", finished_at=now, last_error=error)
            .execution_options(**quiet)
        )
    if held:
        # Core, not the ORM's bulk update: each row is keyed by its own bound id.
        session.execute(
            update(outbox)
            .where(outbox.c.id == bindparam("key"))
            .values(not_before=bindparam("until"), next_attempt_at=bindparam("until")),
            [{"key": key, "until": until} for key, until in held.items()],
        )


def _rendered_row(message: Any, text: Text) -> dict[str, Any]:
    """The text kept on the row: what was sent can be shown again, and a retry sends the same words."""
    extra = {key: value for key, value in (message.extra or {}).items() if key != TO_RENDER}
    return {"key": message.id, "body": text.body, "subject": text.subject, "html": text.html, "extra": extra}


def claim(
    session: Session, *, channel: str, limit: int, report: BatchReport, now: dt.datetime
) -> list[Claimed]:
    messages = _due(session, channel=channel, limit=limit, now=now)
    pending = [
        Pending(m.id, m.player_id, m.channel, m.message_class, m.contact_point, m.source_kind, m.source_id)
        for m in messages
    ]
    claimed: list[Claimed] = []
    verdicts = recheck(session, pending, at=now)
    # A browser's subscription is read when its message leaves: its keys may have been renewed since.
    subscriptions = push_subscriptions.addresses(
        session, (m.contact_point for m, v in zip(messages, verdicts, strict=True) if v.permit is not None)
    )
    held: dict[int, dt.datetime] = {}
    cancelled: dict[str, list[int]] = defaultdict(list)
    texts = render_due(
        session,
        [m for m, v in zip(messages, verdicts, strict=True) if v.permit is not None and to_render(m)],
        at=now,
    )
    rendered: list[dict[str, Any]] = []
    failed: dict[str, list[int]] = defaultdict(list)
    unrendered: list[ledger.Outcome] = []
    for message, verdict in zip(messages, verdicts, strict=True):
        if verdict.permit is not None:
            text = texts.get(message.id)
            if isinstance(text, Failure):
                unrendered.append(
                    ledger.Outcome("failed", permit=verdict.permit, message_id=message.id, reason=text.reason)
                )
                failed[text.error].append(message.id)
                continue
            if text is not None:
                rendered.append(_rendered_row(message, text))
            claimed.append(
                Claimed(
                    permit=verdict.permit,
                    attempts=message.attempts + 1,
                    outgoing=OutgoingMessage(
                        message_id=message.id,
                        channel=message.channel,
                        to=subscriptions.get(message.contact_point, message.address),
                        body=text.body if text else message.body,
                        subject=text.subject if text else message.subject,
                        html=text.html if text else message.html,
                        headers={**(message.headers or {}), **_unsubscribe_headers(message)},
                    ),
                )
            )
        elif verdict.held_until is not None:
            held[message.id] = verdict.held_until
        else:
            assert verdict.reason is not None
            cancelled[verdict.reason.code].append(message.id)
    _record_claim(
        session,
        sending=[item.outgoing.message_id for item in claimed],
        held=held,
        cancelled=cancelled,
        failed=failed,
        rendered=rendered,
        now=now,
    )
    if unrendered:
        # Never handed to a provider: their places under the caps go back.
        ledger.release(session, message_ids=[key for ids in failed.values() for key in ids])
        ledger.record(session, unrendered, at=now)
    report.failed += len(unrendered)
    report.claimed += len(claimed)
    report.held += len(held)
    report.cancelled += sum(len(ids) for ids in cancelled.values())
    return claimed


def settle(
    session: Session,
    claimed: Sequence[Claimed],
    results: Sequence[SendResult],
    *,
    report: BatchReport,
    now: dt.datetime,
) -> None:
    outcomes: list[ledger.Outcome] = []
    released: list[int] = []
    changes: list[dict[str, object]] = []
    for item, result in zip(claimed, results, strict=True):
        message_id = item.outgoing.message_id
        if result.accepted:
            values = {"status": "sent", "provider_id": result.provider_id, "sent_at": now, "last_error": None}
            outcomes.append(ledger.Outcome("sent", permit=item.permit, message_id=message_id))
            report.sent += 1
        else:
            error = result.error
            assert error is not None
            released.append(message_id)
            if not error.permanent and error.reason in WAITS and error.retry_after is not None:
                # Not a failed attempt: the provider takes it later (a call queue full for today).
                values = {
                    "status": "queued",
                    "attempts": item.attempts - 1,
                    "next_attempt_at": now + dt.timedelta(seconds=error.retry_after),
                    "last_error": f"{error.reason}: {error}"[:300],
                }
                report.retried += 1
            elif not error.permanent and item.attempts < MAX_ATTEMPTS:
                wait = BACKOFF[item.attempts - 1]
                if error.retry_after:
                    wait = max(wait, dt.timedelta(seconds=error.retry_after))
                values = {
                    "status": "queued",
                    "next_attempt_at": now + wait,
                    "last_error": f"{error.reason}: {error}"[:300],
                }
                report.retried += 1
            else:
                values = {
                    "status": "failed",
                    "finished_at": now,
                    "last_error": f"{error.reason}: {error}"[:300],
                }
                reason = Reason.of("provider_refused", why=error.reason)
                outcomes.append(
                    ledger.Outcome("failed", permit=item.permit, message_id=message_id, reason=reason)
                )
                if error.permanent and error.reason in UNREACHABLE_REASONS:
                    ledger.mark_unreachable(
                        session,
                        actor=DISPATCHER,
                        channel=item.permit.channel,
                        contact_point=item.permit.contact_point,
                        reason=error.reason,
                        at=now,
                    )
                    if push_subscriptions.is_webpush_point(item.permit.contact_point):
                        push_subscriptions.mark_gone(session, device=item.permit.contact_point, at=now)
                report.failed += 1
        changes.append({"id": message_id, **values})
    # One UPDATE per shape of change (executemany by primary key), only of messages still "sending".
    if changes:
        session.execute(
            update(Message).where(Message.status == "sending"),
            changes,
            execution_options={"synchronize_session": None},
        )
    # A place under the caps is kept only by a message the provider took; a retry takes one again.
    ledger.release(session, message_ids=released)
    ledger.record(session, outcomes, at=now)
    # Receipts that beat this settlement to the database find their messages now.
    settle_early_receipts(session, at=now)


def mark_in_doubt(
    session: Session,
    *,
    now: dt.datetime | None = None,
    lease: dt.timedelta = LEASE,
    channel: str | None = None,
) -> int:
    """Messages a dead worker left "sending" (of ``channel``, or all): in doubt, never resent blindly. Their
    count. A transport that can look messages up settles them instead (``reconcile``)."""
    moment = now or clock.now()
    stale = [Message.status == "sending", Message.attempted_at < moment - lease]
    if channel is not None:
        stale.append(Message.channel == channel)
    result = session.execute(
        update(Message)
        .where(*stale)
        .values(status="in_doubt", last_error="a sender stopped while the provider was asked")
    )
    return result.rowcount or 0


async def dispatch_batch(
    engine: Engine,
    transport: Transport,
    *,
    channel: str | None = None,
    limit: int = 500,
    now: dt.datetime | None = None,
) -> BatchReport:
    """Claim, send and settle one batch of messages of ``channel`` (the contact-policy channel; default the
    transport's own name) through ``transport``."""
    report = BatchReport()
    moment = now or clock.now()
    # The database work runs in a thread: the event loop keeps reading the providers' answers and
    # receipts meanwhile (an SMSC whose receipts go unread stops answering submissions).
    claimed = await asyncio.to_thread(
        _claim_in_transaction, engine, channel or transport.channel, limit, report, moment
    )
    if not claimed:
        return report
    results = await transport.send_many([item.outgoing for item in claimed])
    await asyncio.to_thread(_settle_in_transaction, engine, claimed, results, report)
    return report


def _claim_in_transaction(
    engine: Engine, channel: str, limit: int, report: BatchReport, now: dt.datetime
) -> list[Claimed]:
    with transaction(engine) as session:
        return claim(session, channel=channel, limit=limit, report=report, now=now)


def _settle_in_transaction(
    engine: Engine, claimed: Sequence[Claimed], results: Sequence[SendResult], report: BatchReport
) -> None:
    with transaction(engine) as session:
        settle(session, claimed, results, report=report, now=clock.now())


def _add(total: BatchReport, report: BatchReport) -> None:
    for name in vars(total):
        setattr(total, name, getattr(total, name) + getattr(report, name))


async def drain(
    engine: Engine,
    transport: Transport,
    *,
    channel: str | None = None,
    limit: int = 500,
    stop: asyncio.Event | None = None,
) -> BatchReport:
    """Dispatch batches until none of the channel's messages is due (or ``stop`` is set), pipelined: the
    next batch is claimed while this one is on the wire, and each batch settles while the next is sent, so
    the provider's window is not left idle while the database works. A campaign of 700 000 SMS is ~1 400
    batches; done one after another, each would wait for its claim and its settlement."""
    name = channel or transport.channel
    reports: list[BatchReport] = []
    settling: list[asyncio.Task[None]] = []

    async def claiming() -> tuple[BatchReport, list[Claimed]]:
        report = BatchReport()
        reports.append(report)
        claimed = await asyncio.to_thread(_claim_in_transaction, engine, name, limit, report, clock.now())
        return report, claimed

    upcoming: asyncio.Task[tuple[BatchReport, list[Claimed]]] | None = asyncio.create_task(claiming())
    try:
        while upcoming is not None:
            this, upcoming = upcoming, None
            report, claimed = await this
            # A batch whose every message was stopped, held or could not be rendered still leaves more due.
            if (report.claimed or report.cancelled or report.held or report.failed) and not (
                stop and stop.is_set()
            ):
                upcoming = asyncio.create_task(claiming())
            if claimed:
                results = await transport.send_many([item.outgoing for item in claimed])
                # One settlement in flight at a time: a second would only queue for the database.
                if settling:
                    await settling.pop()
                settling.append(
                    asyncio.create_task(
                        asyncio.to_thread(_settle_in_transaction, engine, claimed, results, report)
                    )
                )
    finally:
        if upcoming is not None:
            # The sending failed while the next batch was being claimed: that batch never left, so it
            # goes back to the queue, its attempt and cap places given back.
            report, claimed = await upcoming
            unsent = [SendResult(item.outgoing.message_id, error=_not_sent()) for item in claimed]
            await asyncio.to_thread(_settle_in_transaction, engine, claimed, unsent, report)
        await asyncio.gather(*settling)
    total = BatchReport()
    for report in reports:
        _add(total, report)
    return total


def _not_sent() -> TransportError:
    return TransportError(
        "claimed but not sent: the sender stopped", permanent=False, reason="not_sent", retry_after=0
    )
