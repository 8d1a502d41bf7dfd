"""The gate again, when a queued message is due: set-based for a dispatcher's batch.

Consent can be withdrawn, a self-exclusion start or a cap fill between queueing and sending, so nothing
leaves on its old permit. ``recheck`` runs the gate's selection for the batch's players (one statement per
class of message), applies quiet hours in each player's zone, takes places under the caps atomically
(``ledger.reserve``), writes "blocked" and "held" to the contact history itself, and issues fresh permits
for the rest. ``stopped`` asks the same of messages a provider took but has still to act on (a call task
waiting for an operator), which already hold their place under the caps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lottocrm.contact_policy import ledger, tracking
from lottocrm.contact_policy.document import PolicySettings
from lottocrm.contact_policy.exemptions import exempted
from lottocrm.contact_policy.models import ContactHistory
from lottocrm.contact_policy.permits import _SEAL, Permit
from lottocrm.contact_policy.reasons import Reason
from lottocrm.contact_policy.rules import next_allowed, player_zone, spread
from lottocrm.contact_policy.selection import eligibility_select
from lottocrm.contact_policy.service import current_policy, decide
from lottocrm.players.models import Player


@dataclass(frozen=True)
class Pending:
    """A queued message as the gate needs to see it."""

    message_id: int
    player_id: int
    channel: str
    message_class: str
    contact_point: str
    source_kind: str
    source_id: str | None


@dataclass(frozen=True)
class Verdict:
    """Send it now (``permit``), hold it until ``held_until``, or not at all (``reason``)."""

    message_id: int
    permit: Permit | None = None
    held_until: dt.datetime | None = None
    reason: Reason | None = None


def _history_row(
    pending: Pending, outcome: str, reason: Reason, version: int, at: dt.datetime
) -> dict[str, Any]:
    return {
        "at": at,
        "player_id": pending.player_id,
        "channel": pending.channel,
        "message_class": pending.message_class,
        "outcome": outcome,
        "reason": reason.code,
        "detail": reason.detail,
        "contact_point": pending.contact_point,
        "source_kind": pending.source_kind,
        "source_id": pending.source_id,
        "message_id": pending.message_id,
        "policy_version": version,
        "consent_event_id": None,
    }


def _why_blocked(session: Session, pending: Pending, at: dt.datetime) -> Reason:
    # Blocked messages are few: the full decision, for the reason's detail ("withdrawn 12.03").
    decision = decide(
        session,
        player_id=pending.player_id,
        channel=pending.channel,
        message_class=pending.message_class,
        at=at,
    )
    return decision.reasons[0] if decision.reasons else Reason.of("cap")


def _gate_rows(
    session: Session,
    pending: Sequence[Pending],
    player_ids: list[int],
    *,
    at: dt.datetime,
    version: int,
    policy: PolicySettings,
    caps_exempt: bool = False,
) -> dict[tuple[str, str], dict[int, Any]]:
    """The gate's selection for the players, one statement per (channel, class) among ``pending``."""
    gate: dict[tuple[str, str], dict[int, Any]] = {}
    for channel, message_class in {(p.channel, p.message_class) for p in pending}:
        query = eligibility_select(
            channel=channel,
            message_class=message_class,
            at=at,
            policy=policy,
            policy_version=version,
            player_ids=player_ids,
            caps_exempt=caps_exempt,
        )
        gate[(channel, message_class)] = {row.player_id: row for row in session.execute(query)}
    return gate


