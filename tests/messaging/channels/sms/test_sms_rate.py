"""The adaptive token bucket: halves on throttling, grows back, lifts the limit it imposed itself."""

from __future__ import annotations

import time

from lottocrm.messaging.channels.sms.rate import AdaptiveRate


def test_throttling_halves_a_configured_rate_and_it_grows_back_to_the_ceiling() -> None:
    rate = AdaptiveRate(ceiling=100.0)
    wait = rate.throttled()
    assert rate.rate == 50.0 and wait > 0
    rate._last_change = time.monotonic() - 1.5  # a calm second has passed
    rate._recover(time.monotonic())
    assert rate.rate == 62.5
    rate.rate = 99.0
    rate._last_change = time.monotonic() - 1.5
    rate._recover(time.monotonic())
    assert rate.rate == 100.0


def test_without_a_ceiling_the_limit_starts_at_throttling_and_is_lifted_again() -> None:
    rate = AdaptiveRate(ceiling=None)
    assert rate.rate is None
    rate._recent.extend([time.monotonic()] * 40)  # 40 submissions in the last second
    rate.throttled()
    assert rate.rate == 20.0
    for _ in range(5):
        rate._last_change = time.monotonic() - 1.5
        rate._recover(time.monotonic())
    assert rate.rate is None


def test_a_burst_of_refusals_is_one_decision() -> None:
    rate = AdaptiveRate(ceiling=64.0)
    for _ in range(10):
        rate.throttled()
    assert rate.rate == 32.0
