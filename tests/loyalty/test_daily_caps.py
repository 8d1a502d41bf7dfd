"""Daily earn caps count the operator's calendar days (``LOTTOCRM_TIMEZONE``), not UTC days: in Moscow the
boundary is 21:00 UTC, in Vladivostok 14:00 UTC."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from lottocrm import clock
from lottocrm.db.engine import transaction
from lottocrm.loyalty.ledger.verify import verify
from lottocrm.loyalty.programme import earn_rules, earning
from lottocrm.settings import get_settings
from loyalty.factories import STAFF, Card, TillPartner, member

# 2026-11-22 21:00 UTC is midnight in Moscow: the start of 23 November there.
MOSCOW_MIDNIGHT = dt.datetime(2026, 11, 22, 21, 0, tzinfo=dt.UTC)
TICK = dt.timedelta(microseconds=1)


def _operator_zone(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Run the test as an operator in ``name``, set the way a deployment sets it."""
    monkeypatch.setenv("LOTTOCRM_TIMEZONE", name)
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def moscow(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Moscow unless a test says otherwise, whatever the machine running the tests is set to."""
    _operator_zone(monkeypatch, "Europe/Moscow")
    yield
    get_settings.cache_clear()  # the next test reads its own environment


def _earn(engine: Engine, card: Card, partner: TillPartner, at: dt.datetime, rubles: int = 1_000) -> int:
    with transaction(engine) as session:
        return earning.earn_at_partner(
            session, member=member(session, card), partner_id=partner.id, spend_kopecks=rubles * 100, now=at
        ).points


@pytest.fixture
def capped(engine: Engine) -> None:
    """10 points per 100 ₽ (1 000 ₽ earns 100) and at most 150 points a day."""
    with transaction(engine) as session:
        earn_rules.add_rule(session, actor=STAFF, name="base", kind="base_rate", points_per_100_rub=10)
        earn_rules.add_rule(session, actor=STAFF, name="cap", kind="daily_cap", cap_points=150)


@pytest.mark.parametrize(
    ("at", "day"),
    [
        (MOSCOW_MIDNIGHT - TICK, dt.date(2026, 11, 22)),
        (MOSCOW_MIDNIGHT, dt.date(2026, 11, 23)),
        (dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC), dt.date(2026, 11, 23)),
        (dt.datetime(2026, 11, 22, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=5))), dt.date(2026, 11, 21)),
    ],
)
def test_moscow_day_of_an_instant(at: dt.datetime, day: dt.date) -> None:
    start, end = clock.day_bounds_at(at)
    assert start <= at < end and end - start == dt.timedelta(days=1)
    assert clock.local(start).date() == day and clock.local(start).hour == 0


def test_purchase_at_2330_utc_counts_toward_the_next_moscow_day(
    engine: Engine, card: Card, shop: TillPartner, capped: None
) -> None:
    # 20:00 UTC is 23:00 in Moscow on the 22nd: 100 points of that day's 150.
    assert _earn(engine, card, shop, MOSCOW_MIDNIGHT - dt.timedelta(hours=1)) == 100
    # 23:30 UTC is 02:30 on the 23rd in Moscow (still the 22nd in UTC): a fresh day, the full 100.
    assert _earn(engine, card, shop, dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)) == 100
    # 00:30 UTC on the 23rd: same Moscow day as the 23:30 UTC purchase, so only 50 left.
    assert _earn(engine, card, shop, dt.datetime(2026, 11, 23, 0, 30, tzinfo=dt.UTC)) == 50
    assert _earn(engine, card, shop, dt.datetime(2026, 11, 23, 20, 59, 59, tzinfo=dt.UTC)) == 0
    assert verify(engine).clean


def test_the_last_microsecond_before_moscow_midnight_belongs_to_the_old_day(
    engine: Engine, card: Card, shop: TillPartner, capped: None
) -> None:
    assert _earn(engine, card, shop, MOSCOW_MIDNIGHT - dt.timedelta(hours=2)) == 100
    assert _earn(engine, card, shop, MOSCOW_MIDNIGHT - TICK) == 50
    assert _earn(engine, card, shop, MOSCOW_MIDNIGHT) == 100


def test_an_earn_dated_earlier_is_capped_by_its_own_day_only(
    engine: Engine, card: Card, shop: TillPartner, capped: None
) -> None:
    """Lake tickets are earned dated at their sale: a later day's earns must not eat an earlier day's room."""
    assert _earn(engine, card, shop, MOSCOW_MIDNIGHT + dt.timedelta(hours=2)) == 100
    with transaction(engine) as session:
        ticket = earning.Ticket(
            ticket_id=77,
            game_id=1,
            draw_id=None,
            channel="app",
            price_kopecks=100_000,
            sold_at=MOSCOW_MIDNIGHT - dt.timedelta(hours=3),
        )
        earned = earning.earn_for_ticket(
            session, account_id=card.account_id, ticket=ticket, now=ticket.sold_at
        )
    assert earned is not None and earned.points == 100


def test_a_partner_scoped_cap_counts_only_that_partners_earns(
    engine: Engine, card: Card, shop: TillPartner, other_shop: TillPartner
) -> None:
    with transaction(engine) as session:
        earn_rules.add_rule(session, actor=STAFF, name="base", kind="base_rate", points_per_100_rub=10)
        earn_rules.add_rule(
            session, actor=STAFF, name="shop cap", kind="daily_cap", partner_id=shop.id, cap_points=120
        )
    noon = MOSCOW_MIDNIGHT + dt.timedelta(hours=9)
    assert _earn(engine, card, other_shop, noon) == 100  # no cap at the other shop
    assert _earn(engine, card, shop, noon) == 100  # the other shop's 100 do not count here
    assert _earn(engine, card, shop, noon) == 20
    assert _earn(engine, card, other_shop, noon) == 100


# 2026-11-22 14:00 UTC is midnight in Vladivostok (UTC+10): the start of 23 November there.
VLADIVOSTOK_MIDNIGHT = dt.datetime(2026, 11, 22, 14, 0, tzinfo=dt.UTC)


def test_an_operator_in_vladivostok_gets_a_fresh_cap_at_vladivostoks_midnight(
    engine: Engine, card: Card, shop: TillPartner, capped: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _operator_zone(monkeypatch, "Asia/Vladivostok")
    assert _earn(engine, card, shop, VLADIVOSTOK_MIDNIGHT - dt.timedelta(hours=1)) == 100
    assert _earn(engine, card, shop, VLADIVOSTOK_MIDNIGHT - TICK) == 50
    # 14:00 UTC: a new day in Vladivostok (still the 22nd in Moscow, where the cap would now be spent).
    assert _earn(engine, card, shop, VLADIVOSTOK_MIDNIGHT) == 100
    assert _earn(engine, card, shop, MOSCOW_MIDNIGHT) == 50  # 07:00 on the 23rd there: the same day
    assert verify(engine).clean


def test_a_cap_day_with_a_summer_time_change_is_23_hours_long(monkeypatch: pytest.MonkeyPatch) -> None:
    """No fixed offset: in Berlin the last Sunday of March 2026 runs 23:00 UTC → 22:00 UTC."""
    _operator_zone(monkeypatch, "Europe/Berlin")
    start, end = clock.day_bounds_at(dt.datetime(2026, 3, 29, 12, 0, tzinfo=dt.UTC))
    assert (start, end) == (
        dt.datetime(2026, 3, 28, 23, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, 22, 0, tzinfo=dt.UTC),
    )
