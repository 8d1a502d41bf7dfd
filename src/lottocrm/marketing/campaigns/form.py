"""The campaign form: what a marketer types, to the campaign document and back.

Moments are typed on the operator's wall clock (``2026-12-20T10:00``) and stored with their zone; shares and
uplifts in percent, money in roubles. The common faults are named here, field by field; the document's own
checks (``definition.py``) catch the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from croniter import croniter

from lottocrm import clock
from lottocrm.errors import Param, ServiceError

CHANNELS = ("sms", "email", "push", "call")
SCHEDULES = ("once", "cron", "draw", "jackpot")


class CampaignFormError(ServiceError):
    code, http_status = "campaign_form_invalid", 422

    def __init__(self, field: str, message: str, **params: Param) -> None:
        super().__init__(message, **params)
        self.field = field


@dataclass(frozen=True)
class Parsed:
    name: str
    segment_id: int
    definition: dict[str, Any]


def _text(form: Mapping[str, str], name: str) -> str:
    return form.get(name, "").strip()


def _whole(form: Mapping[str, str], name: str, *, required: bool = True) -> int | None:
    text = _text(form, name)
    if not text:
        if required:
            raise CampaignFormError(name, "fill this in")
        return None
    if not text.isdigit() or len(text) > 18:
        raise CampaignFormError(name, "%(value)s is not a whole number", value=text[:30])
    return int(text)


def _decimal(form: Mapping[str, str], name: str) -> Decimal | None:
    text = _text(form, name).replace(" ", "").replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CampaignFormError(name, "%(value)s is not a number", value=text[:30]) from None
    if not value.is_finite() or value < 0:
        raise CampaignFormError(name, "%(value)s is not a number", value=text[:30])
    return value


def _within(name: str, value: Decimal | int | None, low: Decimal | int, high: Decimal | int) -> None:
    """The document's own limits, said in the form's units (percent, roubles) beside the field."""
    if value is not None and not low <= value <= high:
        raise CampaignFormError(name, "enter a value from %(low)s to %(high)s", low=str(low), high=str(high))


def _kopecks(form: Mapping[str, str], name: str) -> int | None:
    roubles = _decimal(form, name)
    return None if roubles is None else int((roubles * 100).to_integral_value())


def _moment(form: Mapping[str, str], name: str) -> str:
    text = _text(form, name)
    if not text:
        raise CampaignFormError(name, "fill this in")
    try:
        local = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CampaignFormError(name, "%(value)s is not a date and time", value=text[:30]) from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=clock.operator_zone())
    return local.isoformat()


def parse_form(form: Mapping[str, str]) -> Parsed:
    name = _text(form, "name")
    if not name:
        raise CampaignFormError("name", "fill this in")
    segment_id = _whole(form, "segment_id")
    assert segment_id is not None
    channels = [form.get(f"channel_{rank}", "") for rank in (1, 2)]
    chosen = [channel for channel in channels if channel]
    if not chosen:
        raise CampaignFormError("channel_1", "choose a channel")
    if any(channel not in CHANNELS for channel in chosen) or len(set(chosen)) != len(chosen):
        raise CampaignFormError("channel_2", "choose two different channels, or only the first")
    variants = [{"name": "A", "template_id": _whole(form, "template_a")}]
    template_b = _whole(form, "template_b", required=False)
    if template_b is not None:
        weight = _whole(form, "weight_b", required=False) or 1
        _within("weight_b", weight, 1, 100)
        variants.append({"name": "B", "template_id": template_b, "weight": weight})
    control = _decimal(form, "control_percent")
    _within("control_percent", control, 1, 50)
    kind = form.get("schedule", "once")
    if kind not in SCHEDULES:
        raise CampaignFormError("schedule", "choose when the campaign is sent")
    schedule: dict[str, Any] = {"kind": kind}
    if kind == "once":
        schedule["at"] = _moment(form, "at")
    elif kind == "cron":
        schedule["cron"] = _text(form, "cron") or None
        if schedule["cron"] is None:
            raise CampaignFormError("cron", "fill this in")
        if not croniter.is_valid(schedule["cron"]):
            line = schedule["cron"][:60]
            raise CampaignFormError(
                "cron", "%(value)s is not a cron line (minute hour day month weekday)", value=line
            )
    elif kind == "jackpot":
        schedule["game_id"] = _whole(form, "draw_game")
        above = _kopecks(form, "jackpot_above")
        if not above:
            raise CampaignFormError("jackpot_above", "set a jackpot above 0 ₽")
        schedule["jackpot_above_kopecks"] = above
    else:
        schedule["game_id"] = _whole(form, "draw_game")
        hours = _decimal(form, "hours_before")
        if hours is None:
            raise CampaignFormError("hours_before", "fill this in")
        _within("hours_before", hours, 0, 24 * 14)
        schedule["hours_before"] = float(hours)
    if kind != "once" and _text(form, "until"):
        schedule["until"] = _moment(form, "until")
    window_days, priority = _whole(form, "window_days"), _whole(form, "priority", required=False)
    _within("window_days", window_days, 1, 180)
    _within("priority", priority, 1, 100)
    _within("cost", _decimal(form, "cost"), 0, 10_000)
    cost = _kopecks(form, "cost")
    definition: dict[str, Any] = {
        "channels": chosen,
        "variants": variants,
        "schedule": schedule,
        "response": {
            "kind": "purchase",
            "window_days": window_days,
            "game_id": _whole(form, "response_game", required=False),
        },
        "priority": priority or 50,
        "cost_per_message_kopecks": cost or 0,
        "description": _text(form, "description"),
    }
    offer = _offer(form)
    if offer is not None:
        definition["offer"] = offer
    if control is not None:
        definition["control_share"] = float(control / 100)
    uplift, value = _decimal(form, "expected_uplift"), _kopecks(form, "value_per_response")
    _within("expected_uplift", uplift, Decimal("0.01"), 100)
    _within("value_per_response", _decimal(form, "value_per_response"), 0, 100_000_000)
    if uplift is not None:
        definition["expected_uplift"] = float(uplift / 100)
    if value is not None:
        definition["value_per_response_kopecks"] = value
    return Parsed(name=name, segment_id=segment_id, definition=definition)


def _offer(form: Mapping[str, str]) -> dict[str, Any] | None:
    """The offer's fields; None when nothing is offered (a value or budget alone is an error)."""
    points = _whole(form, "bonus_points", required=False)
    value, budget = _kopecks(form, "offer_value"), _kopecks(form, "offer_budget")
    promo, next_game = bool(form.get("promo_code")), bool(form.get("next_game"))
    if not points and not promo and not next_game:
        if value or budget:
            raise CampaignFormError("bonus_points", "choose what the offer gives: points, a code or a game")
        return None
    offer: dict[str, Any] = {"promo_code": promo, "next_game": next_game, "value_kopecks": value or 0}
    if points:
        offer["bonus_points"] = points
    if budget:
        offer["budget_kopecks"] = budget
        offer["cap_to_budget"] = bool(form.get("cap_to_budget"))
    return offer


