"""The rewards catalogue over the till API: what a member may order, orders that reserve a unit and the
points together, cancellations that give both back — and every refusal with nothing changed."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from lottocrm.db.engine import transaction
from lottocrm.loyalty.errors import LoyaltyError
from lottocrm.loyalty.ledger.verify import verify
from lottocrm.loyalty.models import (
    LoyaltyAccount,
    LoyaltyHold,
    LoyaltyOperation,
    LoyaltyPosting,
    Reward,
    RewardOrder,
)
from lottocrm.loyalty.programme import catalogue, redemption, tiers
from lottocrm.loyalty.programme.members import member_of_account
from loyalty.factories import STAFF, Card, TillPartner, add_card, add_partner
from loyalty.test_cli import run
from loyalty.test_till_api import call, count, error_code


@pytest.fixture
def rewards(engine: Engine) -> None:
    with transaction(engine) as session:
        tiers.ensure_default_tiers(session, actor=STAFF)
        catalogue.add_reward(session, actor=STAFF, code="mug", name="Кружка", points_price=300, stock=2)
        catalogue.add_reward(session, actor=STAFF, code="tv", name="Телевизор", points_price=5_000, stock=1)
        catalogue.add_reward(
            session, actor=STAFF, code="lounge", name="Лаунж", points_price=200, stock=5, min_tier="gold"
        )
        catalogue.add_reward(session, actor=STAFF, code="cap", name="Кепка", points_price=100, stock=0)
        retired = catalogue.add_reward(
            session, actor=STAFF, code="old", name="Старое", points_price=10, stock=9
        )
        session.execute(update(Reward).where(Reward.id == retired).values(active=False))


def _stock(engine: Engine, code: str) -> int:
    with transaction(engine) as session:
        return session.execute(select(Reward.stock).where(Reward.code == code)).scalar_one()


def _changes(engine: Engine) -> tuple[int, ...]:
    with transaction(engine) as session:
        stock = tuple(session.execute(select(Reward.stock).order_by(Reward.id)).scalars())
    return (
        count(engine, LoyaltyPosting),
        count(engine, LoyaltyOperation),
        count(engine, RewardOrder),
        *stock,
    )


def _refused(
    client: TestClient, engine: Engine, partner: TillPartner, path: str, body: object, status: int, code: str
) -> None:
    before = _changes(engine)
    response = call(client, partner, path, body)
    assert (response.status_code, error_code(response)) == (status, code), response.text
    assert response.json()["error"]["message"]
    assert _changes(engine) == before


def _order(client: TestClient, partner: TillPartner, card: Card, reward: str, **kwargs: str):  # type: ignore[no-untyped-def]
    return call(
        client, partner, "/rewards/orders", {"card_number": card.number, "reward_code": reward}, **kwargs
    )


def test_catalogue_shows_what_the_members_tier_allows_and_what_is_in_stock(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, rewards: None
) -> None:
    listed = call(client, shop, "/rewards/catalogue", {"card_number": card.number}).json()
    assert (listed["tier"], listed["spendable"]) == (None, 1_000)
    assert [(offer["code"], offer["affordable"]) for offer in listed["rewards"]] == [
        ("mug", True),
        ("tv", False),
    ]
    with_sold_out = call(
        client, shop, "/rewards/catalogue", {"phone": card.phone, "include_out_of_stock": True}
    ).json()
    assert [offer["code"] for offer in with_sold_out["rewards"]] == ["cap", "mug", "tv"]
    with transaction(engine) as session:
        session.execute(
            update(LoyaltyAccount).where(LoyaltyAccount.id == card.account_id).values(tier="gold")
        )
    gold = call(client, shop, "/rewards/catalogue", {"card_number": card.number}).json()
    assert [offer["code"] for offer in gold["rewards"]] == ["lounge", "mug", "tv"]


def test_order_reserves_a_unit_and_the_points_and_cancel_gives_both_back(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, rewards: None
) -> None:
    ordered = _order(client, shop, card, "mug", key="app-order-1")
    assert ordered.status_code == 200, ordered.text
    order = ordered.json()
    assert (order["status"], order["points"], order["balance"]) == ("reserved", 300, 700)
    assert _stock(engine, "mug") == 1
    replay = _order(client, shop, card, "mug", key="app-order-1")
    assert replay.json() == order and replay.headers["Idempotent-Replayed"] == "true"
    assert _stock(engine, "mug") == 1 and count(engine, RewardOrder) == 1
    assert verify(engine).clean
    cancel = f"/rewards/orders/{order['order_id']}/cancel"
    cancelled = call(client, shop, cancel, {}, key="app-cancel-1")
    assert (cancelled.json()["status"], cancelled.json()["balance"]) == ("cancelled", 1_000)
    assert call(client, shop, cancel, {}, key="app-cancel-1").json() == cancelled.json()
    assert _stock(engine, "mug") == 2
    _refused(client, engine, shop, cancel, {}, 409, "order_not_open")
    assert verify(engine).clean


def test_cancelling_an_order_whose_hold_expired_still_returns_the_unit(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, rewards: None
) -> None:
    order = _order(client, shop, card, "mug").json()
    later = dt.datetime.now(dt.UTC) + catalogue.ORDER_HOLD_LIFETIME + dt.timedelta(minutes=1)
    with transaction(engine) as session:
        assert redemption.void_stale_hold(session, hold_id=order["hold_id"], now=later)
    assert _stock(engine, "mug") == 1
    cancelled = call(client, shop, f"/rewards/orders/{order['order_id']}/cancel", {}).json()
    assert (cancelled["status"], cancelled["balance"]) == ("cancelled", 1_000)
    assert _stock(engine, "mug") == 2 and verify(engine).clean


def test_two_members_racing_for_the_last_unit_get_it_once(engine: Engine, rewards: None) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers outright; the row locks are a PostgreSQL matter")
    members = [add_card(engine, 2000 + n, points=6_000) for n in range(4)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(members))

    def order(card: Card) -> None:
        barrier.wait()
        try:
            with transaction(engine) as session:
                catalogue.order_reward(
                    session,
                    actor=STAFF,
                    member=member_of_account(session, account_id=card.account_id),
                    reward_code="tv",
                    now=dt.datetime.now(dt.UTC),
                )
            outcomes.append("ordered")
        except LoyaltyError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=order, args=(card,)) for card in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ordered", "out_of_stock", "out_of_stock", "out_of_stock"]
    assert _stock(engine, "tv") == 0 and verify(engine).clean


# Bad input: one test each, a clear code and nothing changed (no posting, operation, order or stock).


def test_order_out_of_stock(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, rewards: None
) -> None:
    _refused(
        client,
        engine,
        shop,
        "/rewards/orders",
        {"card_number": card.number, "reward_code": "cap"},
        409,
        "out_of_stock",
    )


def test_order_with_insufficient_points(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, rewards: None
) -> None:
    body = {"card_number": card.number, "reward_code": "tv"}
    _refused(client, engine, shop, "/rewards/orders", body, 409, "insufficient_points")


def test_order_above_the_members_tier(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, rewards: None
) -> None:
    body = {"card_number": card.number, "reward_code": "lounge"}
    _refused(client, engine, shop, "/rewards/orders", body, 403, "tier_not_allowed")


def test_order_of_an_unknown_reward(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, rewards: None
) -> None:
    body = {"card_number": card.number, "reward_code": "yacht"}
    _refused(client, engine, shop, "/rewards/orders", body, 404, "unknown_reward")


def test_order_of_a_retired_reward(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, rewards: None
) -> None:
    body = {"card_number": card.number, "reward_code": "old"}
    _refused(client, engine, shop, "/rewards/orders", body, 404, "unknown_reward")


def test_order_for_an_unknown_card(
    client: TestClient, engine: Engine, shop: TillPartner, rewards: None
) -> None:
    body = {"card_number": "7789000000000001", "reward_code": "mug"}
    _refused(client, engine, shop, "/rewards/orders", body, 404, "unknown_card")


def test_order_without_a_reward_code(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, rewards: None
) -> None:
    _refused(client, engine, shop, "/rewards/orders", {"card_number": card.number}, 422, "invalid_input")


def test_order_by_a_partner_that_may_not_accept_points(
    client: TestClient, engine: Engine, card: Card, rewards: None
) -> None:
    earn_only = add_partner(engine, "earnonly", can_redeem=False)
    body = {"card_number": card.number, "reward_code": "mug"}
    _refused(client, engine, earn_only, "/rewards/orders", body, 403, "partner_not_allowed")


def test_order_with_malformed_json(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, rewards: None
) -> None:
    before = _changes(engine)
    response = client.post(
        "/api/v1/loyalty/rewards/orders",
        content=b'{"card_number": "' + card.number.encode() + b'", "reward_code": ',
        headers={
            "X-Api-Key": shop.key,
            "Idempotency-Key": uuid.uuid4().hex,
            "Content-Type": "application/json",
        },
    )
    assert (response.status_code, error_code(response)) == (400, "malformed_json")
    assert _changes(engine) == before


def test_catalogue_without_a_key(client: TestClient, card: Card, rewards: None) -> None:
    response = client.post("/api/v1/loyalty/rewards/catalogue", json={"card_number": card.number})
    assert (response.status_code, error_code(response)) == (401, "unauthorized")


def test_cancel_of_an_unknown_order(
    client: TestClient, engine: Engine, shop: TillPartner, rewards: None
) -> None:
    _refused(client, engine, shop, "/rewards/orders/424242/cancel", {}, 404, "order_not_found")


def test_cancel_of_another_partners_order(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, other_shop: TillPartner, rewards: None
) -> None:
    order = _order(client, shop, card, "mug").json()
    _refused(
        client,
        engine,
        other_shop,
        f"/rewards/orders/{order['order_id']}/cancel",
        {},
        404,
        "order_not_found",
    )


def test_cancel_of_an_order_placed_by_staff(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, rewards: None
) -> None:
    with transaction(engine) as session:
        order_id = catalogue.order_reward(
            session,
            actor=STAFF,
            member=member_of_account(session, account_id=card.account_id),
            reward_code="mug",
            now=dt.datetime.now(dt.UTC),
        )
    _refused(client, engine, shop, f"/rewards/orders/{order_id}/cancel", {}, 404, "order_not_found")


def test_cancel_with_an_unexpected_body(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, rewards: None
) -> None:
    order = _order(client, shop, card, "mug").json()
    _refused(
        client,
        engine,
        shop,
        f"/rewards/orders/{order['order_id']}/cancel",
        {"surprise": 1},
        422,
        "invalid_input",
    )
    with transaction(engine) as session:
        assert session.get(LoyaltyHold, order["hold_id"]).status == "authorized"


def test_catalogue_and_cancel_from_the_cli(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, rewards: None
) -> None:
    code, output = run("reward", "list", card.number)
    assert code == 0 and "mug" in output and "lounge" not in output and "cap" not in output
    assert "cap" in run("reward", "list", card.number, "--all")[1]
    order = _order(client, shop, card, "mug").json()
    assert run("reward", "cancel", str(order["order_id"]))[0] == 0  # staff may cancel any order
    assert _stock(engine, "mug") == 2
    code, output = run("verify")
    assert code == 0 and "ledger clean" in output


def test_catalogue_with_malformed_json(client: TestClient, shop: TillPartner, rewards: None) -> None:
    response = client.post(
        "/api/v1/loyalty/rewards/catalogue",
        content=b'{"card_number": ',
        headers={"X-Api-Key": shop.key, "Content-Type": "application/json"},
    )
    assert (response.status_code, error_code(response)) == (400, "malformed_json")


def test_catalogue_for_an_unknown_card(client: TestClient, shop: TillPartner, rewards: None) -> None:
    response = call(client, shop, "/rewards/catalogue", {"card_number": "7789000000000001"})
    assert (response.status_code, error_code(response)) == (404, "unknown_card")


def test_cancel_with_malformed_json(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, rewards: None
) -> None:
    order = _order(client, shop, card, "mug").json()
    before = _changes(engine)
    response = client.post(
        f"/api/v1/loyalty/rewards/orders/{order['order_id']}/cancel",
        content=b"{",
        headers={
            "X-Api-Key": shop.key,
            "Idempotency-Key": uuid.uuid4().hex,
            "Content-Type": "application/json",
        },
    )
    assert (response.status_code, error_code(response)) == (400, "malformed_json")
    assert _changes(engine) == before


def test_a_catalogue_order_is_held_to_the_cards_velocity_limit(
    client: TestClient, engine: Engine, shop: TillPartner, rewards: None
) -> None:
    card = add_card(engine, 6101, points=2_000, max_ops_per_minute=1)
    assert (
        call(client, shop, "/till/authorize", {"card_number": card.number, "points": 10}).status_code == 200
    )
    _refused(
        client,
        engine,
        shop,
        "/rewards/orders",
        {"card_number": card.number, "reward_code": "mug"},
        429,
        "velocity_limit",
    )


def test_a_catalogue_order_counts_towards_the_cards_later_till_calls(
    client: TestClient, engine: Engine, shop: TillPartner, rewards: None
) -> None:
    card = add_card(engine, 6102, points=2_000, max_ops_per_minute=1)
    assert _order(client, shop, card, "mug").status_code == 200
    _refused(
        client,
        engine,
        shop,
        "/till/authorize",
        {"card_number": card.number, "points": 10},
        429,
        "velocity_limit",
    )
