"""Real call tasks for the call-list tests: players who agreed to calls, a call queued through the gate and
filed by the dispatcher on the "call" channel."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Engine, select

from helpers.factories import IMPORT
from lottocrm import clock
from lottocrm.contact_policy import service as gate
from lottocrm.db.engine import transaction
from lottocrm.messaging import dispatch
from lottocrm.messaging.call_list.models import CallTask
from lottocrm.messaging.call_list.transport import CallListTransport
from lottocrm.messaging.service import Content, Outgoing, queue_messages
from lottocrm.players import consents

CONSENTED = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
SCRIPT = "Предложить билет на субботний тираж"


def grant_calls(engine: Engine, player_ids: Sequence[int], *, personal_data: bool = False) -> None:
    """Advertising consent on the call channel (and personal data, for players who have none)."""
    purposes = (("personal_data", "web"),) if personal_data else ()
    with transaction(engine) as session:
        for player_id in player_ids:
            for purpose, channel in (*purposes, ("advertising", "call")):
                consents.record_consent(
                    session,
                    actor=IMPORT,
                    player_id=player_id,
                    purpose=purpose,
                    channel=channel,
                    granted=True,
                    source="website",
                    notice_version="2025-01",
                    occurred_at=CONSENTED,
                )


def queue_calls(engine: Engine, player_ids: Sequence[int], at: dt.datetime, body: str = SCRIPT) -> list[int]:
    with transaction(engine) as session:
        items = []
        for player_id in player_ids:
            decision = gate.decide(
                session, player_id=player_id, channel="call", message_class="marketing", at=at
            )
            assert decision.permit is not None, decision.reasons
            items.append(Outgoing(decision.permit, Content(body=body)))
        return [i for i in queue_messages(session, items, at=at) if i is not None]


def file_calls(engine: Engine, at: dt.datetime) -> dispatch.BatchReport:
    """The dispatcher's batch on the call channel at ``at``: the due calls become tasks."""
    with clock.frozen(at):
        return asyncio.run(dispatch.dispatch_batch(engine, CallListTransport(engine), channel="call", now=at))


def tasks_of(engine: Engine, message_ids: Sequence[int]) -> dict[int, CallTask]:
    """The tasks of the messages, by message id, detached."""
    with transaction(engine) as session:
        rows = session.scalars(select(CallTask).where(CallTask.message_id.in_(list(message_ids)))).all()
        session.expunge_all()
    return {task.message_id: task for task in rows}
