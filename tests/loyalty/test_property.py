"""Random operation sequences against a small in-memory model of the ledger rules (hypothesis).

The model knows lots, their expiry, soonest-first burning, holds and refunds — and nothing about SQL. After
every step the real ledger must agree with it on the balance, the spendable points, every hold's state and
whether the step was refused, and on what is left in each lot.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from lottocrm.db.engine import transaction
from lottocrm.loyalty import adjustments, expiry, ledger, redemption
from lottocrm.loyalty.errors import LoyaltyError
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyHold, LoyaltyLot
from lottocrm.loyalty.verify import verify
from loyalty.factories import TillPartner, add_card, add_partner, member

START = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
player_ids = itertools.count(100_000)


@dataclass
class Lot:
    expires: dt.datetime
    remaining: int
    order: int


@dataclass
class Hold:
    points: int
    expires: dt.datetime
    draws: list[tuple[Lot, int]]
    status: str = "authorized"
    captured: int = 0
    refunded: int = 0


@dataclass
class Model:
    lots: list[Lot] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)

    def add_lot(self, points: int, expires: dt.datetime) -> None:
        self.lots.append(Lot(expires, points, len(self.lots)))

    def spendable(self, now: dt.datetime) -> int:
        return sum(lot.remaining for lot in self.lots if lot.expires > now)

    def balance(self) -> int:
        return sum(lot.remaining for lot in self.lots)

    def authorize(self, points: int, now: dt.datetime) -> bool:
        if points > self.spendable(now):
            return False
        draws, left = [], points
        for lot in sorted(
            (lot for lot in self.lots if lot.expires > now and lot.remaining),
            key=lambda lot: (lot.expires, lot.order),
        ):
            take = min(lot.remaining, left)
            if take:
                lot.remaining -= take
                draws.append((lot, take))
                left -= take
        self.holds.append(Hold(points, now + redemption.HOLD_LIFETIME, draws))
        return True

    def give_back(self, hold: Hold, points: int) -> None:
        for lot, drawn in sorted(hold.draws, key=lambda draw: (draw[0].expires, draw[0].order), reverse=True):
            give = min(drawn, points)
            lot.remaining += give
            points -= give

    def capture(self, index: int, points: int | None, now: dt.datetime) -> bool:
        hold = self.holds[index]
        points = hold.points if points is None else points
        if hold.status != "authorized" or hold.expires <= now or points > hold.points:
            return False
        self.give_back(hold, hold.points - points)
        hold.status, hold.captured = "captured", points
        return True

    def void(self, index: int) -> bool:
        hold = self.holds[index]
        if hold.status != "authorized":
            return False
        self.give_back(hold, hold.points)
        hold.status = "voided"
        return True

    def refund(self, index: int, points: int, now: dt.datetime) -> bool:
        hold = self.holds[index]
        if hold.status != "captured" or points > hold.captured - hold.refunded:
            return False
        latest = max(lot.expires for lot, _ in hold.draws)
        self.add_lot(points, max(latest, now + ledger.REFUND_MIN_LIFETIME))
        hold.refunded += points
        return True

    def expire(self, now: dt.datetime) -> None:
        for lot in self.lots:
            if lot.expires <= now:
                lot.remaining = 0


operations = st.one_of(
    st.tuples(st.just("earn"), st.integers(1, 300)),
    st.tuples(st.just("authorize"), st.integers(1, 400)),
    st.tuples(st.just("capture"), st.integers(0, 5), st.one_of(st.none(), st.integers(1, 400))),
    st.tuples(st.just("void"), st.integers(0, 5)),
    st.tuples(st.just("refund"), st.integers(0, 5), st.integers(1, 200)),
    st.tuples(st.just("wait"), st.sampled_from([dt.timedelta(minutes=20), dt.timedelta(days=200)])),
    st.tuples(st.just("expire")),
)


def _apply(
    engine: Engine,
    model: Model,
    shop: TillPartner,
    card,
    step: tuple,
    now: dt.datetime,  # type: ignore[no-untyped-def]
    hold_ids: list[int],
) -> None:
    kind = step[0]
    if kind in ("capture", "void", "refund") and step[1] >= len(hold_ids):
        return
    expected: bool | None = None
    try:
        with transaction(engine) as session:
            if kind == "earn":
                model.add_lot(step[1], now + ledger.LOT_LIFETIME)
                expected = True
                adjustments.adjust(
                    session, account_id=card.account_id, points=step[1], actor="test", reason="earn", now=now
                )
            elif kind == "authorize":
                expected = model.authorize(step[1], now)
                result = redemption.authorize(
                    session, member=member(session, card), partner_id=shop.id, points=step[1], now=now
                )
                hold_ids.append(result.hold_id)
            elif kind == "capture":
                expected = model.capture(step[1], step[2], now)
                redemption.capture(
                    session, hold_id=hold_ids[step[1]], partner_id=shop.id, points=step[2], now=now
                )
            elif kind == "void":
                expected = model.void(step[1])
                redemption.void(session, hold_id=hold_ids[step[1]], partner_id=shop.id, now=now)
            elif kind == "refund":
                expected = model.refund(step[1], step[2], now)
                redemption.refund(
                    session, hold_id=hold_ids[step[1]], partner_id=shop.id, points=step[2], now=now
                )
            elif kind == "expire":
                model.expire(now)
                expiry.expire_account(session, account_id=card.account_id, now=now)
        succeeded = True
    except LoyaltyError:
        succeeded = False
    if expected is not None:
        assert succeeded == expected, (
            f"{step}: ledger {'accepted' if succeeded else 'refused'}, model did not"
        )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(operations, min_size=1, max_size=25))
def test_ledger_matches_the_model(engine: Engine, steps: list[tuple]) -> None:
    shop = _shop(engine)
    card = add_card(engine, next(player_ids))
    model, hold_ids, now = Model(), [], START
    for step in steps:
        if step[0] == "wait":
            now += step[1]
            continue
        _apply(engine, model, shop, card, step, now, hold_ids)
        with transaction(engine) as session:
            stored = session.execute(
                select(LoyaltyAccount.balance).where(LoyaltyAccount.id == card.account_id)
            ).scalar_one()
            spendable = ledger.spendable(session, account_id=card.account_id, now=now)
            lots = (
                session.execute(
                    select(LoyaltyLot.remaining)
                    .where(LoyaltyLot.account_id == card.account_id)
                    .order_by(LoyaltyLot.id)
                )
                .scalars()
                .all()
            )
            statuses = [
                session.execute(select(LoyaltyHold.status).where(LoyaltyHold.id == hold_id)).scalar_one()
                for hold_id in hold_ids
            ]
        assert (stored, spendable) == (model.balance(), model.spendable(now)), step
        assert lots == [lot.remaining for lot in model.lots], step
        assert statuses == [hold.status for hold in model.holds], step
    assert verify(engine).clean


_shops: dict[str, TillPartner] = {}


def _shop(engine: Engine) -> TillPartner:
    """One partner per database: hypothesis reuses the test's engine across examples."""
    url = engine.url.render_as_string()
    if url not in _shops:
        _shops[url] = add_partner(engine, "shop")
    return _shops[url]
