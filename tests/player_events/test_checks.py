"""One event at a time, without the store: each bad input the issue names gets its reason and its field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from lottocrm.player_events.checks import Candidate, Refusal, check

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def event(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "e-1",
        "type": "deposit",
        "channel": "app",
        "occurred_at": "2026-12-07T14:55:00+03:00",
        "player_id": 1001,
        "properties": {"amount_kopecks": 50000, "method": "sbp"},
    }
    return {key: value for key, value in (base | changes).items() if value is not ...}


def test_a_good_event_becomes_a_candidate_in_utc() -> None:
    found = check(event(), now=NOW)
    assert isinstance(found, Candidate)
    assert found.occurred_at == dt.datetime(2026, 12, 7, 11, 55, tzinfo=dt.UTC)
    assert found.properties == {"amount_kopecks": 50000, "method": "sbp"}


@pytest.mark.parametrize(
    ("raw", "reason", "field", "says"),
    [
        pytest.param([1, 2], "not_an_object", "", "not an array", id="array"),
        pytest.param(
            event(type="lottery_win"), "unknown_type", "type", "no event type 'lottery_win'", id="type"
        ),
        pytest.param(event(id=...), "missing_field", "id", "id is required", id="no-id"),
        pytest.param(event(occurred_at=...), "missing_field", "occurred_at", "required", id="no-time"),
        pytest.param(
            event(properties={"method": "sbp"}),
            "missing_field",
            "properties.amount_kopecks",
            "properties.amount_kopecks is required",
            id="no-amount",
        ),
        pytest.param(
            event(properties={"amount_kopecks": "500"}),
            "invalid_value",
            "properties.amount_kopecks",
            "properties.amount_kopecks: Input should be a valid integer",
            id="amount-as-text",
        ),
        pytest.param(
            event(properties={"amount_kopecks": -5}),
            "invalid_value",
            "properties.amount_kopecks",
            "greater than 0",
            id="negative-amount",
        ),
        pytest.param(
            event(properties={"amount_kopecks": 5, "amount": 5}),
            "unknown_field",
            "properties.amount",
            "not a field of this event",
            id="misspelt-property",
        ),
        pytest.param(event(colour="red"), "unknown_field", "colour", "not a field", id="extra-field"),
        pytest.param(event(channel="tv"), "invalid_value", "channel", "channel:", id="channel"),
        pytest.param(event(player_id=True), "invalid_value", "player_id", "player_id:", id="player-bool"),
        pytest.param(event(player_id="1001"), "invalid_value", "player_id", "player_id:", id="player-text"),
        pytest.param(
            event(occurred_at="2026-12-07 14:55"), "invalid_value", "occurred_at", "no time zone", id="naive"
        ),
        pytest.param(
            event(occurred_at="yesterday"), "invalid_value", "occurred_at", "not an ISO 8601", id="not-a-time"
        ),
        pytest.param(
            event(occurred_at="2026-12-07T12:11:00Z"),
            "in_future",
            "occurred_at",
            "in the future",
            id="future",
        ),
        pytest.param(
            event(occurred_at="2026-11-01T12:00:00Z"), "too_old", "occurred_at", "30 days", id="too-old"
        ),
        pytest.param(
            event(type="page_view", player_id=..., properties={"url": "/"}),
            "no_subject",
            "player_id",
            "player_id, a device_id or both",
            id="nobody",
        ),
        pytest.param(event(id="a b"), "invalid_value", "id", "id:", id="id-with-space"),
        pytest.param(event(id="x" * 65), "invalid_value", "id", "id:", id="id-too-long"),
    ],
)
def test_a_bad_event_is_refused_saying_what_and_where(raw: Any, reason: str, field: str, says: str) -> None:
    refusal = check(raw, now=NOW)
    assert isinstance(refusal, Refusal)
    assert (refusal.reason, refusal.field) == (reason, field)
    assert says in refusal.detail


def test_a_clock_a_few_minutes_ahead_is_tolerated() -> None:
    assert isinstance(check(event(occurred_at="2026-12-07T12:09:00Z"), now=NOW), Candidate)


def test_an_anonymous_page_view_needs_only_a_device() -> None:
    found = check(
        event(type="page_view", player_id=..., device_id="d-1", properties={"url": "/draws"}), now=NOW
    )
    assert isinstance(found, Candidate) and found.envelope.player_id is None
