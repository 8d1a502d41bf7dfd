"""The gate's reasons as sentences a person reads ("consent withdrawn 12.03.2026", "cap 3/3 in 7 days"),
typed so each page renders them in its own language and the API in English."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lottocrm.contact_policy.reasons import Reason
from lottocrm.presentation.values import Day, Message, Moment, Number, PanelValue, Sentence

SENTENCES = {
    "player_not_active": "account %(status)s",
    "under_age": "under 18",
    "age_unknown": "age unknown",
    "self_excluded": "self-excluded until %(until)s",
    "awaiting_return": "self-exclusion ended %(ended)s, return not recorded",
    "timed_out": "time-out until %(until)s",
    "spend_limit_reached": "spending limit reached, until %(until)s",
    "no_personal_data_consent": "no consent to personal data processing",
    "consent_missing": "no advertising consent",
    "consent_withdrawn": "advertising consent withdrawn %(since)s",
    "service_refused": "service messages refused %(since)s",
    "no_contact_point": "no contact on record",
    "unreachable": "unreachable since %(since)s",
    "cap": "cap reached: %(count)s of %(limit)s in %(window)s",
    "quiet_hours": "quiet hours: held until %(until)s",
    "contact_changed": "the contact changed after the message was queued",
    "provider_refused": "refused by the provider: %(why)s",
    "outcome_unknown": "a sender stopped while the provider was asked: outcome unknown",
    "render_failed": "not rendered: %(why)s",
}
WINDOW_WORDS = {"24h": "24 hours", "7d": "7 days", "30d": "30 days"}


def _value(name: str, value: Any) -> PanelValue:
    if name == "window":
        return Message(WINDOW_WORDS.get(value, value))
    if name == "status":
        return Message(value)
    if isinstance(value, int | float):
        return Number(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return Day(dt.date.fromisoformat(value))
    if isinstance(value, str) and "T" in value:
        return Moment(dt.datetime.fromisoformat(value))
    return Message(str(value))


def sentence(reason: Reason) -> Sentence:
    template = SENTENCES[reason.code]
    names = [name for name in reason.detail if f"%({name})s" in template]
    return Sentence(template, tuple((name, _value(name, reason.detail[name])) for name in names))
