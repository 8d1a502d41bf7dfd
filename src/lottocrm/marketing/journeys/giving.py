"""The steps that give or ask for something besides a message: an offer (bonus points, a promo code) and a
call task for the contact centre.

An offer is recorded once per (instance, step, visit) in ``journey_offers``, in the walk's transaction, with
the loyalty operation that moved the points (source key ``journey-offer:<instance>:<step>:<visit>``, unique
in the ledger): a walk repeated after a crash gives nothing twice. A player without a loyalty account gets
no points (there is nowhere to put them), and the visit says so. A later send step's
template reads the instance's latest code as ``promo_code`` (:func:`promo_code_values`).

A call task is a message on the ``call`` channel: the contact policy decides it like any other (consent to
calls, quiet hours, caps), and the dispatcher files it in the operators' call list with the note as its text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor, record
from lottocrm.contact_policy.service import decide
from lottocrm.loyalty.programme.bonuses import grant_bonus, member_accounts
from lottocrm.marketing.journeys.definition import CallTask, GiveOffer, JourneyDefinition
from lottocrm.marketing.journeys.models import JourneyInstance, JourneyOffer
from lottocrm.marketing.promo_codes import unique_codes
from lottocrm.messaging.service import Content, Outgoing, queue_messages

GIVER = Actor("job:journeys")


def give_offer(
    session: Session, instance: JourneyInstance, name: str, step: GiveOffer, *, visit: int, at: dt.datetime
) -> str:
    """The visit's outcome: "given", or "not_given" (points to a player without a loyalty account)."""
    done = session.scalar(
        select(JourneyOffer).where(
            JourneyOffer.instance_id == instance.id, JourneyOffer.step == name, JourneyOffer.visit == visit
        )
    )
    if done is not None:
        return _outcome(step, done)
    operation_id = None
    if step.bonus_points is not None:
        account_id = member_accounts(session, [instance.player_id]).get(instance.player_id)
        if account_id is not None:
            granted = grant_bonus(
                session,
                account_id=account_id,
                points=step.bonus_points,
                source_key=f"journey-offer:{instance.id}:{name}:{visit}",
                actor=GIVER.name,
                reason=f"journey {instance.journey_id}, step {name}",
                now=at,
            )
            operation_id = granted.operation_id if granted is not None else None
    given = JourneyOffer(
        instance_id=instance.id,
        step=name,
        visit=visit,
        journey_id=instance.journey_id,
        player_id=instance.player_id,
        points=step.bonus_points if operation_id is not None else None,
        operation_id=operation_id,
        promo_code=unique_codes(session, 1)[0] if step.promo_code else None,
        value_kopecks=step.value_kopecks,
        given_at=at,
    )
    session.add(given)
    session.flush()
    record(
        session,
        actor=GIVER,
        action="journey.offer_given",
        detail={
            "journey_id": instance.journey_id,
            "step": name,
            "player_id": instance.player_id,
            "points": given.points or 0,
            "promo_code": given.promo_code is not None,
        },
    )
    return _outcome(step, given)


def _outcome(step: GiveOffer, given: JourneyOffer) -> str:
    return "not_given" if step.bonus_points is not None and given.operation_id is None else "given"


def file_call(
    session: Session,
    instance: JourneyInstance,
    definition: JourneyDefinition,
    name: str,
    step: CallTask,
    *,
    visit: int,
    at: dt.datetime,
) -> str:
    """ "sent:call" when the contact policy lets an operator call the player, else "not_sent:<reason>"."""
    decision = decide(
        session,
        player_id=instance.player_id,
        channel="call",
        message_class=definition.message_class,
        at=at,
        source_kind="journey",
        source_id=str(instance.journey_id),
    )
    if decision.permit is None:
        return f"not_sent:{decision.blocked_by or 'none'}"
    queue_messages(
        session,
        [
            Outgoing(
                decision.permit, Content(body=step.note), dedupe_key=f"journey:{instance.id}:{name}:{visit}"
            )
        ],
        at=at,
    )
    return "sent:call"


def promo_code_values(session: Session, messages: Sequence[Any]) -> dict[int, dict[str, object]]:
    """The dispatcher's per-message variables: a journey message's ``promo_code`` is the latest code its
    instance was given before it (the dedupe key ``journey:<instance>:…`` names the instance)."""
    instances = {
        m.id: int(m.dedupe_key.split(":")[1])
        for m in messages
        if m.source_kind == "journey" and m.dedupe_key and m.dedupe_key.startswith("journey:")
    }
    if not instances:
        return {}
    rows = session.execute(
        select(JourneyOffer.instance_id, JourneyOffer.promo_code)
        .where(
            JourneyOffer.instance_id.in_(sorted(set(instances.values()))),
            JourneyOffer.promo_code.is_not(None),
        )
        .order_by(JourneyOffer.id)
    ).all()
    latest = {int(instance_id): code for instance_id, code in rows}
    return {
        message_id: {"promo_code": latest[instance_id]}
        for message_id, instance_id in instances.items()
        if instance_id in latest
    }
