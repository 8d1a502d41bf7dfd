"""Earn rules as data, tiers, settlement, rewards catalogue, cards, lake earns, velocity, the simulator."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from sqlalchemy import Engine, func, select

from lottocrm.db import migrate
from lottocrm.db.engine import make_engine, transaction
from lottocrm.lake.schemas import TICKETS
from lottocrm.lake.store import Lake
from lottocrm.loyalty.errors import InsufficientPoints, OutOfStock, VelocityLimit
from lottocrm.loyalty.ledger.verify import verify
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyCard, Reward
from lottocrm.loyalty.programme import cards, catalogue, earn_rules, earning, redemption, settlement, tiers
from lottocrm.loyalty.programme.lake_earn import earn_from_lake
from lottocrm.loyalty.programme.members import member_of_account
from lottocrm.loyalty.programme.simulate import simulate_loyalty
from loyalty.factories import STAFF, Card, TillPartner, add_card, add_player, member, utcnow

NEW_YEAR = dt.datetime(2027, 1, 1, 10, tzinfo=dt.UTC)


def test_luhn_card_numbers_and_scans() -> None:
    number = cards.new_card_number()
    assert cards.is_valid_card_number(number)
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not cards.is_valid_card_number(wrong)
    assert cards.luhn_check_digit("7992739871") == "3"  # the textbook example
    assert cards.card_number_from_scan(f" {number[:4]}-{number[4:8]} {number[8:]} ") == number


def _purchase(**fields: object) -> earn_rules.Purchase:
    return earn_rules.Purchase(**{"source": "ticket", "spend_kopecks": 20_000, "at": NEW_YEAR, **fields})  # type: ignore[arg-type]


def test_most_specific_base_rate_wins_and_multipliers_stack(engine: Engine) -> None:
    card = add_card(engine, 4001)
    with transaction(engine) as session:
        tiers.ensure_default_tiers(session, actor=STAFF)
        earn_rules.add_rule(
            session, actor=STAFF, name="tickets", kind="base_rate", source="ticket", points_per_100_rub=5
        )
        earn_rules.add_rule(
            session,
            actor=STAFF,
            name="game 7",
            kind="base_rate",
            source="ticket",
            game_id=7,
            points_per_100_rub=8,
        )
        earn_rules.add_rule(
            session,
            actor=STAFF,
            name="NY x2",
            kind="multiplier",
            source="ticket",
            multiplier_percent=200,
            valid_from=dt.datetime(2026, 12, 31, tzinfo=dt.UTC),
            valid_to=dt.datetime(2027, 1, 2, tzinfo=dt.UTC),
        )
        earn_rules.add_rule(session, actor=STAFF, name="cap", kind="daily_cap", cap_points=60)
        account = card.account_id
        assert (
            earn_rules.points_for(session, _purchase(), account_id=account) == 20
        )  # 200 ₽ at 5 per 100 ₽, ×2
        assert (
            earn_rules.points_for(session, _purchase(game_id=7), account_id=account) == 32
        )  # 8 × 2 for game 7
        later = _purchase(at=NEW_YEAR + dt.timedelta(days=5))
        assert earn_rules.points_for(session, later, account_id=account) == 10  # multiplier over
        assert (
            earn_rules.points_for(session, _purchase(tier="gold", at=later.at), account_id=account) == 12
        )  # 125 %
    with transaction(engine) as session:
        ticket = earning.Ticket(
            ticket_id=1, game_id=7, draw_id=None, channel="app", price_kopecks=1_000_000, sold_at=NEW_YEAR
        )
        capped = earning.earn_for_ticket(session, account_id=card.account_id, ticket=ticket, now=NEW_YEAR)
        assert capped.points == 60  # 1 600 by the rules, cut to the daily cap
        ticket2 = earning.Ticket(
            ticket_id=2, game_id=7, draw_id=None, channel="app", price_kopecks=10_000, sold_at=NEW_YEAR
        )
        assert (
            earning.earn_for_ticket(session, account_id=card.account_id, ticket=ticket2, now=NEW_YEAR).points
            == 0
        )


def test_welcome_bonus_once(engine: Engine) -> None:
    card = add_card(engine, 4002)
    with transaction(engine) as session:
        earn_rules.add_rule(session, actor=STAFF, name="welcome", kind="welcome_bonus", bonus_points=150)
        assert earning.grant_welcome_bonus(session, account_id=card.account_id, now=utcnow()).points == 150
        assert earning.grant_welcome_bonus(session, account_id=card.account_id, now=utcnow()) is None


def test_tier_upgrades_at_once_and_downgrades_only_on_requalification(
    engine: Engine, shop: TillPartner
) -> None:
    card = add_card(engine, 4003)
    now = utcnow()
    with transaction(engine) as session:
        tiers.ensure_default_tiers(session, actor=STAFF)
        earning.earn_at_partner(
            session,
            member=member(session, card),
            partner_id=shop.id,
            spend_kopecks=2_500_000,
            now=now - dt.timedelta(days=300),
        )
    with transaction(engine) as session:
        assert session.get(LoyaltyAccount, card.account_id).tier == "silver"
        assert tiers.requalify(session, account_id=card.account_id, now=now) is None  # still silver
        downgrade = tiers.requalify(session, account_id=card.account_id, now=now + dt.timedelta(days=100))
        assert downgrade is not None and (downgrade.previous, downgrade.tier) == ("silver", "bronze")


def test_settlement_says_who_owes_whom(engine: Engine, shop: TillPartner, other_shop: TillPartner) -> None:
    card = add_card(engine, 4004)
    now = utcnow()
    with transaction(engine) as session:
        earning.earn_at_partner(
            session, member=member(session, card), partner_id=shop.id, spend_kopecks=5_000_000, now=now
        )  # 500 points issued by shop
        hold = redemption.authorize(
            session, member=member(session, card), partner_id=other_shop.id, points=300, now=now
        )
        redemption.capture(session, hold_id=hold.hold_id, partner_id=other_shop.id, now=now)
        redemption.refund(session, hold_id=hold.hold_id, partner_id=other_shop.id, points=100, now=now)
    with transaction(engine) as session:
        lines = {
            line.partner_code: line
            for line in settlement.settlement(
                session, actor=STAFF, start=now - dt.timedelta(days=1), end=now + dt.timedelta(days=1)
            )
        }
        outside = settlement.settlement(
            session, actor=STAFF, start=now + dt.timedelta(days=1), end=now + dt.timedelta(days=2)
        )
    assert (lines["shop"].points_issued, lines["shop"].points_redeemed) == (500, 0)
    assert lines["shop"].partner_owes_kopecks == 50_000  # the shop pays the programme 500 ₽
    assert (lines["othershop"].points_issued, lines["othershop"].points_redeemed) == (0, 200)
    assert lines["othershop"].partner_owes_kopecks == -20_000  # the programme pays 200 ₽
    assert all(line.points_issued == line.points_redeemed == 0 for line in outside)


def test_catalogue_reserves_stock_and_points_together(engine: Engine, card: Card) -> None:
    now = utcnow()
    with transaction(engine) as session:
        catalogue.add_reward(session, actor=STAFF, code="mug", name="Кружка", points_price=400, stock=1)
        catalogue.add_reward(session, actor=STAFF, code="tv", name="Телевизор", points_price=5_000, stock=3)
        order = catalogue.order_reward(
            session,
            actor=STAFF,
            member=member_of_account(session, account_id=card.account_id),
            reward_code="mug",
            now=now,
        )
    with pytest.raises(OutOfStock), transaction(engine) as session:
        catalogue.order_reward(
            session,
            actor=STAFF,
            member=member_of_account(session, account_id=card.account_id),
            reward_code="mug",
            now=now,
        )
    with pytest.raises(InsufficientPoints), transaction(engine) as session:
        catalogue.order_reward(
            session,
            actor=STAFF,
            member=member_of_account(session, account_id=card.account_id),
            reward_code="tv",
            now=now,
        )
    with transaction(engine) as session:
        assert session.execute(select(Reward.stock).where(Reward.code == "tv")).scalar_one() == 3
        catalogue.cancel_order(session, actor=STAFF, order_id=order, now=now)
        assert session.execute(select(Reward.stock).where(Reward.code == "mug")).scalar_one() == 1
        again = catalogue.order_reward(
            session,
            actor=STAFF,
            member=member_of_account(session, account_id=card.account_id),
            reward_code="mug",
            now=now,
        )
        catalogue.fulfil_order(session, actor=STAFF, order_id=again, now=now)
        assert session.get(LoyaltyAccount, card.account_id).balance == 600
    assert verify(engine).clean


def test_velocity_limit_per_card(engine: Engine, shop: TillPartner) -> None:
    card = add_card(engine, 4005, points=100, max_ops_per_minute=3)
    now = utcnow()
    with transaction(engine) as session:
        for _ in range(3):
            redemption.authorize(session, member=member(session, card), partner_id=shop.id, points=1, now=now)
    with pytest.raises(VelocityLimit), transaction(engine) as session:
        redemption.authorize(session, member=member(session, card), partner_id=shop.id, points=1, now=now)
    with transaction(engine) as session:
        redemption.authorize(
            session,
            member=member(session, card),
            partner_id=shop.id,
            points=1,
            now=now + dt.timedelta(minutes=2),
        )


def test_lake_tickets_earn_once(engine: Engine, lake: Lake) -> None:
    card = add_card(engine, 4006)
    sold = utcnow() - dt.timedelta(days=3)
    lake.append(
        "tickets",
        pa.table(
            {
                "ticket_id": [1, 2, 3],
                "player_id": [4006, 4006, None],
                "game_id": [1, 1, 1],
                "draw_id": [None] * 3,
                "channel": ["website"] * 3,
                "pos_id": [None] * 3,
                "region": ["RU-MOW"] * 3,
                "price_kopecks": [20_000, 30_000, 50_000],
                "sold_at": [sold] * 3,
            },
            schema=TICKETS.schema,
        ),
        batch_id="t1",
    )
    with transaction(engine) as session:
        earn_rules.add_rule(
            session, actor=STAFF, name="tickets", kind="base_rate", source="ticket", points_per_100_rub=10
        )
    first = earn_from_lake(engine, lake, actor=STAFF)
    again = earn_from_lake(engine, lake, actor=STAFF)
    assert (first.tickets, first.earned, first.points) == (2, 2, 50)
    assert (again.earned, again.points) == (0, 0)
    with transaction(engine) as session:
        assert session.get(LoyaltyAccount, card.account_id).balance == 50
        reversal = earning.reverse_ticket_earn(session, actor=STAFF, ticket_id=2, now=utcnow())
        assert reversal.points == 30
    assert verify(engine).clean


def test_simulation_enrols_card_holders_and_keeps_the_ledger_clean(engine: Engine) -> None:
    with transaction(engine) as session:
        for player_id in range(1, 25):
            add_player(session, player_id=player_id)
    start, end = dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    summary = simulate_loyalty(engine, actor=STAFF, seed=7, start=start, end=end, card_share=0.5)
    assert summary.partners == 20 and summary.card_holders > 10 and summary.purchases > summary.card_holders
    assert summary.redemptions > 0
    with transaction(engine) as session:
        numbers = session.execute(select(LoyaltyCard.number)).scalars().all()
    assert len(numbers) == summary.card_holders and all(map(cards.is_valid_card_number, numbers))
    assert verify(engine).clean
    # A second run enrols only players who have no card yet, and no more than asked.
    again = simulate_loyalty(engine, actor=STAFF, seed=8, start=start, end=end, card_share=0.5, max_holders=2)
    assert 0 < again.card_holders <= 2


def test_simulation_repeats_exactly_on_the_same_players(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    def run(url: str) -> tuple[list[str], int]:
        other = make_engine(url)
        migrate.upgrade(other)
        with transaction(other) as session:
            for player_id in range(1, 11):
                add_player(session, player_id=player_id)
        simulate_loyalty(
            other,
            actor=STAFF,
            seed=3,
            start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            end=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
            card_share=0.6,
        )
        with transaction(other) as session:
            result = (
                sorted(session.execute(select(LoyaltyCard.number)).scalars()),
                session.execute(select(func.sum(LoyaltyAccount.balance))).scalar_one(),
            )
        other.dispose()
        return result

    if engine.dialect.name != "sqlite":
        pytest.skip("one dialect is enough to show the seed fixes the outcome")
    assert run(f"sqlite:///{tmp_path / 'a.sqlite3'}") == run(f"sqlite:///{tmp_path / 'b.sqlite3'}")
