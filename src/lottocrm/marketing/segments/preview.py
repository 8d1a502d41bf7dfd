"""A segment's preview for a channel: its size, where the contact policy takes players away (the exclusion
waterfall), how many would wait for quiet hours to end, a few sample players.

One grouped statement over the segment's audience joined to the gate's selection (``eligibility_select``:
every check in the gate's order, the first failed one per player), so the numbers are the gate's own. Each
player counts once, at the step of the first check they fail. A player with no contactability row yet (never
refreshed) counts under "no contact data". Control and arbitration steps belong to a campaign and are added
by its preview.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm.contact_policy import tracking
from lottocrm.contact_policy.models import contactability
from lottocrm.contact_policy.rules import next_allowed, player_zone
from lottocrm.contact_policy.selection import eligibility_select
from lottocrm.contact_policy.service import current_policy
from lottocrm.marketing.segments.audience import audience_select
from lottocrm.marketing.segments.conditions import Node
from lottocrm.marketing.segments.sources import Frame, Snapshot

# The gate's checks grouped into the steps a marketer reads, in the order the waterfall shows them.
STEP_OF_CHECK = {
    "player_not_active": "responsible_gaming",
    "under_age": "responsible_gaming",
    "age_unknown": "responsible_gaming",
    "self_excluded": "responsible_gaming",
    "awaiting_return": "responsible_gaming",
    "timed_out": "responsible_gaming",
    "spend_limit_reached": "responsible_gaming",
    "no_personal_data_consent": "consent",
    "consent_missing": "consent",
    "consent_withdrawn": "consent",
    "service_refused": "consent",
    "no_contact_point": "reachability",
    "unreachable": "reachability",
    "cap": "caps",
}
STEPS = ("no_contact_data", "responsible_gaming", "consent", "reachability", "caps")
SAMPLE_SIZE = 10


@dataclass(frozen=True)
class Step:
    name: str
    removed: int
    remaining: int
    # The gate's checks inside the step and how many each took away.
    checks: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Preview:
    channel: str
    message_class: str
    size: int
    steps: tuple[Step, ...]
    reachable: int
    # Of the reachable: how many would wait for the end of quiet hours if sent at ``at``.
    held_for_quiet_hours: int
    sample: tuple[int, ...]
    at: dt.datetime
    snapshot: Snapshot


def preview(
    session: Session, *, node: Node, frame: Frame, channel: str, message_class: str = "marketing"
) -> Preview:
    tracking.settle(session)
    version, policy = current_policy(session)
    audience = audience_select(node, frame).subquery("audience")
    gate = eligibility_select(
        channel=channel, message_class=message_class, at=frame.at, policy=policy, policy_version=version
    ).subquery("gate")
    rows = session.execute(
        select(gate.c.blocked_by, contactability.c.region, gate.c.player_id.is_(None), func.count())
        .select_from(audience)
        .outerjoin(gate, gate.c.player_id == audience.c.player_id)
        .outerjoin(contactability, contactability.c.player_id == audience.c.player_id)
        .group_by(gate.c.blocked_by, contactability.c.region, gate.c.player_id.is_(None))
    ).all()
    by_check: Counter[str] = Counter()
    reachable_by_region: Counter[str | None] = Counter()
    for blocked_by, region, no_row, players in rows:
        if no_row:
            by_check["no_contact_data"] += players
        elif blocked_by is None:
            reachable_by_region[region] += players
        else:
            by_check[blocked_by] += players
    size = sum(by_check.values()) + sum(reachable_by_region.values())
    steps, remaining = [], size
    for step in STEPS:
        checks = {
            code: count
            for code, count in by_check.items()
            if STEP_OF_CHECK.get(code, code if code == step else None) == step
        }
        removed = sum(checks.values())
        remaining -= removed
        steps.append(Step(step, removed, remaining, checks))
    quiet = policy.quiet_rule(channel, message_class)
    held = sum(
        players
        for region, players in reachable_by_region.items()
        if next_allowed(frame.at, player_zone(region), quiet) is not None
    )
    sample = tuple(
        session.scalars(select(audience.c.player_id).order_by(audience.c.player_id).limit(SAMPLE_SIZE))
    )
    frame.release()  # the staged behaviour rows are not kept with the request's commit
    return Preview(
        channel=channel,
        message_class=message_class,
        size=size,
        steps=tuple(steps),
        reachable=remaining,
        held_for_quiet_hours=held,
        sample=sample,
        at=frame.at,
        snapshot=frame.snapshot,
    )
