"""Permits for an audience: the gate's answer for thousands of players at once, streamed.

``issue_permits`` runs the set-based selection (``selection.eligible_select``: one statement, the same checks
as ``decide``) restricted to the players asked for, and makes one permit per player it lets through, with
the moment quiet hours hold it until in the player's own zone, spread so that a morning does not start with
a burst. This is how a campaign fills the outbox; ``decide`` remains the answer for one player.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from sqlalchemy import select
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