def recheck(session: Session, pending: Sequence[Pending], *, at: dt.datetime) -> list[Verdict]:
    """One verdict per pending message, in order. Writes the cap ledger and the history of the blocked and
    held ones in the caller's transaction."""
    if not pending:
        return []
    tracking.settle(session)
    version, policy = current_policy(session)
    player_ids = sorted({p.player_id for p in pending})
    regions = dict(session.execute(select(Player.id, Player.region).where(Player.id.in_(player_ids))).all())
    gate = _gate_rows(session, pending, player_ids, at=at, version=version, policy=policy)

    verdicts: dict[int, Verdict] = {}
    history: list[dict[str, Any]] = []
    to_reserve: list[tuple[Permit, int]] = []
    free = exempted(session, [(p.source_kind, p.source_id) for p in pending])
    for item in pending:
        row = gate[(item.channel, item.message_class)].get(item.player_id)
        # A cap of an exempted campaign is not a stop; the ledger below takes its place unchecked.
        capped_only = (
            row is not None and row.blocked_by == "cap" and (item.source_kind, item.source_id) in free
        )
        if row is None or (row.blocked_by is not None and not capped_only):
            reason = _why_blocked(session, item, at)
        elif row.contact_point != item.contact_point:
            reason = Reason.of("contact_changed")
        else:
            reason = None
        if reason is not None:
            verdicts[item.message_id] = Verdict(item.message_id, reason=reason)
            history.append(_history_row(item, "blocked", reason, version, at))
            continue
        held = next_allowed(
            at, player_zone(regions.get(item.player_id)), policy.quiet_rule(item.channel, item.message_class)
        )
        if held is not None:
            held = spread(held, key=item.message_id, minutes=policy.release_spread_minutes)
            verdicts[item.message_id] = Verdict(item.message_id, held_until=held)
            history.append(_history_row(item, "held", Reason.of("quiet_hours", until=held), version, at))
            continue
        permit = Permit(
            player_id=item.player_id,
            channel=item.channel,
            message_class=item.message_class,
            contact_point=item.contact_point,
            source_kind=item.source_kind,
            source_id=item.source_id,
            policy_version=version,
            consent_event_id=row.consent_event_id,
            issued_at=at,
            seal=_SEAL,
        )
        to_reserve.append((permit, item.message_id))
    capped = ledger.reserve(session, permits=to_reserve, at=at)
    by_id = {p.message_id: p for p in pending}
    for permit, message_id in to_reserve:
        if (reason := capped[message_id]) is not None:
            verdicts[message_id] = Verdict(message_id, reason=reason)
            history.append(_history_row(by_id[message_id], "blocked", reason, version, at))
        else:
            verdicts[message_id] = Verdict(message_id, permit=permit)
    if history:
        session.execute(insert(ContactHistory), history)
    return [verdicts[p.message_id] for p in pending]


def stopped(session: Session, pending: Sequence[Pending], *, at: dt.datetime) -> dict[int, Reason]:
    """The gate again for messages a provider already took but has still to act on (a filed call an
    operator is still to make): those it now stops, by message id, with the reason. Reads only.

    Every check but two: the caps, because the message took its place when it was filed and that place
    counts in them (a cap of one call a month would otherwise stop the call itself), and quiet hours, which
    say when, not whether. ``record_blocked`` writes the history of the ones the caller does stop."""
    if not pending:
        return {}
    tracking.settle(session)
    version, policy = current_policy(session)
    player_ids = sorted({p.player_id for p in pending})
    gate = _gate_rows(session, pending, player_ids, at=at, version=version, policy=policy, caps_exempt=True)
    stops: dict[int, Reason] = {}
    for item in pending:
        row = gate[(item.channel, item.message_class)].get(item.player_id)
        if row is None or row.blocked_by is not None:
            stops[item.message_id] = _why_blocked(session, item, at)
        elif row.contact_point != item.contact_point:
            stops[item.message_id] = Reason.of("contact_changed")
    return stops


def record_blocked(session: Session, blocked: Sequence[tuple[Pending, Reason]], *, at: dt.datetime) -> None:
    """ "blocked" in the contact history for each message, under the policy in force, as ``recheck`` writes
    it for the messages it stops."""
    if blocked:
        version, _ = current_policy(session)
        session.execute(
            insert(ContactHistory),
            [_history_row(item, "blocked", reason, version, at) for item, reason in blocked],
        )
