"""A reward order nobody fulfils or cancels: the stale-holds job releases its points AND its unit of stock."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from lottocrm.db.engine import transaction
from lottocrm.loyalty.ledger.verify import verify
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyHold, Reward, RewardOrder
from lottocrm.loyalty.programme import catalogue, maintenance, tiers
from lottocrm.loyalty.programme.members import member_of_account
from loyalty.factories import STAFF, add_card


def _order_and_stock(engine: Engine, order_id: int) -> tuple[str, str, int, int]:
    with transaction(engine) as session:
        order = session.execute(
            select(RewardOrder.status, LoyaltyHold.status, RewardOrder.account_id, Reward.stock)
            .join(LoyaltyHold, LoyaltyHold.id == RewardOrder.hold_id)
            .join(Reward, Reward.id == RewardOrder.reward_id)
            .where(RewardOrder.id == order_id)
        ).one()
        balance = session.execute(
            select(LoyaltyAccount.balance).where(LoyaltyAccount.id == order.account_id)
        ).scalar_one()
    return order[0], order[1], order.stock, balance


def test_the_stale_holds_job_closes_a_lapsed_order_and_returns_its_unit(engine: Engine) -> None:
    card = add_card(engine, 7001, points=1_000)
    placed = dt.datetime.now(dt.UTC)
    with transaction(engine) as session:
        tiers.ensure_default_tiers(session, actor=STAFF)
        catalogue.add_reward(session, actor=STAFF, code="mug", name="Кружка", points_price=300, stock=1)
    with transaction(engine) as session:
        order_id = catalogue.order_reward(
            session,
            actor=STAFF,
            member=member_of_account(session, account_id=card.account_id),
            reward_code="mug",
            now=placed,
        )
    assert _order_and_stock(engine, order_id) == ("reserved", "authorized", 0, 700)

    before_expiry = placed + catalogue.ORDER_HOLD_LIFETIME - dt.timedelta(minutes=1)
    assert maintenance.run_stale_hold_voids(engine, actor=STAFF, now=before_expiry) == 0
    assert _order_and_stock(engine, order_id) == ("reserved", "authorized", 0, 700)

    lapsed = placed + catalogue.ORDER_HOLD_LIFETIME + dt.timedelta(minutes=1)
    assert maintenance.run_stale_hold_voids(engine, actor=STAFF, now=lapsed) == 1
    assert _order_and_stock(engine, order_id) == ("cancelled", "voided", 1, 1_000)
    assert maintenance.run_stale_hold_voids(engine, actor=STAFF, now=lapsed) == 0
    assert _order_and_stock(engine, order_id)[2] == 1
    assert verify(engine).clean


def test_a_stale_till_hold_without_an_order_leaves_the_catalogue_alone(engine: Engine) -> None:
    card = add_card(engine, 7002, points=1_000)
    now = dt.datetime.now(dt.UTC)
    with transaction(engine) as session:
        catalogue.add_reward(session, actor=STAFF, code="cap", name="Кепка", points_price=100, stock=3)
        order_id = catalogue.order_reward(
            session,
            actor=STAFF,
            member=member_of_account(session, account_id=card.account_id),
            reward_code="cap",
            now=now,
        )
    with transaction(engine) as session:
        hold = session.execute(select(RewardOrder.hold_id).where(RewardOrder.id == order_id)).scalar_one()
        assert not catalogue.close_lapsed_order(session, hold_id=hold + 1_000, now=now)
    assert _order_and_stock(engine, order_id) == ("reserved", "authorized", 2, 900)
