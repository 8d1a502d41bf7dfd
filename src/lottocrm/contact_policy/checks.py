"""The gate's checks for one player, on facts already read (``facts.py``): pure, so a decision for a 360
panel of five channels costs one read. The order and the classes come from ``reasons.CHECKS``."""

from __future__ import annotations

import datetime as dt

from lottocrm import clock
from lottocrm.contact_policy.document import PolicySettings
from lottocrm.contact_policy.facts import PlayerFacts
from lottocrm.contact_policy.reasons import Reason, applies
from lottocrm.contact_policy.rules import cap_hit
from lottocrm.players.consents import is_under_age, latest_of_purpose


def blocking_reasons(
    facts: PlayerFacts,
    *,
    channel: str,
    message_class: str,
    at: dt.datetime,
    policy: PolicySettings,
    requires_known_adult: bool,
) -> list[Reason]:
    """Every check the message fails, in the gate's order: the first is the one that blocks it."""
    player, rg = facts.player, facts.responsible_gaming
    # Dates of age and responsible gaming are the operator's days, as the profile shows them.
    day = clock.operator_day(at)
    found: list[Reason] = []

    def fails(code: str, failed: bool, **detail: object) -> None:
        if failed and applies(code, message_class):
            found.append(Reason.of(code, **detail))

    fails("player_not_active", player.status != "active", status=player.status)
    under_age = is_under_age(player, day)
    fails("under_age", under_age, born=player.birth_date)
    fails("age_unknown", requires_known_adult and not under_age and player.birth_date is None)
    excluded_until = rg.self_excluded_until if rg else None
    fails("self_excluded", excluded_until is not None and excluded_until >= day, until=excluded_until)
    fails(
        "awaiting_return",
        excluded_until is not None and excluded_until < day and rg is not None and rg.returned_at is None,
        ended=excluded_until,
    )
    timeout = rg.timeout_until if rg else None
    fails("timed_out", timeout is not None and timeout > at, until=timeout)
    limit_until = rg.limit_reached_until if rg else None
    fails("spend_limit_reached", limit_until is not None and limit_until >= day, until=limit_until)

    personal_data = latest_of_purpose(facts.consents, "personal_data")
    fails(
        "no_personal_data_consent",
        personal_data is None or not personal_data.granted,
        since=personal_data.occurred_at if personal_data else None,
    )
    advertising = facts.consents.get(("advertising", channel))
    fails("consent_missing", advertising is None)
    fails(
        "consent_withdrawn",
        advertising is not None and not advertising.granted,
        since=advertising.occurred_at if advertising else None,
    )
    service = facts.consents.get(("service", channel))
    fails(
        "service_refused",
        service is not None and not service.granted,
        since=service.occurred_at if service else None,
    )

    point = facts.contact_points.get(channel)
    fails("no_contact_point", point is None)
    unreachable = facts.unreachable.get((channel, point)) if point else None
    fails(
        "unreachable",
        unreachable is not None,
        why=unreachable.reason if unreachable else None,
        since=unreachable.since if unreachable else None,
    )
    if point is not None and applies("cap", message_class):
        hit = cap_hit(
            facts.touches,
            rules=policy.caps_for(channel, message_class),
            channel=channel,
            contact_point=point,
            at=at,
            shared_point_touches=facts.shared_touches,
        )
        if hit is not None:
            found.append(
                Reason.of(
                    "cap",
                    channel=hit.rule.channel,
                    per=hit.rule.per,
                    window=hit.rule.window,
                    count=hit.count,
                    limit=hit.rule.limit,
                )
            )
    return found
