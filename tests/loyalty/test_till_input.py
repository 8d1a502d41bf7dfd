"""Odd input at the till: every call is refused with a till error code, writes nothing and never answers 500.

Found by an outside review with schemathesis: hold ids written with non-ASCII digits or past Python's
int-from-string limit, a NUL character in text that PostgreSQL must store, ids past a bigint. Each case runs
through the ASGI fast path (PostgreSQL) and through the FastAPI handlers (``python``), on both stores.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lottocrm.db.engine import transaction
from lottocrm.loyalty.models import IdempotencyRecord, LoyaltyOperation, RewardOrder
from lottocrm.loyalty.programme import catalogue
from loyalty.factories import STAFF, Card, TillPartner
from loyalty.test_till_api import count

API = "/api/v1/loyalty"
# Digits Python's str.isdigit() accepts but int() or a database does not read as ASCII digits, and numbers
# past a bigint or past the 4 300 digits int() converts.
ODD_HOLD_IDS = ["¹", "³²", "٣", "١٢", "0", "9" * 5_000, str(2**63)]


def _writes(engine: Engine) -> tuple[int, int, int]:
    return count(engine, LoyaltyOperation), count(engine, IdempotencyRecord), count(engine, RewardOrder)


def _post(client: TestClient, path: str, *, key: str | None, json: object = None, content: bytes = b""):  # type: ignore[no-untyped-def]
    headers = {"Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"}
    if key is not None:
        headers["X-Api-Key"] = key
    if json is not None:
        return client.post(f"{API}{path}", headers=headers, json=json)
    return client.post(f"{API}{path}", headers=headers, content=content)


def _assert_refused(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert (error["code"], list(error)) == (code, ["code", "message"])
    assert len(error["message"]) < 300  # a 5 000-digit id is not echoed whole


def test_a_hold_id_that_is_not_ascii_digits_within_a_bigint_is_invalid_input(
    till: TestClient, engine: Engine, shop: TillPartner
) -> None:
    before = _writes(engine)
    for raw in ODD_HOLD_IDS:
        for action, body in [("capture", {}), ("void", {}), ("refund", {"points": 1})]:
            for key in (shop.key, None):  # the id is refused before the partner key is looked at
                refused = _post(till, f"/till/holds/{raw}/{action}", key=key, json=body)
                _assert_refused(refused, 422, "invalid_input")
    assert _writes(engine) == before


@pytest.mark.parametrize(
    ("path", "field"),
    [("/till/earn", "receipt"), ("/till/authorize", "receipt"), ("/rewards/orders", "reward_code")],
)
def test_a_nul_character_in_stored_text_is_invalid_input(
    till: TestClient, engine: Engine, card: Card, shop: TillPartner, path: str, field: str
) -> None:
    """PostgreSQL's text holds no NUL; SQLite would store it, so both stores refuse it alike."""
    with transaction(engine) as session:
        catalogue.add_reward(session, actor=STAFF, code="mug", name="Кружка", points_price=10, stock=5)
    body = {"card_number": card.number, "purchase_kopecks": 10_000, "points": 5, "reward_code": "mug"}
    body = {name: value for name, value in body.items() if name in _fields(path)}
    before = _writes(engine)
    for key in (shop.key, None):
        refused = _post(till, path, key=key, json={**body, field: "12\x0034"})
        _assert_refused(refused, 422, "invalid_input")
        assert refused.json()["error"]["message"].startswith(field)
    assert _writes(engine) == before
    accepted = _post(till, path, key=shop.key, json={**body, field: "1234" if field == "receipt" else "mug"})
    assert accepted.status_code == 200, accepted.text


def _fields(path: str) -> set[str]:
    return {
        "/till/earn": {"card_number", "purchase_kopecks"},
        "/till/authorize": {"card_number", "points"},
        "/rewards/orders": {"card_number", "reward_code"},
    }[path]


@pytest.mark.parametrize("path", ["/till/earn", "/till/authorize", "/till/earns/1/return"])
def test_a_lone_surrogate_escape_in_a_receipt_is_refused(
    till: TestClient, engine: Engine, card: Card, shop: TillPartner, path: str
) -> None:
    """Valid JSON, but no text a database can store: FastAPI's parser lets it through, pydantic's does not."""
    body = {
        "/till/earn": f'{{"card_number":"{card.number}","purchase_kopecks":100,"receipt":"\\ud800"}}',
        "/till/authorize": f'{{"card_number":"{card.number}","points":5,"receipt":"a\\udfffb"}}',
        "/till/earns/1/return": '{"returned_kopecks":100,"receipt":"\\ud800"}',
    }[path]
    before = _writes(engine)
    refused = _post(till, path, key=shop.key, content=body.encode())
    assert (refused.status_code, refused.json()["error"]["code"]) in [
        (400, "malformed_json"),
        (422, "invalid_input"),
    ], refused.text
    assert _writes(engine) == before


@pytest.mark.parametrize("number", ["7789¹¹¹¹¹¹¹¹¹¹¹¹", "7789" + "٣" * 12, "7789\x00" + "1" * 11])
def test_a_card_number_of_odd_digits_is_an_unknown_card(
    till: TestClient, engine: Engine, shop: TillPartner, number: str
) -> None:
    before = _writes(engine)
    for path, body in [
        ("/till/identify", {"card_number": number}),
        ("/till/authorize", {"card_number": number, "points": 5}),
        ("/till/earn", {"barcode": number, "purchase_kopecks": 100}),
    ]:
        _assert_refused(_post(till, path, key=shop.key, json=body), 404, "unknown_card")
    for image in ("barcode.png", "qr.png"):
        shown = till.get(f"{API}/cards/{quote(number)}/{image}", headers={"X-Api-Key": shop.key})
        _assert_refused(shown, 404, "unknown_card")
    assert count(engine, LoyaltyOperation) == before[0]


def test_a_purchase_or_order_id_out_of_range_is_invalid_input(
    till: TestClient, engine: Engine, shop: TillPartner
) -> None:
    before = _writes(engine)
    for raw in ["¹", "-1", "0", str(2**63), "9" * 5_000]:
        for key in (shop.key, None):
            returned = _post(till, f"/till/earns/{raw}/return", key=key, json={"returned_kopecks": 100})
            _assert_refused(returned, 422, "invalid_input")
            cancelled = _post(till, f"/rewards/orders/{raw}/cancel", key=key, json={})
            _assert_refused(cancelled, 422, "invalid_input")
    assert _writes(engine) == before
