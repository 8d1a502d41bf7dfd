"""Event types and refusal reasons as people read them (English msgids, translated by the UI's catalogue).

The API's ``detail`` is written for the website's developers; a page explains a refusal from its reason,
the field and the value that was sent, so that it reads in the page's language.
"""

from __future__ import annotations

import json
from typing import Any

TYPE_LABELS = {
    "registration": "Registration",
    "sign_in": "Sign-in",
    "page_view": "Page view",
    "game_view": "Game page view",
    "deposit": "Deposit",
    "ticket_purchase": "Ticket purchase",
    "banner_impression": "Banner shown",
    "banner_click": "Banner clicked",
}

REASON_TEXTS = {
    "not_an_object": "The event is not a JSON object.",
    "missing_field": "The field %(field)s is missing.",
    "unknown_field": "The field %(field)s is not part of this event.",
    "invalid_value": "The field %(field)s has a value that does not fit: %(value)s.",
    "unknown_type": "There is no event type %(value)s.",
    "in_future": "The event's time is in the future: %(value)s.",
    "too_old": "The event is more than 30 days old: %(value)s.",
    "no_subject": "The event names neither a player nor a device.",
    "unknown_player": (
        "The CRM does not know player %(value)s; deposits and tickets are kept for known players only."
    ),
    "unknown_game": "There is no game %(value)s.",
}
SHOWN_VALUE = 80


def value_at(body: Any, field: str) -> str:
    """The value the sender put at ``field`` (a dotted path), as JSON, cut for a table cell."""
    value = body
    for part in field.split(".") if field else ():
        if not isinstance(value, dict) or part not in value:
            return "—"
        value = value[part]
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN_VALUE else text[: SHOWN_VALUE - 1] + "…"
