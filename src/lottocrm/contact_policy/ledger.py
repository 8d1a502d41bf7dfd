"""The contact history and the cap ledger: what was decided and what happened to each message, and the
places messages take under the caps.

``reserve`` is where concurrent dispatch workers meet: it takes the players' row locks (in id order, so two
workers never deadlock), counts the ledger, and writes a touch for each message that fits, all in the
caller's transaction. A second worker reserving for the same player waits for the first to commit and then
counts its touches, so no cap is ever overshot. On SQLite the write transaction itself is the lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.audit.service import record as audit
from lottocrm.contact_policy import cap_standing, tracking
from lottocrm.contact_policy.document import LONGEST_WINDOW
from lottocrm.contact_policy.exemptions import exempted
from lottocrm.contact_policy.models import OUTCOMES, ContactHistory, ContactTouch, UnreachablePoint
from lottocrm.contact_policy.permits import Permit
from lottocrm.contact_policy.reasons import Reason
from lottocrm.contact_policy.rules import Touch, cap_hit
from lottocrm.contact_policy.service import Decision, current_policy
from lottocrm.contact_policy.standing import IDENTITY_OF_CHANNEL, touches_around
from lottocrm.db.base import UtcDateTime
from lottocrm.players.models import Player
from lottocrm.players.schemas import mask_identity


@dataclass(frozen=True)
class Outcome:
    """One fact for the contact history about a permitted message (``permit``) or a decision that gave
    none (``decision``)."""

    outcome: str
    permit: Permit | None = None
    decision: Decision | None = None
    message_id: int | None = None
    reason: Reason | None = None

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown contact outcome {self.outcome!r}")
        if (self.permit is None) == (self.decision is None):
            raise ValueError("an outcome is about a permit or a decision, not both or neither")


def _row(item: Outcome, at: dt.datetime, source_kind: str, source_id: str | None) -> dict[str, Any]:
    reason = item.reason
    if item.permit is not None:
        permit = item.permit
        return {
            "at": at,
            "player_id": permit.player_id,
            "channel": permit.channel,
            "message_class": permit.message_class,
            "outcome": item.outcome,
            "reason": reason.code if reason else None,
            "detail": reason.detail if reason else None,
            "contact_point": permit.contact_point,
            "source_kind": permit.source_kind,
            "source_id": permit.source_id,
            "message_id": item.message_id,
            "policy_version": permit.policy_version,
            "consent_event_id": permit.consent_event_id,
        }
    decision = item.decision
    assert decision is not None
    first = reason or (decision.reasons[0] if decision.reasons else None)
    return {
        "at": at,
        "player_id": decision.player_id,
        "channel": decision.channel,
        "message_class": decision.message_class,
        "outcome": item.outcome,
        "reason": first.code if first else None,
        "detail": first.detail if first else None,
        "contact_point": None,
        "source_kind": source_kind,
        "source_id": source_id,
        "message_id": item.message_id,
        "policy_version": decision.policy_version,
        "consent_event_id": None,
    }


def record(
    session: Session,
    outcomes: Sequence[Outcome],
    *,
    at: dt.datetime | None = None,
    source_kind: str = "system",
    source_id: str | None = None,
) -> None:
    """Append the outcomes to the contact history in one statement. ``source_kind``/``source_id`` name the
    sender for decisions that carry no permit."""
    if not outcomes:
        return
    moment = at or clock.now()
    session.execute(insert(ContactHistory), [_row(item, moment, source_kind, source_id) for item in outcomes])


def record_held_back(
    session: Session,
    members: Select[Any],
    *,
    at: dt.datetime,
    message_class: str,
    source_kind: str,
    source_id: str,
    policy_version: int,
) -> None:
    """Append "control" rows for ``members`` (a selection of ``player_id`` and ``channel``) in one
    statement: players a campaign chose and deliberately did not send to, so their history says why
    nothing came. Nothing is reserved under the caps: nothing was sent."""
    chosen = members.subquery("held_back")
    rows = select(
        literal(at, UtcDateTime()).label("at"),
        chosen.c.player_id,
        chosen.c.channel,
        literal(message_class).label("message_class"),
        literal("control").label("outcome"),
        literal(source_kind).label("source_kind"),
        literal(source_id).label("source_id"),
        literal(policy_version).label("policy_version"),
    )
    session.execute(
        insert(ContactHistory.__table__).from_select(
            [
                "at",
                "player_id",
                "channel",
                "message_class",
                "outcome",
                "source_kind",
                "source_id",
                "policy_version",
            ],
            rows,
        )
    )


def _lock_players(session: Session, player_ids: list[int]) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # FOR NO KEY UPDATE: waits for another reservation of the same players, but not for inserts that
        # merely reference them (tickets, consents).
        session.execute(
            select(Player.id)
            .where(Player.id.in_(player_ids))
            .order_by(Player.id)
            .with_for_update(key_share=True)
        )


def reserve(
    session: Session, *, permits: Sequence[tuple[Permit, int]], at: dt.datetime | None = None
) -> dict[int, Reason | None]:
    """Take a place under the caps for each ``(permit, message_id)``; returns, per message id, None when it
    fits (a touch is written) or the cap it would break. Messages of classes the policy does not cap pass
    without a touch. Earlier messages in ``permits`` take places first."""
    moment = at or clock.now()
    _, policy = current_policy(session)
    capped = [(p, m) for p, m in permits if policy.caps_for(p.channel, p.message_class)]
    answers: dict[int, Reason | None] = {message_id: None for _, message_id in permits}
    if not capped:
        return answers
    player_ids = sorted({permit.player_id for permit, _ in capped})
    points = sorted({permit.contact_point for permit, _ in capped})
    _lock_players(session, player_ids)
    own, by_point = touches_around(session.connection(), player_ids, points, since=moment - LONGEST_WINDOW)
    written: list[dict[str, Any]] = []
    touched: list[tuple[int, Touch]] = []
    # Campaigns a role with that right let past the caps: their messages take a place without a check.
    free = exempted(session, [(permit.source_kind, permit.source_id) for permit, _ in capped])
    for permit, message_id in capped:
        shared = [touch for owner, touch in by_point[permit.contact_point] if owner != permit.player_id]
        hit = (
            None
            if (permit.source_kind, permit.source_id) in free
            else cap_hit(
                own[permit.player_id],
                rules=policy.caps_for(permit.channel, permit.message_class),
                channel=permit.channel,
                contact_point=permit.contact_point,
                at=moment,
                shared_point_touches=shared,
            )
        )
        if hit is not None:
            answers[message_id] = Reason.of(
                "cap",
                channel=hit.rule.channel,
                per=hit.rule.per,
                window=hit.rule.window,
                count=hit.count,
                limit=hit.rule.limit,
            )
            continue
        touch = Touch(permit.channel, permit.contact_point, moment)
        touched.append((permit.player_id, touch))
        own[permit.player_id].append(touch)
        by_point[permit.contact_point].append((permit.player_id, touch))
        written.append(
            {
                "player_id": permit.player_id,
                "channel": permit.channel,
                "contact_point": permit.contact_point,
                "at": moment,
                "message_id": message_id,
            }
        )
    if written:
        session.execute(insert(ContactTouch), written)
        cap_standing.advance(session.connection(), touched, own=own, on_point=by_point, policy=policy)
    return answers


def release(session: Session, *, message_ids: Sequence[int]) -> None:
    """Give back the places of messages the provider never took (a permanent refusal before acceptance)."""
    if message_ids:
        given_back = ContactTouch.message_id.in_(list(message_ids))
        tracking.note_players(session, session.scalars(select(ContactTouch.player_id).where(given_back)))
        session.execute(delete(ContactTouch).where(given_back))


def mark_unreachable(
    session: Session,
    *,
    actor: Actor,
    channel: str,
    contact_point: str,
    reason: str,
    at: dt.datetime | None = None,
) -> None:
    """Stop every message to a contact point the provider says cannot be reached (a hard bounce, an
    unknown number, a push subscription that is gone). Audited, the address masked. Idempotent: the first
    report's date is kept."""
    if session.get(UnreachablePoint, (contact_point, channel)) is not None:
        return
    try:
        # Two reporters at once (a transport's refusal and its "gone" event) both find no row; the
        # second one's insert meets the first's, and the report is already on record.
        with session.begin_nested():
            session.add(
                UnreachablePoint(
                    contact_point=contact_point, channel=channel, reason=reason[:40], since=at or clock.now()
                )
            )
    except IntegrityError:
        return
    kind = IDENTITY_OF_CHANNEL.get(channel, "device")
    audit(
        session,
        actor=actor,
        action="contact_policy.unreachable",
        detail={"channel": channel, "contact_point": mask_identity(kind, contact_point), "reason": reason},
    )
