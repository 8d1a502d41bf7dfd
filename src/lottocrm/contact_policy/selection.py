"""The gate for audiences: the same checks as ``decide``, in the same order, as one SQL statement over the
contactability rows (``standing.py``).

``eligibility_select`` gives every player with the first check they fail (``blocked_by``, NULL when none)
and the contact point and consent row a permit would cite; ``eligible_select`` keeps the NULLs — for
marketing it reads only the channel's ``marketing_from`` and ``adult_from``, one index range, which is what
makes a count of 2·10^7 players take a second. Both are composable (count them, group them into an
exclusion waterfall, INSERT … SELECT them into an outbox) and run inside the database, never as a loop per
player. Quiet hours are not a filter here: they decide when a message leaves, not whether, and are applied
when it is queued and again when it is released.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.contact_policy import tracking
from lottocrm.contact_policy.document import PolicySettings
from lottocrm.contact_policy.models import contactability
from lottocrm.contact_policy.reasons import CHECKS, applies
from lottocrm.contact_policy.service import current_policy, require_known
from lottocrm.contact_policy.standing import IDENTITY_OF_CHANNEL
from lottocrm.settings import get_settings


def _adult(at: dt.datetime, requires_known_adult: bool) -> ColumnElement[bool]:
    known_adult = contactability.c.adult_from <= at
    return known_adult if requires_known_adult else or_(contactability.c.adult_from.is_(None), known_adult)


def _point(channel: str) -> ColumnElement[Any]:
    kind = IDENTITY_OF_CHANNEL.get(channel)
    row = contactability.c
    return row[kind] if kind else literal("player:") + cast(row.player_id, String)


def _requires_known_adult(given: bool | None) -> bool:
    return get_settings().marketing_requires_known_adult if given is None else given


def _checked(channel: str, message_class: str, at: dt.datetime) -> None:
    require_known(channel=channel, message_class=message_class)
    if at.tzinfo is None:
        raise ValueError("the selection's moment must carry a time zone")


def eligibility_select(
    *,
    channel: str,
    message_class: str,
    at: dt.datetime,
    policy: PolicySettings,
    policy_version: int = 0,
    requires_known_adult: bool | None = None,
    player_ids: Sequence[int] | None = None,
    caps_exempt: bool = False,
) -> Select[Any]:
    """Every player (or those of ``player_ids``): ``player_id``, ``blocked_by`` (the first failed check,
    NULL: may be contacted), ``contact_point``, ``consent_event_id`` and ``policy_version``.
    ``caps_exempt``: for a campaign exempted from the caps (``exemptions.py``), which then stop nobody."""
    _checked(channel, message_class, at)
    day = clock.operator_day(at)
    row = contactability.c
    point = _point(channel)
    capped = bool(policy.caps_for(channel, message_class)) and not caps_exempt
    conditions: dict[str, ColumnElement[bool]] = {
        "player_not_active": row.status != "active",
        "under_age": row.adult_from > at,
        "age_unknown": and_(
            true() if _requires_known_adult(requires_known_adult) else false(), row.adult_from.is_(None)
        ),
        "self_excluded": row.self_excluded_until >= day,
        "awaiting_return": and_(row.self_excluded_until < day, row.returned_at.is_(None)),
        "timed_out": row.timeout_until > at,
        "spend_limit_reached": row.limit_reached_until >= day,
        "no_personal_data_consent": or_(
            row.personal_data_granted.is_(None), row.personal_data_granted.is_(False)
        ),
        "consent_missing": row[f"{channel}_consent_event"].is_(None),
        "consent_withdrawn": row[f"{channel}_consent_granted"].is_(False),
        "service_refused": row[f"{channel}_service_granted"].is_(False),
        "no_contact_point": point.is_(None),
        "unreachable": row[f"{channel}_unreachable"].is_not(None),
        "cap": row[f"{channel}_cap_ends"] > at if capped else false(),
    }
    whens = [(conditions[code], literal(code)) for code in CHECKS if applies(code, message_class)]
    cited = row[f"{channel}_consent_event" if message_class == "marketing" else f"{channel}_service_event"]
    query = select(
        row.player_id.label("player_id"),
        case(*whens, else_=null()).label("blocked_by"),
        point.label("contact_point"),
        cited.label("consent_event_id"),
        literal(policy_version).label("policy_version"),
    )
    return query if player_ids is None else query.where(row.player_id.in_(list(player_ids)))


def eligible_select(**arguments: Any) -> Select[Any]:
    """The players a message may reach (``player_id``, ``contact_point``, ``consent_event_id``)."""
    if arguments.get("message_class") != "marketing" or arguments.get("caps_exempt"):
        # The folded marketing_from includes the caps: other classes and exempted campaigns read the checks.
        every = eligibility_select(**arguments).subquery("eligibility")
        return select(every.c.player_id, every.c.contact_point, every.c.consent_event_id).where(
            every.c.blocked_by.is_(None)
        )
    channel, at = arguments["channel"], arguments["at"]
    row = contactability.c
    query = select(
        row.player_id,
        _point(channel).label("contact_point"),
        row[f"{channel}_consent_event"].label("consent_event_id"),
    ).where(marketing_reachable(channel, at, requires_known_adult=arguments.get("requires_known_adult")))
    player_ids = arguments.get("player_ids")
    return query if player_ids is None else query.where(row.player_id.in_(list(player_ids)))


def marketing_reachable(
    channel: str, at: dt.datetime, *, requires_known_adult: bool | None = None
) -> ColumnElement[bool]:
    """Whether a contactability row lets a marketing message on ``channel`` go at ``at`` (caps included,
    quiet hours aside): a condition a segment or a campaign's audience can join on."""
    _checked(channel, "marketing", at)
    row = contactability.c
    # Every marketing check but age is folded into the channel's marketing_from (standing.py).
    adult = _adult(at, _requires_known_adult(requires_known_adult))
    return and_(row[f"{channel}_marketing_from"] <= at, adult)


def waterfall(
    session: Session, *, channel: str, message_class: str, at: dt.datetime | None = None
) -> dict[str | None, int]:
    """How many players each check stops first, and (under None) how many pass: the exclusion waterfall."""
    at = at or clock.now()
    tracking.settle(session)
    version, policy = current_policy(session)
    every = eligibility_select(
        channel=channel, message_class=message_class, at=at, policy=policy, policy_version=version
    ).subquery("eligibility")
    rows = session.execute(select(every.c.blocked_by, func.count()).group_by(every.c.blocked_by))
    return {code: count for code, count in rows}
