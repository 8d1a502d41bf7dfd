"""What a partner learns and may do from what it knows (#12 item 7).

A phone number is not proof of the member: anyone can type one. So a partner identifying a member sees the
card number masked, earns by phone as before, but cannot spend the member's points with a phone alone
(``phone_needs_code``: redemption by phone will take a one-time code sent by SMS). And a partner probing ids
learns nothing: another partner's hold, order or purchase is answered exactly like one that does not exist.
Each runs through the fast path (PostgreSQL) and the FastAPI handlers, on both stores.
"""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lottocrm.db.engine import transaction
from lottocrm.loyalty.ledger.verify import verify
from lottocrm.loyalty.models import IdempotencyRecord, LoyaltyOperation, RewardOrder
from lottocrm.loyalty.programme import catalogue
from loyalty.factories import STAFF, Card, TillPartner
from loyalty.test_till_api import call, count, error_code

MISSING = 10**12


def _writes(engine: Engine) -> tuple[int, int, int]:
    return count(engine, LoyaltyOperation), count(engine, IdempotencyRecord), count(engine, RewardOrder)


def test_identify_shows_only_the_last_four_digits_of_the_card(
    till: TestClient, card: Card, shop: TillPartner
) -> None:
    for member in ({"card_number": card.number}, {"phone": card.phone}, {"barcode": card.number}):
        found = call(till, shop, "/till/identify", member)
        assert found.status_code == 200, found.text
        assert found.json()["card_number"] == "*" * 12 + card.number[-4:]
        assert card.number not in found.text
        assert (found.json()["balance"], found.json()["spendable"]) == (1_000, 1_000)


def test_points_are_not_spent_by_phone_but_still_earned(
    till: TestClient, engine: Engine, card: Card, shop: TillPartner
) -> None:
    with transaction(engine) as session:
        catalogue.add_reward(session, actor=STAFF, code="mug", name="Кружка", points_price=10, stock=5)
    before = _writes(engine)
    for phone in (card.phone, "8" + card.phone[2:], "+70000000000"):
        for path, body in [
            ("/till/authorize", {"phone": phone, "points": 5}),
            ("/rewards/orders", {"phone": phone, "reward_code": "mug"}),
        ]:
            refused = call(till, shop, path, body)
            assert (refused.status_code, error_code(refused)) == (403, "phone_needs_code"), refused.text
            assert "one-time code" in refused.json()["error"]["message"]
            # Decided from the request alone, before the partner key: the same without a key, nothing stored.
            anonymous = till.post(
                f"/api/v1/loyalty{path}", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
            )
            assert (anonymous.status_code, anonymous.json()) == (403, refused.json())
    assert _writes(engine) == before
    earned = call(till, shop, "/till/earn", {"phone": card.phone, "purchase_kopecks": 100_000})
    assert (earned.status_code, earned.json()["points"]) == (200, 10)
    by_card = call(till, shop, "/till/authorize", {"card_number": card.number, "points": 5})
    by_scan = call(till, shop, "/rewards/orders", {"barcode": card.number, "reward_code": "mug"})
    assert (by_card.status_code, by_scan.status_code) == (200, 200), (by_card.text, by_scan.text)
    assert verify(engine).clean


def test_another_partners_hold_is_answered_as_no_hold(
    till: TestClient, engine: Engine, card: Card, shop: TillPartner, other_shop: TillPartner
) -> None:
    hold_id = call(till, shop, "/till/authorize", {"card_number": card.number, "points": 100}).json()[
        "hold_id"
    ]
    before = _writes(engine)
    for action, body in [("capture", {}), ("void", {}), ("refund", {"points": 1})]:
        theirs = call(till, other_shop, f"/till/holds/{hold_id}/{action}", body)
        missing = call(till, other_shop, f"/till/holds/{MISSING}/{action}", body)
        assert theirs.status_code == missing.status_code == 404, theirs.text
        assert theirs.json() == {"error": {"code": "hold_not_found", "message": f"no hold {hold_id}"}}
        assert missing.json() == {"error": {"code": "hold_not_found", "message": f"no hold {MISSING}"}}
    # Refusals are stored under their keys like any other: six more records, no operation.
    assert _writes(engine) == (before[0], before[1] + 6, before[2])
    assert call(till, shop, f"/till/holds/{hold_id}/capture", {}).status_code == 200


def test_another_partners_order_or_purchase_is_answered_as_none(
    till: TestClient, engine: Engine, card: Card, shop: TillPartner, other_shop: TillPartner
) -> None:
    with transaction(engine) as session:
        catalogue.add_reward(session, actor=STAFF, code="mug", name="Кружка", points_price=10, stock=5)
    order_id = call(till, shop, "/rewards/orders", {"card_number": card.number, "reward_code": "mug"}).json()[
        "order_id"
    ]
    purchase = call(till, shop, "/till/earn", {"card_number": card.number, "purchase_kopecks": 100_000})
    earn_id = purchase.json()["operation_id"]
    before = _writes(engine)
    for path, their_id, body, code, message in [
        ("/rewards/orders/{}/cancel", order_id, {}, "order_not_found", "no reward order {}"),
        (
            "/till/earns/{}/return",
            earn_id,
            {"returned_kopecks": 100},
            "purchase_not_found",
            "no purchase at this partner earned points as operation {}",
        ),
    ]:
        theirs = call(till, other_shop, path.format(their_id), body)
        missing = call(till, other_shop, path.format(MISSING), body)
        assert theirs.status_code == missing.status_code == 404, theirs.text
        assert theirs.json() == {"error": {"code": code, "message": message.format(their_id)}}
        assert missing.json() == {"error": {"code": code, "message": message.format(MISSING)}}
    assert _writes(engine)[0::2] == before[0::2]
    assert verify(engine).clean
