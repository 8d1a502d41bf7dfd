"""The till API over HTTP (in-process client): happy path, every bad input, idempotent retries."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.loyalty.ledger.verify import verify
from lottocrm.loyalty.models import LoyaltyHold, LoyaltyOperation, LoyaltyPosting, PartnerApiKey
from lottocrm.loyalty.programme import members, partners
from lottocrm.loyalty.till.schemas import HoldOut
from loyalty.factories import STAFF, Card, TillPartner, add_partner, top_up
from loyalty.round_trips import round_trips


def call(
    client: TestClient,
    partner: TillPartner,
    path: str,
    body: object,
    *,
    key: str | None = None,
    **headers: str,
):  # type: ignore[no-untyped-def]
    sent = {"X-Api-Key": partner.key, "Idempotency-Key": key or uuid.uuid4().hex, **headers}
    return client.post(f"/api/v1/loyalty{path}", json=body, headers=sent)


def count(engine: Engine, model: type) -> int:
    with transaction(engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def error_code(response) -> str:  # type: ignore[no-untyped-def]
    return response.json()["error"]["code"]


def test_till_flow_identify_earn_authorize_capture_refund(
    client: TestClient, card: Card, shop: TillPartner, engine: Engine
) -> None:
    found = call(client, shop, "/till/identify", {"phone": "8" + card.phone[2:]})
    assert found.status_code == 200 and found.json()["balance"] == 1_000
    assert call(client, shop, "/till/identify", {"barcode": card.number}).json()["balance"] == 1_000
    earned = call(client, shop, "/till/earn", {"card_number": card.number, "purchase_kopecks": 250_000})
    assert earned.status_code == 200 and earned.json()["points"] == 25  # fallback 1 point per 100 ₽
    hold = call(client, shop, "/till/authorize", {"card_number": card.number, "points": 500}).json()
    assert hold["status"] == "authorized" and hold["balance"] == 525
    captured = call(client, shop, f"/till/holds/{hold['hold_id']}/capture", {"points": 400})
    assert captured.json()["status"] == "captured" and captured.json()["balance"] == 625
    refunded = call(client, shop, f"/till/holds/{hold['hold_id']}/refund", {"points": 400})
    assert refunded.json()["refunded_points"] == 400 and refunded.json()["balance"] == 1_025
    assert verify(engine).clean


def test_card_images(client: TestClient, card: Card, shop: TillPartner) -> None:
    for image in ("barcode.png", "qr.png"):
        response = client.get(f"/api/v1/loyalty/cards/{card.number}/{image}", headers={"X-Api-Key": shop.key})
        assert response.status_code == 200 and response.content.startswith(b"\x89PNG")
    missing = client.get("/api/v1/loyalty/cards/7789000000000000/qr.png", headers={"X-Api-Key": shop.key})
    assert error_code(missing) == "unknown_card"


def test_same_key_same_body_replays_and_other_body_conflicts(
    client: TestClient, card: Card, shop: TillPartner, engine: Engine
) -> None:
    body = {"card_number": card.number, "points": 100}
    first = call(client, shop, "/till/authorize", body, key="till-7-receipt-1")
    again = call(client, shop, "/till/authorize", body, key="till-7-receipt-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    conflict = call(client, shop, "/till/authorize", {**body, "points": 101}, key="till-7-receipt-1")
    assert conflict.status_code == 409 and error_code(conflict) == "idempotency_conflict"
    assert count(engine, LoyaltyHold) == 1


@pytest.fixture
def hold_id(client: TestClient, card: Card, shop: TillPartner) -> int:
    return call(client, shop, "/till/authorize", {"card_number": card.number, "points": 100}).json()[
        "hold_id"
    ]


def _assert_refused(
    client: TestClient,
    engine: Engine,
    partner: TillPartner,
    path: str,
    body: object,
    status: int,
    code: str,
    **headers: str,
) -> None:
    before = count(engine, LoyaltyPosting), count(engine, LoyaltyOperation)
    response = call(client, partner, path, body, **headers)
    assert (response.status_code, error_code(response)) == (status, code), response.text
    assert response.json()["error"]["message"]
    assert (count(engine, LoyaltyPosting), count(engine, LoyaltyOperation)) == before


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/till/authorize", {"points": -5}, 422, "invalid_amount"),
        ("/till/authorize", {"points": 0}, 422, "invalid_amount"),
        ("/till/authorize", {"points": "5"}, 422, "invalid_amount"),
        ("/till/earn", {"purchase_kopecks": 0}, 422, "invalid_amount"),
        ("/till/earn", {"purchase_kopecks": -100}, 422, "invalid_amount"),
        ("/till/authorize", {"points": 5_000}, 409, "insufficient_points"),
        ("/till/authorize", {"points": 5, "surprise": 1}, 422, "invalid_input"),
    ],
)
def test_bad_amounts_and_bodies(
    client: TestClient,
    engine: Engine,
    card: Card,
    shop: TillPartner,
    path: str,
    body: dict,
    status: int,
    code: str,
) -> None:
    _assert_refused(client, engine, shop, path, {"card_number": card.number, **body}, status, code)


def test_unknown_and_blocked_cards(client: TestClient, engine: Engine, card: Card, shop: TillPartner) -> None:
    _assert_refused(
        client,
        engine,
        shop,
        "/till/authorize",
        {"card_number": "7789000000000001", "points": 5},
        404,
        "unknown_card",
    )
    _assert_refused(
        client,
        engine,
        shop,
        "/till/authorize",
        {
            "card_number": card.number[:-1] + "0" if card.number[-1] != "0" else card.number[:-1] + "1",
            "points": 5,
        },
        404,
        "unknown_card",
    )
    _assert_refused(
        client,
        engine,
        shop,
        "/till/earn",
        {"phone": "+70000000000", "purchase_kopecks": 100},
        404,
        "unknown_card",
    )
    with transaction(engine) as session:
        members.set_card_status(
            session, card_number=card.number, blocked=True, actor=Actor("user:ops"), reason="reported stolen"
        )
    _assert_refused(
        client,
        engine,
        shop,
        "/till/authorize",
        {"card_number": card.number, "points": 5},
        403,
        "blocked_card",
    )


def test_wrong_revoked_and_missing_keys(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner
) -> None:
    body = {"card_number": card.number, "points": 5}
    forged = TillPartner(id=shop.id, code=shop.code, key=shop.key[:-4] + "AAAA")
    _assert_refused(client, engine, forged, "/till/authorize", body, 401, "unauthorized")
    with transaction(engine) as session:
        partners.revoke_key(
            session, actor=STAFF, prefix=shop.key.split("_")[2], now=members.dt.datetime.now(members.dt.UTC)
        )
    _assert_refused(client, engine, shop, "/till/authorize", body, 401, "unauthorized")


def test_partner_not_allowed(client: TestClient, engine: Engine, card: Card) -> None:
    earn_only = add_partner(engine, "earnonly", can_redeem=False)
    _assert_refused(
        client,
        engine,
        earn_only,
        "/till/authorize",
        {"card_number": card.number, "points": 5},
        403,
        "partner_not_allowed",
    )


def test_hold_misuse(
    client: TestClient, engine: Engine, shop: TillPartner, other_shop: TillPartner, hold_id: int
) -> None:
    capture = f"/till/holds/{hold_id}/capture"
    _assert_refused(client, engine, other_shop, capture, {}, 404, "hold_not_found")
    _assert_refused(client, engine, shop, capture, {"points": 101}, 422, "amount_above_hold")
    _assert_refused(client, engine, shop, "/till/holds/999999/capture", {}, 404, "hold_not_found")
    with transaction(engine) as session:
        session.execute(
            update(LoyaltyHold)
            .where(LoyaltyHold.id == hold_id)
            .values(expires_at=members.dt.datetime(2020, 1, 1, tzinfo=members.dt.UTC))
        )
    _assert_refused(client, engine, shop, capture, {}, 409, "hold_expired")
    assert call(client, shop, f"/till/holds/{hold_id}/void", {}).status_code == 200
    _assert_refused(client, engine, shop, capture, {}, 409, "hold_not_open")
    _assert_refused(
        client, engine, shop, f"/till/holds/{hold_id}/refund", {"points": 1}, 409, "hold_not_open"
    )


def _raw(client: TestClient, partner: TillPartner, content: bytes, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/loyalty/till/authorize",
        content=content,
        headers={
            "X-Api-Key": partner.key,
            "Idempotency-Key": uuid.uuid4().hex,
            "Content-Type": "application/json",
            **headers,
        },
    )


def test_malformed_json_oversized_body_and_missing_key(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner
) -> None:
    before = count(engine, LoyaltyOperation)
    malformed = _raw(client, shop, b'{"card_number": "' + card.number.encode() + b'", "points": 5')
    assert (malformed.status_code, error_code(malformed)) == (400, "malformed_json")
    oversized = _raw(client, shop, b'{"card_number": "' + b"1" * 20_000 + b'", "points": 5}')
    assert (oversized.status_code, error_code(oversized)) == (413, "body_too_large")
    no_key = client.post(
        "/api/v1/loyalty/till/authorize",
        json={"card_number": card.number, "points": 5},
        headers={"X-Api-Key": shop.key},
    )
    assert (no_key.status_code, error_code(no_key)) == (400, "missing_idempotency_key")
    assert count(engine, LoyaltyOperation) == before


def test_authorize_and_capture_stay_within_their_budget(
    client: TestClient, card: Card, shop: TillPartner, engine: Engine
) -> None:
    """Each round trip is made while the member's row is locked: the budget keeps the hot path from growing
    back. On PostgreSQL a call is one statement, the till function of migration 0015 (its own transaction:
    no BEGIN or COMMIT is sent); on SQLite every statement runs on its own, in-process. Warm path (key and
    system accounts already known to the process)."""
    warm = call(client, shop, "/till/authorize", {"card_number": card.number, "points": 1}).json()
    call(client, shop, f"/till/holds/{warm['hold_id']}/capture", {})
    with round_trips() as authorize_sent:
        hold = call(client, shop, "/till/authorize", {"card_number": card.number, "points": 5}).json()
    with round_trips() as capture_sent:
        captured = call(client, shop, f"/till/holds/{hold['hold_id']}/capture", {})
    assert captured.json()["status"] == "captured"
    if engine.dialect.name == "postgresql":
        assert [len(sent) for sent in authorize_sent] == [1], authorize_sent
        assert "loyalty_till_authorize" in authorize_sent[0][0]
        assert [len(sent) for sent in capture_sent] == [1], capture_sent
        assert "loyalty_till_capture" in capture_sent[0][0]
    else:
        assert sum(map(len, authorize_sent)) <= 12, authorize_sent
        assert sum(map(len, capture_sent)) <= 8, capture_sent


def test_a_key_revoked_by_another_process_stops_working_within_the_cache_bound(
    client: TestClient, engine: Engine, card: Card, shop: TillPartner, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"card_number": card.number}
    assert call(client, shop, "/till/identify", body).status_code == 200
    # As `lottocrm loyalty partner revoke` run elsewhere would: this server process is not told.
    with transaction(engine) as session:
        session.execute(update(PartnerApiKey).values(revoked_at=members.dt.datetime.now(members.dt.UTC)))
    assert call(client, shop, "/till/identify", body).status_code == 200
    later = partners._clock() + partners.AUTH_CACHE_SECONDS
    monkeypatch.setattr(partners, "_clock", lambda: later)
    refused = call(client, shop, "/till/identify", body)
    assert refused.status_code == 401 and error_code(refused) == "unauthorized"


def _same_refusal(first, again, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert (first.status_code, error_code(first)) == (status, code), first.text
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_refusal_is_stored_under_its_key_and_replayed_without_reevaluating(
    client: TestClient, card: Card, shop: TillPartner, engine: Engine
) -> None:
    body = {"card_number": card.number, "points": 5_000}
    first = call(client, shop, "/till/authorize", body, key="receipt-9")
    # The rules would now say yes: a replay must not ask them again.
    top_up(engine, card, 10_000, reason="top-up")
    again = call(client, shop, "/till/authorize", body, key="receipt-9")
    _same_refusal(first, again, 409, "insufficient_points")
    assert count(engine, LoyaltyHold) == 0
    other_body = call(client, shop, "/till/authorize", {**body, "points": 5}, key="receipt-9")
    assert (other_body.status_code, error_code(other_body)) == (409, "idempotency_conflict")
    assert call(client, shop, "/till/authorize", body, key="receipt-10").status_code == 200


def test_an_unknown_card_refusal_is_stored_on_the_session_path_too(
    client: TestClient, card: Card, shop: TillPartner, engine: Engine
) -> None:
    """Earn runs through the Session-based path (``_till_call``), not the pipelined redemption path."""
    body = {"card_number": "7789000000000001", "purchase_kopecks": 10_000}
    first = call(client, shop, "/till/earn", body, key="earn-1")
    again = call(client, shop, "/till/earn", body, key="earn-1")
    _same_refusal(first, again, 404, "unknown_card")
    conflict = call(client, shop, "/till/earn", {**body, "purchase_kopecks": 1}, key="earn-1")
    assert (conflict.status_code, error_code(conflict)) == (409, "idempotency_conflict")
    assert count(engine, LoyaltyOperation) == 1  # the opening balance only


def test_a_hold_refusal_is_stored_under_its_key(
    client: TestClient, shop: TillPartner, engine: Engine, hold_id: int
) -> None:
    with transaction(engine) as session:
        session.execute(
            update(LoyaltyHold)
            .where(LoyaltyHold.id == hold_id)
            .values(expires_at=members.dt.datetime(2020, 1, 1, tzinfo=members.dt.UTC))
        )
    capture = f"/till/holds/{hold_id}/capture"
    first = call(client, shop, capture, {}, key="capture-1")
    again = call(client, shop, capture, {}, key="capture-1")
    _same_refusal(first, again, 409, "hold_expired")
    missing = call(client, shop, "/till/holds/999999/void", {}, key="void-1")
    _same_refusal(
        missing, call(client, shop, "/till/holds/999999/void", {}, key="void-1"), 404, "hold_not_found"
    )
    assert call(client, shop, f"/till/holds/{hold_id}/void", {}, key="void-2").status_code == 200
    assert verify(engine).clean


def test_a_velocity_refusal_is_not_stored_so_the_same_call_can_come_back_later(
    client: TestClient, card: Card, shop: TillPartner, engine: Engine
) -> None:
    with transaction(engine) as session:
        members.set_velocity_limit(session, actor=STAFF, card_number=card.number, max_ops_per_minute=0)
    body = {"card_number": card.number, "points": 5}
    refused = call(client, shop, "/till/authorize", body, key="receipt-11")
    assert (refused.status_code, error_code(refused)) == (429, "velocity_limit")
    message = f"card {card.number} reached its limit of 0 till calls a minute; try again later"
    assert refused.json()["error"]["message"] == message  # the same words on either store
    with transaction(engine) as session:
        members.set_velocity_limit(session, actor=STAFF, card_number=card.number, max_ops_per_minute=30)
    later = call(client, shop, "/till/authorize", body, key="receipt-11")
    assert later.status_code == 200 and "Idempotent-Replayed" not in later.headers


def test_authorize_by_card_and_by_barcode_lock_the_same_member(
    client: TestClient, card: Card, shop: TillPartner, engine: Engine
) -> None:
    by_card = call(client, shop, "/till/authorize", {"card_number": card.number, "points": 10})
    by_scan = call(client, shop, "/till/authorize", {"barcode": card.number, "points": 20})
    assert (by_card.status_code, by_scan.status_code) == (200, 200), (by_card.text, by_scan.text)
    assert [by_card.json()["balance"], by_scan.json()["balance"]] == [990, 970]
    unknown = call(client, shop, "/till/authorize", {"card_number": "7789000000000001", "points": 1})
    assert (unknown.status_code, error_code(unknown)) == (404, "unknown_card")
    assert verify(engine).clean


def test_redemption_answers_carry_the_apps_security_headers(
    client: TestClient, card: Card, shop: TillPartner
) -> None:
    """On PostgreSQL these routes are answered ahead of FastAPI's routing (``till_asgi``), still inside the
    security headers middleware; refusals answered there too."""
    held = call(client, shop, "/till/authorize", {"card_number": card.number, "points": 5})
    refused = call(client, shop, "/till/holds/999999/void", {})
    assert (held.status_code, refused.status_code, error_code(refused)) == (200, 404, "hold_not_found")
    for response in (held, refused):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-type"] == "application/json"


def test_answers_are_the_same_bytes_on_either_store(
    client: TestClient, card: Card, shop: TillPartner
) -> None:
    """PostgreSQL's till functions write their JSON themselves; SQLite's Python path lets FastAPI write it.
    Both must give a till the same bytes: compact, fields in the response model's order."""

    def written_by_fastapi(response) -> bytes:  # type: ignore[no-untyped-def]
        return json.dumps(response.json(), ensure_ascii=False, separators=(",", ":")).encode()

    held = call(client, shop, "/till/authorize", {"card_number": card.number, "points": 7})
    captured = call(client, shop, f"/till/holds/{held.json()['hold_id']}/capture", {"points": 5})
    refused = call(client, shop, "/till/authorize", {"card_number": card.number, "points": 10**9})
    for answer in (held, captured, refused):
        assert answer.content == written_by_fastapi(answer)
    assert list(held.json()) == list(HoldOut.model_fields)
    assert captured.json()["expires_at"].endswith("Z")
    assert list(refused.json()["error"]) == ["code", "message"]
