"""The gate's checks for one player, on their contactability row (``facts.py``): a decision for a 360
panel of five channels costs one read. The order and the classes come from ``reasons.CHECKS``;
``selection.py`` states the same checks in SQL over the same columns."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.contact_policy.document import PolicySettings
from lottocrm.contact_policy.facts import PlayerFacts, cap_detail
from lottocrm.contact_policy.reasons import Reason, applies


def blocking_reasons(
    session: Session,
    facts: PlayerFacts,
    *,
    channel: str,
    message_class: str,
    at: dt.datetime,
    policy: PolicySettings,
    requires_known_adult: bool,
) -> list[Reason]:
    """Every check the message fails, in the gate's order: the first is the one that blocks it."""
    # Dates of age and responsible gaming are the operator's days, as the profile shows them.
    day = clock.operator_day(at)
    found: list[Reason] = []

    def fails(code: str, failed: bool, **detail: object) -> None:
        if failed and applies(code, message_class):
            found.append(Reason.of(code, **detail))

    fails("player_not_active", facts["status"] != "active", status=facts["status"])
    adult_from = facts["adult_from"]
    fails("under_age", adult_from is not None and at < adult_from, born=facts["birth_date"])
    fails("age_unknown", requires_known_adult and adult_from is None)
    excluded_until = facts["self_excluded_until"]
    fails("self_excluded", excluded_until is not None and excluded_until >= day, until=excluded_until)
    fails(
        "awaiting_return",
        excluded_until is not None and excluded_until < day and facts["returned_at"] is None,
        ended=excluded_until,
    )
    timeout = facts["timeout_until"]
    fails("timed_out", timeout is not None and timeout > at, until=timeout)
    limit_until = facts["limit_reached_until"]
    fails("spend_limit_reached", limit_until is not None and limit_until >= day, until=limit_until)
    fails(
        "no_personal_data_consent",
        facts["personal_data_granted"] is not True,
        since=facts["personal_data_at"],
    )
    fails("consent_missing", facts[f"{channel}_consent_event"] is None)
    fails(
        "consent_withdrawn",
        facts[f"{channel}_consent_granted"] is False,
        since=facts[f"{channel}_consent_at"],
    )
    fails(
        "service_refused", facts[f"{channel}_service_granted"] is False, since=facts[f"{channel}_service_at"]
    )
    fails("no_contact_point", facts.point(channel) is None)
    fails(
        "unreachable",
        facts[f"{channel}_unreachable"] is not None,
        why=facts[f"{channel}_unreachable"],
        since=facts[f"{channel}_unreachable_since"],
    )
    rules = policy.caps_for(channel, message_class)
    cap_ends = facts[f"{channel}_cap_ends"]
    if rules and applies("cap", message_class) and cap_ends is not None and at < cap_ends:
        hit = cap_detail(session, facts, channel=channel, rules=rules, at=at)
        detail = (
            {
                "channel": hit.rule.channel,
                "per": hit.rule.per,
                "window": hit.rule.window,
                "count": hit.count,
                "limit": hit.rule.limit,
            }
            if hit
            else {}
        )
        found.append(Reason.of("cap", until=cap_ends, **detail))
    return found
