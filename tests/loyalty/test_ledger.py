"""The ledger services, on both dialects: earn, hold, capture, void, refund, expiry, reversal, verify."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select

from lottocrm.db.engine import transaction
from lottocrm.loyalty.errors import (
    AmountAboveHold,
    HoldExpired,
    HoldNotFound,
    HoldNotOpen,
    InsufficientPoints,
    RefundAboveCapture,
)
from lottocrm.loyalty.ledger import expiry, lots
from lottocrm.loyalty.ledger.verify import verify
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyLot, LoyaltyPosting
from lottocrm.loyalty.programme import earn_rules, earning, redemption
from loyalty.factories import STAFF, Card, TillPartner, add_card, member, top_up, utcnow


def balance(engine: Engine, card: Card) -> int:
    with transaction(engine) as session:
        return session.execute(
            select(LoyaltyAccount.balance).where(LoyaltyAccount.id == card.account_id)
        ).scalar_one()


def posting_count(engine: Engine) -> int:
    with transaction(engine) as session:
        return session.execute(select(func.count()).select_from(LoyaltyPosting)).scalar_one()


def test_authorize_capture_moves_points_to_the_partner(engine: Engine, card: Card, shop: TillPartner) -> None:
    with transaction(engine) as session:
        hold = redemption.authorize(
            session, member=member(session, card), partner_id=shop.id, points=300, now=utcnow()
        )
    assert hold.balance == 700 and hold.status == "authorized"
    with transaction(engine) as session:
        captured = redemption.capture(
            session, hold_id=hold.hold_id, partner_id=shop.id, points=200, now=utcnow()
        )
    assert captured.status == "captured" and captured.captured_points == 200
    assert balance(engine, card) == 800  # the 100 not captured came back
    assert verify(engine).clean, verify(engine).problems


def test_void_returns_every_point_and_a_second_settlement_is_refused(
    engine: Engine, card: Card, shop: TillPartner
) -> None:
    with transaction(engine) as session:
        hold = redemption.authorize(
            session, member=member(session, card), partner_id=shop.id, points=250, now=utcnow()
        )
    with transaction(engine) as session:
        redemption.void(session, hold_id=hold.hold_id, partner_id=shop.id, now=utcnow())
    assert balance(engine, card) == 1_000
    with pytest.raises(HoldNotOpen), transaction(engine) as session:
        redemption.capture(session, hold_id=hold.hold_id, partner_id=shop.id, now=utcnow())
    with pytest.raises(HoldNotOpen), transaction(engine) as session:
        redemption.void(session, hold_id=hold.hold_id, partner_id=shop.id, now=utcnow())
    assert verify(engine).clean


def test_refusals_post_nothing(
    engine: Engine, card: Card, shop: TillPartner, other_shop: TillPartner
) -> None:
    with transaction(engine) as session:
        hold = redemption.authorize(
            session, member=member(session, card), partner_id=shop.id, points=100, now=utcnow()
        )
    before = posting_count(engine)
    with pytest.raises(InsufficientPoints), transaction(engine) as session:
        redemption.authorize(
            session, member=member(session, card), partner_id=shop.id, points=901, now=utcnow()
        )
    with pytest.raises(HoldNotFound), transaction(engine) as session:  # as if it did not exist
        redemption.capture(session, hold_id=hold.hold_id, partner_id=other_shop.id, now=utcnow())
    with pytest.raises(AmountAboveHold), transaction(engine) as session:
        redemption.capture(session, hold_id=hold.hold_id, partner_id=shop.id, points=101, now=utcnow())
    with pytest.raises(HoldExpired), transaction(engine) as session:
        redemption.capture(
            session,
            hold_id=hold.hold_id,
            partner_id=shop.id,
            now=utcnow() + redemption.HOLD_LIFETIME + dt.timedelta(seconds=1),
        )
    assert posting_count(engine) == before
    assert balance(engine, card) == 900


def test_refund_gives_points_back_once(engine: Engine, card: Card, shop: TillPartner) -> None:
    with transaction(engine) as session:
        hold = redemption.authorize(
            session, member=member(session, card), partner_id=shop.id, points=400, now=utcnow()
        )
        redemption.capture(session, hold_id=hold.hold_id, partner_id=shop.id, now=utcnow())
    with transaction(engine) as session:
        redemption.refund(session, hold_id=hold.hold_id, partner_id=shop.id, points=150, now=utcnow())
    with pytest.raises(RefundAboveCapture), transaction(engine) as session:
        redemption.refund(session, hold_id=hold.hold_id, partner_id=shop.id, points=251, now=utcnow())
    assert balance(engine, card) == 750
    assert verify(engine).clean


def test_burn_takes_soonest_expiring_lots_first_and_expiry_posts_to_breakage(
    engine: Engine, shop: TillPartner
) -> None:
    card = add_card(engine, 2001)
    start = utcnow()
    for days_ago, points in ((100, 50), (10, 70)):  # older lot expires sooner
        top_up(engine, card, points, reason="lot", now=start - dt.timedelta(days=days_ago))
    with transaction(engine) as session:
        redemption.authorize(session, member=member(session, card), partner_id=shop.id, points=60, now=start)
    with transaction(engine) as session:
        remaining = (
            session.execute(
                select(LoyaltyLot.remaining)
                .where(LoyaltyLot.account_id == card.account_id)
                .order_by(LoyaltyLot.expires_at)
            )
            .scalars()
            .all()
        )
    assert remaining == [0, 60]
    later = start + lots.LOT_LIFETIME
    with transaction(engine) as session:
        assert expiry.accounts_with_expired_lots(session, now=later) == [card.account_id]
        assert expiry.expire_account(session, account_id=card.account_id, now=later) == 60
    assert balance(engine, card) == 0
    assert verify(engine).clean


def test_stale_holds_are_voided(engine: Engine, card: Card, shop: TillPartner) -> None:
    with transaction(engine) as session:
        redemption.authorize(
            session, member=member(session, card), partner_id=shop.id, points=10, now=utcnow()
        )
    later = utcnow() + redemption.HOLD_LIFETIME * 2
    with transaction(engine) as session:
        stale = redemption.stale_hold_ids(session, now=later)
        assert [redemption.void_stale_hold(session, hold_id=hold_id, now=later) for hold_id in stale] == [
            True
        ]
    assert balance(engine, card) == 1_000
    assert verify(engine).clean


def test_cancelled_ticket_reverses_its_earn_but_never_below_zero(engine: Engine, shop: TillPartner) -> None:
    card = add_card(engine, 3001)
    ticket = earning.Ticket(
        ticket_id=77, game_id=1, draw_id=None, channel="website", price_kopecks=50_000, sold_at=utcnow()
    )
    with transaction(engine) as session:
        earn_rules.add_rule(
            session, actor=STAFF, name="10 per 100", kind="base_rate", source="ticket", points_per_100_rub=10
        )
        earned = earning.earn_for_ticket(session, account_id=card.account_id, ticket=ticket, now=utcnow())
        assert earned is not None and earned.points == 50
        assert (
            earning.earn_for_ticket(session, account_id=card.account_id, ticket=ticket, now=utcnow()) is None
        )
    with transaction(engine) as session:
        redemption.authorize(
            session, member=member(session, card), partner_id=shop.id, points=30, now=utcnow()
        )
    with transaction(engine) as session:
        reversal = earning.reverse_earn(
            session,
            actor=STAFF,
            earn_operation_id=earned.operation_id,
            now=utcnow(),
            reason="ticket cancelled",
        )
    assert (reversal.points, reversal.shortfall, reversal.balance) == (20, 30, 0)
    assert verify(engine).clean


def test_verify_catches_a_tampered_balance(engine: Engine, card: Card) -> None:
    with transaction(engine) as session:
        session.execute(
            LoyaltyAccount.__table__.update()
            .where(LoyaltyAccount.id == card.account_id)
            .values(balance=5_000)
        )
    report = verify(engine)
    assert not report.clean and any("stored balance 5000" in problem for problem in report.problems)
