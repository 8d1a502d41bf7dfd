"""Journeys as people read them: steps, triggers and what happened at a step (English msgids; the UI's
catalogue translates them)."""

from __future__ import annotations

from typing import Any

STEP_KINDS = {
    "wait": "Wait",
    "branch": "Branch",
    "split": "Random split",
    "send": "Send a message",
    "offer": "Give an offer",
    "call_task": "Call task",
    "set_attribute": "Set an attribute",
    "exit": "Exit",
}
TRIGGERS = {
    "registered": "Registration",
    "signed_in": "Sign-in",
    "deposit": "Deposit",
    "ticket_purchase": "Ticket purchase",
    "game_view": "Game page view",
    "banner_click": "Banner clicked",
    "ticket_won": "Winning ticket",
    "big_win": "Big win",
    "birthday": "Birthday",
    "registration_anniversary": "Registration anniversary",
    "churn_risk_entered": "High churn risk",
    "tier_upgraded": "Loyalty tier up",
    "jackpot_above": "Jackpot above the player's level",
    "segment_entered": "Entered a segment",
}
OUTCOMES = {
    "entered": "entered the journey",
    "control": "kept as control",
    "waiting": "began to wait",
    "waited": "waited to the end",
    "happened": "the awaited event happened",
    "timeout": "the wait timed out",
    "yes": "condition met",
    "no": "condition not met",
    "exit": "left at the exit",
    "goal": "reached the goal",
    "given": "offer given",
    "not_given": "offer not given: no loyalty account",
}
# Why the contact policy kept a journey's message back, shortly.
NOT_SENT = {
    "player_not_active": "account not active",
    "under_age": "under 18",
    "age_unknown": "age unknown",
    "self_excluded": "self-excluded",
    "awaiting_return": "return after self-exclusion not recorded",
    "timed_out": "time-out",
    "spend_limit_reached": "spending limit reached",
    "no_personal_data_consent": "no consent to personal data processing",
    "consent_missing": "no advertising consent",
    "consent_withdrawn": "advertising consent withdrawn",
    "service_refused": "service messages refused",
    "no_contact_point": "no contact on record",
    "unreachable": "unreachable",
    "cap": "contact cap reached",
    "no_published_template": "the template has no published version",
}


def outcome_text(outcome: str, gettext: Any) -> str:
    """``sent:sms`` → "sent by SMS"; ``not_sent:cap`` → "not sent: contact cap reached"; … in the reader's
    language."""
    kind, _, detail = outcome.partition(":")
    if kind == "sent":
        return gettext("sent: %(channel)s") % {"channel": gettext(detail)}
    if kind == "not_sent":
        return gettext("not sent: %(why)s") % {
            "why": gettext(NOT_SENT.get(detail, "refused by the contact policy"))
        }
    if kind == "arm":
        return gettext("arm %(name)s") % {"name": detail}
    if kind == "ended":
        return (
            gettext("taken out: responsible gaming")
            if detail == "responsible_gaming"
            else gettext("taken out")
        )
    return gettext(OUTCOMES.get(outcome, outcome))
