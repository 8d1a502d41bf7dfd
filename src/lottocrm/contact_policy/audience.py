"""Permits for an audience: the gate's answer for thousands of players at once, streamed.

``issue_permits`` runs the set-based selection (``selection.eligible_select``: one statement, the same checks
as ``decide``) restricted to the players asked for, and makes one permit per player it lets through, with
the moment quiet hours hold it until in the player's own zone, spread so that a morning does not start with
a burst. This is how a campaign fills the outbox; ``decide`` remains the answer for one player.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, not_, or_, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.contact_policy import tracking
from lottocrm.contact_policy.models import contactability
from lottocrm.contact_policy.permits import _SEAL, Permit
from lottocrm.contact_policy.rules import next_allowed, player_zone, spread
from lottocrm.contact_policy.selection import eligible_select
from lottocrm.contact_policy.service import current_policy, require_known

# Players per statement: an IN list both databases take, and a bounded memory for 700 000.
CHUNK = 5_000


def issue_permits(
    session: Session,
    *,
    player_ids: Sequence[int],
    channel: str,
    message_class: str,
    source_kind: str,
    source_id: str | None,
    at: dt.datetime | None = None,
    caps_exempt: bool = False,
) -> Iterator[Permit]:
    """A permit for each of ``player_ids`` the gate lets ``message_class`` reach on ``channel``; the others
    are skipped (the waterfall says why). Caps are checked again, atomically, when the dispatcher reserves."""
    require_known(channel=channel, message_class=message_class, source_kind=source_kind)
    moment = at or clock.now()
    tracking.settle(session)
    version, policy = current_policy(session)
    quiet = policy.quiet_rule(channel, message_class)
    for start in range(0, len(player_ids), CHUNK):
        chosen = eligible_select(
            channel=channel,
            message_class=message_class,
            at=moment,
            policy=policy,
            policy_version=version,
            player_ids=player_ids[start : start + CHUNK],
            caps_exempt=caps_exempt,
        ).subquery("chosen")
        rows = session.execute(
            select(
                chosen.c.player_id, chosen.c.contact_point, chosen.c.consent_event_id, contactability.c.region
            )
            .join(contactability, contactability.c.player_id == chosen.c.player_id)
            .order_by(chosen.c.player_id)
        )
        for player_id, point, consent_event_id, region in rows:
            held = next_allowed(moment, player_zone(region), quiet)
            yield Permit(
                player_id=player_id,
                channel=channel,
                message_class=message_class,
                contact_point=point,
                source_kind=source_kind,
                source_id=source_id,
                policy_version=version,
                consent_event_id=consent_event_id,
                issued_at=moment,
                not_before=None
                if held is None
                else spread(held, key=player_id, minutes=policy.release_spread_minutes),
                seal=_SEAL,
            )


@dataclass(frozen=True)
class Released:
    """An audience through the gate in one statement: ``rows`` selects the players a message may reach now
    (``player_id``, ``contact_point``, ``consent_event_id``), ``held`` lists those the gate lets through but
    whose own sending hours have not begun (their permits need a release moment each: ``issue_permits``)."""

    rows: Select[Any]
    held: list[int]
    policy_version: int


def released_now(
    session: Session,
    *,
    players: Select[Any],
    channel: str,
    message_class: str,
    source_kind: str,
    at: dt.datetime | None = None,
    between: tuple[int, int] | None = None,
) -> Released:
    """The gate for a large audience (``players`` selects ``player_id``), without a Python object per player:
    the same checks as ``issue_permits``; quiet hours are decided per region, which is what decides them.
    ``between`` (lowest, highest id), when every one of ``players`` lies in it: only that range of the
    contactability rows is read, instead of all of them for each chunk of a large audience."""
    require_known(channel=channel, message_class=message_class, source_kind=source_kind)
    moment = at or clock.now()
    tracking.settle(session)
    version, policy = current_policy(session)
    quiet = policy.quiet_rule(channel, message_class)
    gate = eligible_select(
        channel=channel, message_class=message_class, at=moment, policy=policy, policy_version=version
    )
    located = contactability.alias("located")
    bounds: list[Any] = []
    if between is not None:
        # On both reads of the table: the planner carries equalities across a join, not ranges.
        gate = gate.where(gate.selected_columns.player_id.between(*between))
        bounds.append(located.c.player_id.between(*between))
    chosen = gate.subquery("chosen")
    eligible = (
        select(chosen.c.player_id, chosen.c.contact_point, chosen.c.consent_event_id, located.c.region)
        .join(located, located.c.player_id == chosen.c.player_id)
        .where(chosen.c.player_id.in_(players.scalar_subquery()), *bounds)
        .subquery("released")
    )
    regions = set(session.scalars(select(eligible.c.region).distinct()))
    quiet_regions = [
        region for region in regions if next_allowed(moment, player_zone(region), quiet) is not None
    ]
    in_quiet = eligible.c.region.in_([region for region in quiet_regions if region is not None])
    if None in quiet_regions:
        in_quiet = or_(in_quiet, eligible.c.region.is_(None))
    now_rows = select(eligible.c.player_id, eligible.c.contact_point, eligible.c.consent_event_id)
    held = list(session.scalars(select(eligible.c.player_id).where(in_quiet))) if quiet_regions else []
    return Released(
        rows=now_rows.where(not_(in_quiet)) if quiet_regions else now_rows, held=held, policy_version=version
    )
