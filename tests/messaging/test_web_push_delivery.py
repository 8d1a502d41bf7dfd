"""Web push through the dispatcher, end to end: a browser subscription registered for a player (the service
and the website's API), the gate's permit for its device, the dispatcher's push channel routing it to web
push, the local push endpoint decrypting it (real HTTP, real RFC 8291 encryption, VAPID checked); a 410 marks
the subscription gone and the device unreachable; bad subscriptions are refused naming the field."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from helpers.factories import IMPORT
from helpers.web_app import BASE_URL
from lottocrm import clock
from lottocrm.audit.models import AuditEvent
from lottocrm.auth import service as auth
from lottocrm.contact_policy import service as gate
from lottocrm.contact_policy.models import UnreachablePoint
from lottocrm.db.engine import transaction
from lottocrm.messaging import push_subscriptions
from lottocrm.messaging.channels.push_router import PushRouter
from lottocrm.messaging.channels.webpush import generate_vapid_keys, load_webpush_settings
from lottocrm.messaging.channels.webpush.transport import WebPushTransport
from lottocrm.messaging.gateways.push_endpoint import PushEndpoint
from lottocrm.messaging.models import Message, WebPushSubscription
from lottocrm.messaging.sender import Sender
from lottocrm.messaging.service import Content, Outgoing, queue_messages
from lottocrm.players.consents import record_consent
from lottocrm.players.models import PlayerIdentity

# Tuesday 10 March 2026, 12:00 in Moscow: inside the sending hours.
NOON = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
PLAYER = 1001


def _allow_push(engine: Engine) -> None:
    with transaction(engine) as session:
        record_consent(
            session,
            actor=IMPORT,
            player_id=PLAYER,
            purpose="advertising",
            channel="push",
            granted=True,
            source="website",
            notice_version="v1",
            occurred_at=NOON,
        )


def _queue_push(engine: Engine) -> int:
    with transaction(engine) as session:
        decision = gate.decide(session, player_id=PLAYER, channel="push", message_class="marketing")
        assert decision.permit is not None, decision.reasons
        (message_id,) = queue_messages(
            session, [Outgoing(decision.permit, Content(body="Суперприз в субботу", subject="Тираж"))]
        )
        assert message_id is not None
        return message_id


async def _send(engine: Engine, *, gone: bool) -> tuple[PushEndpoint, int, dict[str, Any]]:
    keys = generate_vapid_keys()
    endpoint = PushEndpoint()
    await endpoint.start()
    try:
        subscription = endpoint.new_subscription(application_server_key=keys.application_server_key)
        with clock.frozen(NOON), transaction(engine) as session:
            push_subscriptions.register(
                session, actor=IMPORT, player_id=PLAYER, subscription=subscription, label="Firefox"
            )
        with clock.frozen(NOON):
            message_id = _queue_push(engine)
        if gone:
            endpoint.mark_gone(subscription)
        web = WebPushTransport(settings=load_webpush_settings(vapid_private_key=keys.private_key))
        with clock.frozen(NOON):
            async with Sender(engine, {"push": PushRouter(web=web)}) as sender:
                await sender.drain()
        return endpoint, message_id, subscription
    finally:
        await endpoint.stop()


def test_a_push_reaches_the_browser_subscription_through_the_dispatcher(seeded, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    _allow_push(engine)
    endpoint, message_id, subscription = asyncio.run(_send(engine, gone=False))
    (received,) = endpoint.pushes
    payload = json.loads(received.payload)
    assert (payload["id"], payload["title"], payload["body"]) == (message_id, "Тираж", "Суперприз в субботу")
    assert received.endpoint == subscription["endpoint"]
    with transaction(engine) as session:
        message = session.get(Message, message_id)
        assert message.status == "sent" and message.provider_id.startswith(endpoint.base_url + "/message/")
        assert message.contact_point == push_subscriptions.device_point(subscription["endpoint"])
        identity = session.scalars(
            select(PlayerIdentity).where(PlayerIdentity.value == message.contact_point)
        ).one()
        assert (identity.player_id, identity.kind, identity.verified) == (PLAYER, "device", True)


def test_a_410_marks_the_subscription_gone_and_the_device_unreachable(seeded, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    _allow_push(engine)
    endpoint, message_id, subscription = asyncio.run(_send(engine, gone=True))
    assert endpoint.pushes == []
    device = push_subscriptions.device_point(subscription["endpoint"])
    with transaction(engine) as session:
        message = session.get(Message, message_id)
        assert message.status == "failed" and message.last_error.startswith("gone:")
        row = session.scalars(select(WebPushSubscription).where(WebPushSubscription.device == device)).one()
        assert row.gone_at is not None
        assert session.get(UnreachablePoint, (device, "push")).reason == "gone"
        decision = gate.decide(session, player_id=PLAYER, channel="push", message_class="marketing")
        assert decision.blocked_by == "unreachable"


def _subscription(**change: Any) -> dict[str, Any]:
    # A valid P-256 point and 16-byte secret (from a real browser subscription's shape).
    good = PushEndpoint(port=1).new_subscription()
    good["endpoint"] = "https://push.example.net/wpush/v2/abc"
    good["keys"].update(change.pop("keys", {}))
    good.update(change)
    return good


@pytest.mark.parametrize(
    ("subscription", "names"),
    [
        pytest.param(
            _subscription(endpoint="http://push.example.net/x"), "is not an https URL", id="plain-http"
        ),
        pytest.param(_subscription(endpoint="ftp://push.example.net/x"), "is not an https URL", id="ftp"),
        pytest.param(
            _subscription(keys={"p256dh": "AAAA"}), "keys.p256dh is 3 bytes, expected 65", id="p256dh-short"
        ),
        pytest.param(
            _subscription(keys={"auth": "AAAAAAAA"}), "keys.auth is 6 bytes, expected 16", id="auth-short"
        ),
        pytest.param(
            _subscription(keys={"auth": "!!!!"}), "keys.auth is not base64url", id="auth-not-base64"
        ),
        pytest.param(_subscription(keys={}) | {"keys": {"auth": "x"}}, "no keys.p256dh", id="p256dh-missing"),
    ],
)
def test_a_bad_subscription_is_refused_naming_the_field(seeded, engine: Engine, subscription, names) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session, pytest.raises(push_subscriptions.InvalidPushSubscription) as refused:
        push_subscriptions.register(session, actor=IMPORT, player_id=PLAYER, subscription=subscription)
    assert names in str(refused.value) and refused.value.code == "invalid_push_subscription"
    with transaction(engine) as session:
        assert session.scalars(select(WebPushSubscription)).all() == []


def test_the_website_registers_a_subscription_with_its_api_key(app, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        _, website = auth.create_api_key(session, actor=IMPORT, name="website", scopes=["push:subscribe"])
        _, reader = auth.create_api_key(session, actor=IMPORT, name="reader", scopes=["players:search"])
    subscription = _subscription()
    url = f"/api/v1/players/{PLAYER}/push-subscriptions"
    with TestClient(app, base_url=BASE_URL) as client:
        created = client.post(url, json={**subscription, "label": "Chrome"}, headers={"X-API-Key": website})
        again = client.post(url, json=subscription, headers={"X-API-Key": website})
        refused = client.post(url, json=subscription, headers={"X-API-Key": reader})
        anonymous = client.post(url, json=subscription)
        bad = client.post(url, json=_subscription(keys={"auth": "AAAA"}), headers={"X-API-Key": website})
        nobody = client.post(
            "/api/v1/players/999999/push-subscriptions", json=subscription, headers={"X-API-Key": website}
        )
    assert created.status_code == 201 and created.json()["device"].startswith("webpush:")
    assert again.status_code == 201 and again.json() == created.json()
    assert (refused.status_code, anonymous.status_code, nobody.status_code) == (403, 401, 404)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_push_subscription"
    assert "keys.auth is 3 bytes, expected 16" in bad.json()["detail"]
    with transaction(engine) as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.detail).where(AuditEvent.player_id == PLAYER)
        ).all()
    actions = [
        action for action, detail in rows if action != "player.identity.add" or detail["kind"] == "device"
    ]
    assert actions.count("messaging.push_subscription") == 2 and actions.count("player.identity.add") == 1
