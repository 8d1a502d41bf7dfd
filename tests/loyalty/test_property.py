"""Random operation sequences against a small in-memory model of the ledger rules (hypothesis).

The model knows lots, their expiry, soonest-first burning, holds and refunds — and nothing about SQL. After
every step the real ledger must agree with it on the balance, the spendable points, every hold's state and
whether the step was refused, and on what is left in each lot. The same sequences run through the Python
services (both dialects) and through PostgreSQL's till functions, which restate the redemption rules in
PL/pgSQL for the till's one-round-trip path.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import uuid
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.loyalty.errors import LoyaltyError
from lottocrm.loyalty.ledger import expiry, lots
from lottocrm.loyalty.ledger.verify import verify
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyHold, LoyaltyLot
from lottocrm.loyalty.programme import adjustments, redemption
from lottocrm.loyalty.till import procedures
from lottocrm.security.api_keys import digest_api_key, key_prefix
from loyalty.factories import Card, TillPartner, add_card, add_partner, member

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
        self.add_lot(points, max(latest, now + lots.REFUND_MIN_LIFETIME))
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


class ServiceTill:
    """Redemptions through the Python services, one transaction per step (SQLite, and Session callers)."""

    def __init__(self, engine: Engine, shop: TillPartner, card: Card) -> None:
        self.engine, self.shop, self.card = engine, shop, card

    def authorize(self, points: int, now: dt.datetime) -> int | None:
        try:
            with transaction(self.engine) as session:
                found = member(session, self.card)
                return redemption.authorize(
                    session, member=found, partner_id=self.shop.id, points=points, now=now
                ).hold_id
        except LoyaltyError:
            return None

    def capture(self, hold_id: int, points: int | None, now: dt.datetime) -> bool:
        return self._settle(redemption.capture, hold_id=hold_id, points=points, now=now)

    def void(self, hold_id: int, now: dt.datetime) -> bool:
        return self._settle(redemption.void, hold_id=hold_id, now=now)

    def refund(self, hold_id: int, points: int, now: dt.datetime) -> bool:
        return self._settle(redemption.refund, hold_id=hold_id, points=points, now=now)

    def close(self) -> None:
        pass

    def _settle(self, service, **arguments: object) -> bool:  # type: ignore[no-untyped-def]
        try:
            with transaction(self.engine) as session:
                service(session, partner_id=self.shop.id, **arguments)
        except LoyaltyError:
            return False
        return True


class FunctionTill:
    """Redemptions through PostgreSQL's till functions (migrations 0015, 0018), as the till API sends them."""

    def __init__(self, engine: Engine, shop: TillPartner, card: Card) -> None:
        connections = procedures.open_for(engine)
        assert connections is not None
        self.connections, self.card, self.loop = connections, card, asyncio.new_event_loop()
        self.prefix, self.digest = key_prefix(shop.key), digest_api_key(shop.key)

    def authorize(self, points: int, now: dt.datetime) -> int | None:
        answer = self._call(
            procedures.authorize,
            card_number=self.card.number,
            refusal=None,
            points=points,
            reference=None,
            now=now,
            expires_at=now + redemption.HOLD_LIFETIME,
        )
        return json.loads(answer.body)["hold_id"] if answer.status == 200 else None

    def capture(self, hold_id: int, points: int | None, now: dt.datetime) -> bool:
        return self._call(procedures.capture, hold_id=hold_id, points=points, now=now).status == 200

    def void(self, hold_id: int, now: dt.datetime) -> bool:
        return self._call(procedures.void, hold_id=hold_id, now=now).status == 200

    def refund(self, hold_id: int, points: int, now: dt.datetime) -> bool:
        return self._call(procedures.refund, hold_id=hold_id, points=points, now=now).status == 200

    def close(self) -> None:
        self.loop.run_until_complete(self.connections.close())
        self.loop.close()

    def _call(self, function, **arguments: object) -> procedures.Answer:  # type: ignore[no-untyped-def]
        caller = procedures.Caller(
            prefix=self.prefix, digest=self.digest, key=uuid.uuid4().hex, fingerprint=uuid.uuid4().hex
        )
        answer = self.loop.run_until_complete(function(self.connections, caller, **arguments))
        assert answer.status < 500, answer.body
        return answer


