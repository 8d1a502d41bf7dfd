"""The players' changes that can stop a filed call, acted on as soon as they commit: the player's open call
tasks are asked the gate again (``recheck.cancel_stopped``) in the subscriber's own transaction, once per
event. Why a subscriber and not the change's own transaction: see :mod:`.recheck`."""

from __future__ import annotations

from sqlalchemy import select

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.events.delivery import EventContext
from lottocrm.messaging.call_list.models import CallTask
from lottocrm.messaging.call_list.recheck import cancel_stopped
from lottocrm.players.events import ConsentChanged, IdentityChanged, ResponsibleGamingChanged


def _cannot_stop_a_call(payload: ResponsibleGamingChanged | ConsentChanged | IdentityChanged) -> bool:
    if isinstance(payload, ConsentChanged):
        # A grant stops nothing; of the withdrawals, personal data counts on any channel, the rest only on
        # the call channel.
        return payload.granted or (payload.purpose != "personal_data" and payload.channel != "call")
    if isinstance(payload, IdentityChanged):
        return payload.kind != "phone"
    return False


def recheck_open_calls(context: EventContext) -> None:
    """Cancel the player's open call tasks that the gate now stops (a self-exclusion, a time-out, a consent
    withdrawn, the phone replaced or removed)."""
    payload = context.payload
    if not isinstance(payload, ResponsibleGamingChanged | ConsentChanged | IdentityChanged):
        raise TypeError(f"recheck_open_calls does not subscribe to {payload.name!r}")
    if _cannot_stop_a_call(payload):
        return
    with context.once() as session:
        tasks = session.scalars(
            select(CallTask).where(CallTask.player_id == payload.player_id, CallTask.status == "open")
        ).all()
        cancel_stopped(session, actor=Actor.job(context.subscriber), tasks=tasks, at=clock.now())
