"""The gate for audiences: the same checks as ``decide``, in the same order, as one SQL statement.

``eligibility_select`` gives every player with the first check they fail (``blocked_by``, NULL when none)
and the contact point and consent row a permit would cite; ``eligible_select`` keeps the NULLs. Both are
composable (count them, group them into an exclusion waterfall, INSERT … SELECT them into an outbox) and
run inside the database, never as a loop per player. Quiet hours are not a filter here: they decide when a
message leaves, not whether, and are applied when it is queued and again when it is released.
"""

from __future__ import annotations

import datetime as dt
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
from lottocrm.contact_policy.document import LONGEST_WINDOW, WINDOWS, CapRule, PolicySettings
from lottocrm.contact_policy.facts import IDENTITY_OF_CHANNEL
from lottocrm.contact_policy.models import ContactTouch, UnreachablePoint
from lottocrm.contact_policy.reasons import CHECKS, applies
from lottocrm.contact_policy.service import current_policy, require_known
from lottocrm.players.consents import adult_birth_cutoff, latest_consent_select
from lottocrm.players.models import Player, PlayerIdentity, ResponsibleGaming
from lottocrm.settings import get_settings


def _points(channel: str) -> Any:
    """Each player's contact point for ``channel`` (rank 1: verified first, then the newest), as a ranked
    subquery to join; None for banners, whose point is the player."""
    kind = IDENTITY_OF_CHANNEL.get(channel)
    if kind is None:
        return None
    order = (PlayerIdentity.verified.desc(), PlayerIdentity.created_at.desc(), PlayerIdentity.id.desc())
    return (
        select(
            PlayerIdentity.player_id,
            PlayerIdentity.value,
            func.row_number().over(partition_by=PlayerIdentity.player_id, order_by=order).label("rank"),
        )
        .where(PlayerIdentity.kind == kind)
        .subquery("point")
    )


def _counts(rules: tuple[CapRule, ...], key: Any, at: dt.datetime, name: str) -> Any:
    """One row per ``key`` (player or contact point) with a touch in the longest window, a count column per
    rule. Joined, not correlated: most players have no recent touch, so the group is small."""
    columns = []
    for n, rule in enumerate(rules):
        conditions = [ContactTouch.at >= at - WINDOWS[rule.window]]
        if rule.channel != "all":
            conditions.append(ContactTouch.channel == rule.channel)
        columns.append(func.sum(case((and_(*conditions), 1), else_=0)).label(f"c{n}"))
    return (
        select(key.label("key"), *columns)
        .where(ContactTouch.at >= at - LONGEST_WINDOW, ContactTouch.at <= at)
        .group_by(key)
        .subquery(name)
    )


def _over(counts: Any, rules: tuple[CapRule, ...]) -> list[ColumnElement[bool]]:
    return [func.coalesce(getattr(counts.c, f"c{n}"), 0) >= rule.limit for n, rule in enumerate(rules)]


