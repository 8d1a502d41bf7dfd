"""A journey's document: the welcome chain passes; each bad journey the issue names (a loop without a wait,
an unreachable step, no exit, a wait longer than the data is kept) is refused naming the step."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from lottocrm.marketing.journeys.definition import RETENTION_MINUTES
from lottocrm.marketing.journeys.graph import JourneyInputError, parse_journey

VIP = {"field": "record.segment", "op": "in", "value": ["vip"]}

# Registration → wait for the first purchase (7 days) → if none, a nudge by SMS or push; VIPs get points.
WELCOME: dict[str, Any] = {
    "entry": {"trigger": "registered"},
    "start": "first_purchase",
    "goal": "ticket_purchase",
    "steps": {
        "first_purchase": {
            "kind": "wait",
            "for_trigger": "ticket_purchase",
            "timeout_minutes": 7 * 1440,
            "next": "done",
            "on_timeout": "morning",
        },
        "morning": {"kind": "wait", "until_local_time": "10:00", "next": "who"},
        "who": {"kind": "branch", "condition": VIP, "yes": "points", "no": "nudge"},
        "points": {"kind": "offer", "bonus_points": 100, "value_kopecks": 10_000, "next": "nudge"},
        "nudge": {"kind": "send", "template_id": 7, "channels": ["push", "sms"], "next": "done"},
        "done": {"kind": "exit"},
    },
}


def journey(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(WELCOME)
    for path, value in changes.items():
        *parents, last = path.split("__")
        place = document
        for part in parents:
            place = place[part]
        if value is ...:
            del place[last]
        else:
            place[last] = value
    return document


def refusal(document: dict[str, Any]) -> str:
    with pytest.raises(JourneyInputError) as refused:
        parse_journey(document)
    assert refused.value.code == "journey_invalid"
    return str(refused.value)


def test_the_welcome_chain_is_a_valid_journey() -> None:
    parsed = parse_journey(WELCOME)
    assert parsed.steps["who"].targets() == ("points", "nudge") and parsed.control_share == 0.10


def test_a_loop_without_a_wait_is_refused() -> None:
    looping = journey(steps__nudge__next="who")
    looping["steps"]["done"] = {"kind": "exit"}
    looping["steps"]["who"]["no"] = "nudge"
    looping["steps"]["points"]["next"] = "done"
    assert "steps who → nudge → who: a loop without a wait" in refusal(looping)


def test_a_loop_through_a_wait_is_allowed() -> None:
    reminding = journey(steps__nudge__next="first_purchase")
    assert parse_journey(reminding).steps["nudge"].targets() == ("first_purchase",)


def test_an_unreachable_step_is_named() -> None:
    orphan = journey(steps__spare={"kind": "send", "template_id": 8, "channels": ["sms"], "next": "done"})
    assert "steps spare: cannot be reached from the start (first_purchase)" in refusal(orphan)


def test_a_journey_without_an_exit_is_refused() -> None:
    endless = journey(steps__done={"kind": "wait", "minutes": 1440, "next": "nudge"})
    assert "no reachable exit step" in refusal(endless)


def test_a_step_that_never_reaches_an_exit_is_named() -> None:
    trapped = journey(steps__points__next="trap")
    trapped["steps"]["trap"] = {"kind": "wait", "minutes": 60, "next": "trap"}
    assert "steps points, trap: no path from them reaches an exit" in refusal(trapped)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        pytest.param(
            {"steps__first_purchase__timeout_minutes": RETENTION_MINUTES + 1},
            "longer than the 180 days a journey's data is kept",
            id="wait-beyond-retention",
        ),
        pytest.param(
            {"steps__nudge__next": "nowhere"}, "steps.nudge: goes to 'nowhere'", id="unknown-target"
        ),
        pytest.param({"start": "begin"}, "start: no step 'begin'", id="unknown-start"),
        pytest.param(
            {"entry__trigger": "moon_phase"}, "entry.trigger: no trigger 'moon_phase'", id="trigger"
        ),
        pytest.param({"entry__key": "draw"}, "keeps one instance per player", id="key-for-trigger"),
        pytest.param({"steps__morning__minutes": 30}, "exactly one", id="wait-two-ways"),
        pytest.param({"steps__morning__until_local_time": "25:00"}, "is not a time of day", id="local-time"),
        pytest.param(
            {"steps__first_purchase__on_timeout": ...},
            "needs timeout_minutes and on_timeout",
            id="no-timeout-step",
        ),
        pytest.param(
            {"steps__first_purchase__for_trigger": "birthday"}, "cannot wait for 'birthday'", id="unwaitable"
        ),
        pytest.param(
            {"steps__who__condition": {"field": "record.colour", "op": "eq", "value": 1}},
            "steps.who.condition: segment.field: unknown field",
            id="unknown-segment-field",
        ),
        pytest.param(
            {"steps__nudge__channels": ["sms", "sms"]}, "a channel is listed twice", id="channel-twice"
        ),
        pytest.param({"steps__points__promo_code": True}, "one of them", id="offer-both"),
        pytest.param({"message_class": "service"}, "keeps no control group", id="service-with-control"),
        pytest.param({"control_share": 0}, "at least 1 %", id="marketing-without-control"),
        pytest.param({"goal": "birthday"}, "cannot be a goal", id="goal"),
        pytest.param({"steps__nudge__kind": "teleport"}, "steps.nudge", id="unknown-step-kind"),
        pytest.param({"re_entry": {"mode": "after_cooldown"}}, "cooldown_days", id="cooldown-missing"),
    ],
)
def test_a_bad_journey_is_refused_saying_where(changes: dict[str, Any], says: str) -> None:
    assert says in refusal(journey(**changes))


def test_a_split_must_add_up_to_one_hundred() -> None:
    split = journey(
        steps__who={
            "kind": "split",
            "arms": [
                {"name": "a", "percent": 50, "next": "points"},
                {"name": "b", "percent": 40, "next": "nudge"},
            ],
        }
    )
    assert "add up to 100" in refusal(split)
