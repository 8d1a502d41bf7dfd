"""WebPushTransport against the local push endpoint, which checks the VAPID token and decrypts each payload
with the subscription's private key, as a browser vendor's push service and the browser would."""

from __future__ import annotations

import json

import pytest

from lottocrm.messaging.channels.base import OutgoingMessage, SubscriptionGone
from lottocrm.messaging.channels.webpush import WebPushTransport

pytestmark = pytest.mark.anyio


def push(message_id: int, subscription: dict, **fields: object) -> OutgoingMessage:
    values: dict[str, object] = {
        "subject": "Розыгрыш сегодня",
        "body": "Джекпот 300 млн ₽ — билет ждёт вас",
        **fields,
    }
    return OutgoingMessage(message_id=message_id, channel="webpush", to=json.dumps(subscription), **values)  # type: ignore[arg-type]


async def test_pushes_are_decrypted_end_to_end(endpoint, transport, vapid_keys) -> None:
    subscriptions = [
        endpoint.new_subscription(application_server_key=vapid_keys.application_server_key) for _ in range(3)
    ]
    messages = [push(10 + n, s, data={"draw": "1234"}) for n, s in enumerate(subscriptions)]

    results = await transport.send_many(messages)

    assert [r.message_id for r in results] == [10, 11, 12]
    assert all(r.accepted for r in results), [r.error for r in results]
    assert all(r.provider_id and r.provider_id.startswith(endpoint.base_url + "/message/") for r in results)
    received = {p.endpoint: p for p in endpoint.pushes}
    for n, subscription in enumerate(subscriptions):
        got = received[subscription["endpoint"]]
        assert got.json() == {
            "id": 10 + n,
            "title": "Розыгрыш сегодня",
            "body": "Джекпот 300 млн ₽ — билет ждёт вас",
            "data": {"draw": "1234"},
        }
        assert (got.ttl, got.urgency, got.topic) == (86_400, "normal", None)
        assert got.vapid_subject == "mailto:push@lotto.example"


async def test_a_message_may_set_its_own_ttl_urgency_and_topic(endpoint, transport) -> None:
    subscription = endpoint.new_subscription()

    [result] = await transport.send_many(
        [push(1, subscription, headers={"TTL": "600", "Urgency": "high", "Topic": "draw-1234"})]
    )

    assert result.accepted
    [got] = endpoint.pushes
    assert (got.ttl, got.urgency, got.topic) == (600, "high", "draw-1234")


async def test_a_gone_subscription_is_permanent_and_reported(endpoint, transport, inbound) -> None:
    subscription = endpoint.new_subscription()
    endpoint.mark_gone(subscription)

    [result] = await transport.send_many([push(3, subscription)])

    assert result.error is not None
    assert (result.error.permanent, result.error.reason) == (True, "gone")
    assert "410" in str(result.error)
    assert inbound == [SubscriptionGone(address=json.dumps(subscription))]
    assert endpoint.pushes == []


async def test_throttling_is_temporary_with_the_services_retry_after(endpoint, transport) -> None:
    subscription = endpoint.new_subscription()
    endpoint.throttle(requests=1, retry_after=7)

    [throttled] = await transport.send_many([push(4, subscription)])
    [retried] = await transport.send_many([push(4, subscription)])

    assert throttled.error is not None
    assert (throttled.error.permanent, throttled.error.reason, throttled.error.retry_after) == (
        False,
        "throttled",
        7,
    )
    assert retried.accepted


async def test_a_payload_too_large_is_permanent(endpoint, transport) -> None:
    [result] = await transport.send_many([push(5, endpoint.new_subscription(), body="я" * 3000)])

    assert result.error is not None
    assert (result.error.permanent, result.error.reason) == (True, "too_large")


async def test_a_subscription_for_another_key_is_rejected(endpoint, transport) -> None:
    other_key = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
    subscription = endpoint.new_subscription(application_server_key=other_key)

    [result] = await transport.send_many([push(6, subscription)])

    assert result.error is not None
    assert (result.error.permanent, result.error.reason) == (True, "rejected")
    assert "403" in str(result.error)


async def test_bad_addresses_and_headers_are_refused_before_any_request(endpoint, transport) -> None:
    good = endpoint.new_subscription()
    off_curve = {**good, "keys": {**good["keys"], "p256dh": "BA" + "A" * 85}}
    not_json, no_keys, plain_http, bad_urgency, bad_topic, bad_key = await transport.send_many(
        [
            OutgoingMessage(message_id=1, channel="webpush", to="player@example.com", body="x"),
            OutgoingMessage(
                message_id=2, channel="webpush", to=json.dumps({"endpoint": good["endpoint"]}), body="x"
            ),
            push(3, {**good, "endpoint": "http://push.example.com/x"}),
            push(4, good, headers={"Urgency": "urgent"}),
            push(5, good, headers={"Topic": "draw\r\nX-Injected: 1"}),
            push(6, off_curve),
        ]
    )

    assert not_json.error is not None and not_json.error.reason == "invalid_address"
    assert "not JSON" in str(not_json.error)
    assert no_keys.error is not None and "no keys" in str(no_keys.error)
    assert plain_http.error is not None and "not an https URL" in str(plain_http.error)
    assert bad_urgency.error is not None and bad_urgency.error.reason == "invalid_message"
    assert bad_topic.error is not None and "RFC 8030" in str(bad_topic.error)
    assert bad_key.error is not None and "not an uncompressed point on P-256" in str(bad_key.error)
    assert endpoint.pushes == []


async def test_an_unreachable_push_service_is_a_temporary_connection_error(endpoint, settings_for) -> None:
    subscription = endpoint.new_subscription()
    await endpoint.stop()
    transport = WebPushTransport(settings=settings_for())
    await transport.open()

    [result] = await transport.send_many([push(9, subscription)])
    await transport.close()

    assert result.error is not None
    assert (result.error.permanent, result.error.reason) == (False, "connection")