def eligibility_select(
    *,
    channel: str,
    message_class: str,
    at: dt.datetime,
    policy: PolicySettings,
    policy_version: int = 0,
    requires_known_adult: bool | None = None,
) -> Select[Any]:
    """Every player: ``player_id``, ``blocked_by`` (the first failed check, NULL: may be contacted),
    ``contact_point``, ``consent_event_id`` and ``policy_version``."""
    require_known(channel=channel, message_class=message_class)
    if at.tzinfo is None:
        raise ValueError("the selection's moment must carry a time zone")
    if requires_known_adult is None:
        requires_known_adult = get_settings().marketing_requires_known_adult
    day = clock.operator_day(at)
    personal_data = latest_consent_select("personal_data", at, None).subquery("personal_data")
    advertising = latest_consent_select("advertising", at, channel).subquery("advertising")
    service = latest_consent_select("service", at, channel).subquery("service")
    rg = ResponsibleGaming
    points = _points(channel)
    point: ColumnElement[Any] = (
        literal("player:") + cast(Player.id, String) if points is None else points.c.value
    )
    caps = policy.caps_for(channel, message_class)
    per_player = tuple(rule for rule in caps if rule.per == "player")
    per_point = tuple(rule for rule in caps if rule.per == "contact_point")
    player_counts = _counts(per_player, ContactTouch.player_id, at, "player_counts") if per_player else None
    point_counts = _counts(per_point, ContactTouch.contact_point, at, "point_counts") if per_point else None
    over = (_over(player_counts, per_player) if player_counts is not None else []) + (
        _over(point_counts, per_point) if point_counts is not None else []
    )
    unreachable = (
        select(UnreachablePoint.contact_point)
        .where(UnreachablePoint.channel == channel)
        .subquery("unreachable")
    )
    conditions: dict[str, ColumnElement[bool]] = {
        "player_not_active": Player.status != "active",
        "under_age": or_(Player.under_age.is_(True), Player.birth_date > adult_birth_cutoff(day)),
        "age_unknown": and_(true() if requires_known_adult else false(), Player.birth_date.is_(None)),
        "self_excluded": rg.self_excluded_until >= day,
        "awaiting_return": and_(rg.self_excluded_until < day, rg.returned_at.is_(None)),
        "timed_out": rg.timeout_until > at,
        "spend_limit_reached": rg.limit_reached_until >= day,
        "no_personal_data_consent": or_(
            personal_data.c.granted.is_(None), personal_data.c.granted.is_(False)
        ),
        "consent_missing": advertising.c.event_id.is_(None),
        "consent_withdrawn": advertising.c.granted.is_(False),
        "service_refused": service.c.granted.is_(False),
        "no_contact_point": point.is_(None),
        "unreachable": unreachable.c.contact_point.is_not(None),
        "cap": or_(*over) if over else false(),
    }
    whens = [(conditions[code], literal(code)) for code in CHECKS if applies(code, message_class)]
    cited = advertising if message_class == "marketing" else service
    query = (
        select(
            Player.id.label("player_id"),
            case(*whens, else_=null()).label("blocked_by"),
            point.label("contact_point"),
            cited.c.event_id.label("consent_event_id"),
            literal(policy_version).label("policy_version"),
        )
        .outerjoin(rg, rg.player_id == Player.id)
        .outerjoin(personal_data, and_(personal_data.c.player_id == Player.id, personal_data.c.rank == 1))
        .outerjoin(advertising, and_(advertising.c.player_id == Player.id, advertising.c.rank == 1))
        .outerjoin(service, and_(service.c.player_id == Player.id, service.c.rank == 1))
    )
    if points is not None:
        query = query.outerjoin(points, and_(points.c.player_id == Player.id, points.c.rank == 1))
    query = query.outerjoin(unreachable, unreachable.c.contact_point == point)
    if player_counts is not None:
        query = query.outerjoin(player_counts, player_counts.c.key == Player.id)
    if point_counts is not None:
        query = query.outerjoin(point_counts, point_counts.c.key == point)
    return query


def eligible_select(**arguments: Any) -> Select[Any]:
    """The players a message may reach (``player_id``, ``contact_point``, ``consent_event_id``)."""
    every = eligibility_select(**arguments).subquery("eligibility")
    return select(every.c.player_id, every.c.contact_point, every.c.consent_event_id).where(
        every.c.blocked_by.is_(None)
    )


def waterfall(
    session: Session, *, channel: str, message_class: str, at: dt.datetime | None = None
) -> dict[str | None, int]:
    """How many players each check stops first, and (under None) how many pass: the exclusion waterfall."""
    at = at or clock.now()
    version, policy = current_policy(session)
    every = eligibility_select(
        channel=channel, message_class=message_class, at=at, policy=policy, policy_version=version
    ).subquery("eligibility")
    rows = session.execute(select(every.c.blocked_by, func.count()).group_by(every.c.blocked_by))
    return {code: count for code, count in rows}
