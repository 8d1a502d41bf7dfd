"""The push endpoint, spoken to with plain HTTP and with pywebpush itself (the reference client): it decrypts
what a correct client sends and refuses, with the status a push service gives, what a broken one sends."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from py_vapid import Vapid02
from pywebpush import WebPusher, webpush

from lottocrm.messaging.gateways.push_endpoint import PushEndpoint, ReceivedFcm, ReceivedPush

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def vapid() -> Vapid02:
    key = Vapid02()
    key.generate_keys()
    return key


@pytest.fixture
def reported() -> list[ReceivedPush | ReceivedFcm]:
    return []


@pytest.fixture
async def endpoint(anyio_backend: str, reported) -> AsyncIterator[PushEndpoint]:
    server = PushEndpoint(on_received=reported.append, fcm_access_token="bearer-1")
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(endpoint) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


def _authorization(vapid: Vapid02, *, aud: str, exp: int | None = None) -> str:
    claims = {"aud": aud, "sub": "mailto:push@lotto.example", "exp": exp or int(time.time()) + 3600}
    return vapid.sign(claims)["Authorization"]


async def _post(client, endpoint, subscription, vapid, *, body: bytes | None = None, **headers: str):
    if body is None:
        body = WebPusher(subscription).encode(b'{"title":"hi"}', "aes128gcm")["body"]
    sent = {
        "Authorization": _authorization(vapid, aud=endpoint.base_url),
        "Content-Encoding": "aes128gcm",
        "TTL": "60",
        **headers,
    }
    return await client.post(subscription["endpoint"], content=body, headers=sent)


async def test_pywebpush_itself_is_decrypted(endpoint, reported, vapid) -> None:
    subscription = endpoint.new_subscription()

    response = await asyncio.to_thread(
        webpush,
        subscription,
        data=json.dumps({"title": "Тираж", "body": "Итоги тиража № 1234"}),
        vapid_private_key=vapid,
        vapid_claims={"sub": "mailto:push@lotto.example"},
        ttl=120,
    )

    assert response.status_code == 201
    [got] = endpoint.pushes
    assert reported == [got]
    assert got.json() == {"title": "Тираж", "body": "Итоги тиража № 1234"}
    assert (got.ttl, got.vapid_subject) == (120, "mailto:push@lotto.example")


async def test_a_correct_raw_push_gets_201_and_a_location(client, endpoint, vapid) -> None:
    response = await _post(client, endpoint, endpoint.new_subscription(), vapid, Urgency="low")

    assert response.status_code == 201
    assert response.headers["Location"].startswith(f"{endpoint.base_url}/message/")
    assert endpoint.pushes[0].urgency == "low"


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        ({"Authorization": "Bearer nope"}, 401, b"vapid t="),
        ({"Authorization": "vapid t=abc.def.ghi,k=AAAA"}, 401, b"does not verify"),
        ({"Content-Encoding": "aesgcm"}, 400, b"aes128gcm"),
        ({"TTL": "soon"}, 400, b"TTL"),
    ],
)
async def test_broken_requests_are_refused(client, endpoint, vapid, change, status, says) -> None:
    response = await _post(client, endpoint, endpoint.new_subscription(), vapid, **change)

    assert response.status_code == status
    assert says in response.content
    assert endpoint.pushes == []


async def test_a_token_for_another_service_or_expired_is_refused(client, endpoint, vapid) -> None:
    subscription = endpoint.new_subscription()

    elsewhere = await _post(
        client,
        endpoint,
        subscription,
        vapid,
        Authorization=_authorization(vapid, aud="https://push.example.com"),
    )
    expired = await _post(
        client,
        endpoint,
        subscription,
        vapid,
        Authorization=_authorization(vapid, aud=endpoint.base_url, exp=int(time.time()) - 5),
    )
    too_long = await _post(
        client,
        endpoint,
        subscription,
        vapid,
        Authorization=_authorization(vapid, aud=endpoint.base_url, exp=int(time.time()) + 25 * 3600),
    )

    assert [r.status_code for r in (elsewhere, expired, too_long)] == [401, 401, 401]
    assert (
        b"not for" in elsewhere.content and b"expired" in expired.content and b"24 hours" in too_long.content
    )


async def test_a_body_it_cannot_decrypt_is_400(client, endpoint, vapid) -> None:
    other_browser = endpoint.new_subscription()
    body = WebPusher(other_browser).encode(b"for someone else", "aes128gcm")["body"]

    response = await _post(client, endpoint, endpoint.new_subscription(), vapid, body=body)

    assert response.status_code == 400
    assert b"cannot decrypt" in response.content


async def test_gone_throttled_and_unknown_subscriptions(client, endpoint, vapid) -> None:
    gone, throttled = endpoint.new_subscription(), endpoint.new_subscription()
    endpoint.mark_gone(gone)
    endpoint.throttle(requests=1, retry_after=9)

    answers = [
        await _post(client, endpoint, gone, vapid),
        await _post(client, endpoint, throttled, vapid),
        await _post(client, endpoint, throttled, vapid),
        await _post(client, endpoint, {**throttled, "endpoint": f"{endpoint.base_url}/push/unknown"}, vapid),
    ]

    assert [a.status_code for a in answers] == [410, 429, 201, 404]
    assert answers[1].headers["Retry-After"] == "9"


async def _fcm(client, endpoint, body: object, token: str = "bearer-1") -> httpx.Response:
    url = endpoint.fcm_endpoint.replace("{project}", "lotto-test")
    return await client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})


async def test_fcm_accepts_an_issued_token_and_names_the_message(client, endpoint, reported) -> None:
    token = endpoint.new_fcm_token()

    response = await _fcm(client, endpoint, {"message": {"token": token, "notification": {"title": "t"}}})

    assert response.status_code == 200
    assert response.json()["name"].startswith("projects/lotto-test/messages/")
    assert reported == endpoint.fcm_messages
    assert endpoint.fcm_messages[0].token == token


@pytest.mark.parametrize(
    ("message", "says"),
    [
        ({"topic": "news"}, "exactly one target"),
        ({"token": "T", "data": {"count": 3}}, "strings"),
        ({"token": "T", "data": {"google.x": "1"}}, "reserved"),
        ({"token": "T", "android": {"priority": "URGENT"}}, "priority"),
    ],
)
async def test_fcm_refuses_malformed_messages_as_invalid_argument(client, endpoint, message, says) -> None:
    response = await _fcm(client, endpoint, {"message": message})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and says in error["message"]
    assert error["details"][0]["errorCode"] == "INVALID_ARGUMENT"


async def test_fcm_answers_unregistered_and_unauthenticated(client, endpoint) -> None:
    token = endpoint.new_fcm_token()
    endpoint.mark_token_gone(token)

    gone = await _fcm(client, endpoint, {"message": {"token": token}})
    stranger = await _fcm(client, endpoint, {"message": {"token": token}}, token="someone-else")

    assert gone.status_code == 404
    assert gone.json()["error"]["details"][0]["errorCode"] == "UNREGISTERED"
    assert stranger.status_code == 401
    assert stranger.json()["error"]["status"] == "UNAUTHENTICATED"