def _apply(
    engine: Engine,
    till: ServiceTill | FunctionTill,
    model: Model,
    card: Card,
    step: tuple,
    now: dt.datetime,
    hold_ids: list[int],
) -> None:
    kind = step[0]
    if kind in ("capture", "void", "refund") and step[1] >= len(hold_ids):
        return
    if kind == "earn":
        model.add_lot(step[1], now + lots.LOT_LIFETIME)
        with transaction(engine) as session:
            adjustments.adjust(
                session,
                account_id=card.account_id,
                points=step[1],
                actor=Actor("test:property"),
                reason="earn",
                now=now,
            )
        return
    if kind == "expire":
        model.expire(now)
        with transaction(engine) as session:
            expiry.expire_account(session, account_id=card.account_id, now=now)
        return
    if kind == "authorize":
        expected = model.authorize(step[1], now)
        hold_id = till.authorize(step[1], now)
        succeeded = hold_id is not None
        if hold_id is not None:
            hold_ids.append(hold_id)
        assert succeeded == expected, (
            f"{step}: ledger {'accepted' if succeeded else 'refused'}, model did not"
        )
        return
    # Counted back from the latest hold, so most settlements meet a hold that is still open.
    index = len(hold_ids) - 1 - step[1]
    if kind == "capture":
        expected = model.capture(index, step[2], now)
        succeeded = till.capture(hold_ids[index], step[2], now)
    elif kind == "void":
        expected = model.void(index)
        succeeded = till.void(hold_ids[index], now)
    else:
        expected = model.refund(index, step[2], now)
        succeeded = till.refund(hold_ids[index], step[2], now)
    assert succeeded == expected, f"{step}: ledger {'accepted' if succeeded else 'refused'}, model did not"


def _run_against_the_model(
    engine: Engine, till_class: type[ServiceTill | FunctionTill], steps: list[tuple]
) -> None:
    shop = _shop(engine)
    card = add_card(engine, next(player_ids))
    till = till_class(engine, shop, card)
    model, hold_ids, now = Model(), [], START
    try:
        # An opening earn, so that most sequences have points to hold, capture and refund.
        for step in [("earn", 1_000), *steps]:
            if step[0] == "wait":
                now += step[1]
                continue
            _apply(engine, till, model, card, step, now, hold_ids)
            _assert_ledger_is_the_model(engine, card, model, hold_ids, now, step)
    finally:
        till.close()
    assert verify(engine).clean


def _assert_ledger_is_the_model(
    engine: Engine, card: Card, model: Model, hold_ids: list[int], now: dt.datetime, step: tuple
) -> None:
    with transaction(engine) as session:
        stored = session.execute(
            select(LoyaltyAccount.balance).where(LoyaltyAccount.id == card.account_id)
        ).scalar_one()
        spendable = lots.spendable(session, account_id=card.account_id, now=now)
        remaining = (
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
    assert remaining == [lot.remaining for lot in model.lots], step
    assert statuses == [hold.status for hold in model.holds], step


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(operations, min_size=5, max_size=40))
def test_ledger_matches_the_model(engine: Engine, steps: list[tuple]) -> None:
    _run_against_the_model(engine, ServiceTill, steps)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(operations, min_size=5, max_size=40))
def test_the_till_functions_match_the_model(engine: Engine, steps: list[tuple]) -> None:
    """The PostgreSQL functions restate the redemption rules in PL/pgSQL: the same model must hold."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the till functions exist on PostgreSQL only; SQLite runs the Python services")
    _run_against_the_model(engine, FunctionTill, steps)


_shops: dict[str, TillPartner] = {}


def _shop(engine: Engine) -> TillPartner:
    """One partner per database: hypothesis reuses the test's engine across examples."""
    url = engine.url.render_as_string()
    if url not in _shops:
        _shops[url] = add_partner(engine, "shop")
    return _shops[url]
