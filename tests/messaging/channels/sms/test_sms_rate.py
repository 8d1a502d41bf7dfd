"""The adaptive token bucket: halves on throttling, grows back, lifts the limit it imposed itself."""

from __future__ import annotations

import time

import pytest

from lottocrm.messaging.channels.sms.rate import AdaptiveRate

pytestmark = pytest.mark.anyio


def calm_second(rate: AdaptiveRate) -> None:
    rate._last_change = time.monotonic() - 1.5
    rate._recover(time.monotonic())


def test_throttling_halves_a_configured_rate_and_it_grows_back_to_the_ceiling() -> None:
    rate = AdaptiveRate(ceiling=100.0)
    wait = rate.throttled(time.monotonic())
    assert rate.rate == 50.0 and wait > 0
    calm_second(rate)
    assert rate.rate == 62.5
    rate.rate = 99.0
    calm_second(rate)
    assert rate.rate == 100.0


def test_without_a_ceiling_the_limit_starts_at_throttling_and_is_lifted_again() -> None:
    rate = AdaptiveRate(ceiling=None)
    assert rate.rate is None
    rate._recent.extend([time.monotonic()] * 40)  # 40 submissions in the last second
    rate.throttled(time.monotonic())
    assert rate.rate == 20.0
    for _ in range(5):
        calm_second(rate)
    assert rate.rate is None


def test_refusals_of_submissions_sent_before_or_just_after_the_slowdown_do_not_slow_it_again() -> None:
    rate = AdaptiveRate(ceiling=64.0)
    in_flight = time.monotonic()
    rate.throttled(in_flight)
    for _ in range(10):
        rate.throttled(in_flight - 0.001)
        rate.throttled(time.monotonic())
    assert rate.rate == 32.0
    rate._last_change -= 1.1  # a second later, still refused: the new pace is still too fast
    rate.throttled(time.monotonic())
    assert rate.rate == 16.0


async def test_slots_are_spaced_at_the_rate() -> None:
    rate = AdaptiveRate(ceiling=50.0)
    slots = [await rate.acquire() for _ in range(10)]
    gaps = [later - earlier for earlier, later in zip(slots[5:], slots[6:], strict=False)]
    assert all(gap >= 0.019 for gap in gaps), gaps