def to_form(name: str, segment_id: int | None, definition: Mapping[str, Any]) -> dict[str, str]:
    """The form's values for a stored draft (to edit it)."""
    channels = list(definition.get("channels", ()))
    variants = list(definition.get("variants", ()))
    schedule = dict(definition.get("schedule", {}))
    response = dict(definition.get("response", {}))

    def local(text: str | None) -> str:
        return clock.local(dt.datetime.fromisoformat(text)).strftime("%Y-%m-%dT%H:%M") if text else ""

    def roubles(kopecks: int | None) -> str:
        return "" if kopecks is None else f"{Decimal(kopecks) / 100:f}"

    share, uplift = definition.get("control_share", 0.1), definition.get("expected_uplift")
    offer = dict(definition.get("offer") or {})
    return {
        "name": name,
        "segment_id": "" if segment_id is None else str(segment_id),
        "channel_1": channels[0] if channels else "sms",
        "channel_2": channels[1] if len(channels) > 1 else "",
        "template_a": str(variants[0]["template_id"]) if variants else "",
        "template_b": str(variants[1]["template_id"]) if len(variants) > 1 else "",
        "weight_b": str(variants[1].get("weight", 1)) if len(variants) > 1 else "1",
        "control_percent": f"{share * 100:g}",
        "schedule": schedule.get("kind", "once"),
        "at": local(schedule.get("at")),
        "cron": schedule.get("cron") or "",
        "draw_game": str(schedule.get("game_id") or ""),
        "hours_before": f"{schedule['hours_before']:g}" if schedule.get("hours_before") is not None else "",
        "jackpot_above": roubles(schedule.get("jackpot_above_kopecks")),
        "until": local(schedule.get("until")),
        "window_days": str(response.get("window_days", 14)),
        "response_game": str(response.get("game_id") or ""),
        "priority": str(definition.get("priority", 50)),
        "expected_uplift": "" if uplift is None else f"{uplift * 100:g}",
        "value_per_response": roubles(definition.get("value_per_response_kopecks")),
        "cost": roubles(definition.get("cost_per_message_kopecks") or None),
        "description": definition.get("description", ""),
        "bonus_points": str(offer.get("bonus_points") or ""),
        "promo_code": "1" if offer.get("promo_code") else "",
        "next_game": "1" if offer.get("next_game") else "",
        "offer_value": roubles(offer.get("value_kopecks") or None),
        "offer_budget": roubles(offer.get("budget_kopecks")),
        "cap_to_budget": "1" if offer.get("cap_to_budget") else "",
    }
