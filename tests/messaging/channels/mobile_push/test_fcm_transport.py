"""FcmTransport against the local push endpoint's FCM HTTP v1 API: the message format, success, and FCM's
error answers classified."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lottocrm.messaging.channels.base import Inbound, OutgoingMessage, SubscriptionGone
from lottocrm.messaging.channels.mobile_push import FcmTransport, load_fcm_settings
from lottocrm.messaging.gateways.push_endpoint import PushEndpoint
from lottocrm.settings import SettingsError

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def endpoint(anyio_backend: str) -> AsyncIterator[PushEndpoint]:
    server = PushEndpoint(fcm_access_token="test-bearer-token")
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def inbound() -> list[Inbound]:
    return []


def _transport(
    endpoint: PushEndpoint, *, token: str = "test-bearer-token", **overrides: object
) -> FcmTransport:
    settings = load_fcm_settings(
        fcm_project="lotto-test", fcm_access_token=token, fcm_endpoint=endpoint.fcm_endpoint, **overrides
    )
    return FcmTransport(settings=settings)


@pytest.fixture
async def transport(endpoint: PushEndpoint, inbound: list[Inbound]) -> AsyncIterator[FcmTransport]:
    async def collect(event: Inbound) -> None:
        inbound.append(event)

    opened = _transport(endpoint, fcm_android_priority="high")
    await opened.open(collect)
    yield opened
    await opened.close()


def notification(message_id: int, token: str) -> OutgoingMessage:
    return OutgoingMessage(
        message_id=message_id,
        channel="mobile_push",
        to=token,
        subject="Вы выиграли!",
        body="Билет № 123 выиграл 1 500 ₽",
        data={"screen": "tickets"},
    )


async def test_a_message_goes_in_the_fcm_v1_format(endpoint, transport) -> None:
    token = endpoint.new_fcm_token()

    [result] = await transport.send_many([notification(31, token)])

    assert result.accepted, result.error
    assert result.provider_id is not None and result.provider_id.startswith("projects/lotto-test/messages/")
    [got] = endpoint.fcm_messages
    assert got.project == "lotto-test"
    assert got.message == {
        "token": token,
        "notification": {"title": "Вы выиграли!", "body": "Билет № 123 выиграл 1 500 ₽"},
        "data": {"screen": "tickets", "lottocrm_message_id": "31"},
        "android": {"priority": "HIGH", "ttl": "86400s"},
    }


async def test_an_unregistered_token_is_gone_and_reported(endpoint, transport, inbound) -> None:
    token = endpoint.new_fcm_token()
    endpoint.mark_token_gone(token)

    [result] = await transport.send_many([notification(32, token)])

    assert result.error is not None
    assert (result.error.permanent, result.error.reason) == (True, "gone")
    assert "UNREGISTERED" in str(result.error)
    assert inbound == [SubscriptionGone(address=token)]


async def test_an_invalid_token_is_a_permanent_invalid_argument(endpoint, transport, inbound) -> None:
    [result] = await transport.send_many([notification(33, "not-a-token-fcm-issued")])

    assert result.error is not None
    assert (result.error.permanent, result.error.reason) == (True, "rejected")
    assert "INVALID_ARGUMENT" in str(result.error)
    assert inbound == []


async def test_quota_exceeded_is_temporary_with_retry_after(endpoint, transport) -> None:
    token = endpoint.new_fcm_token()
    endpoint.throttle(requests=1, retry_after=5, service="fcm")

    [throttled] = await transport.send_many([notification(34, token)])
    [retried] = await transport.send_many([notification(34, token)])

    assert throttled.error is not None
    assert (throttled.error.permanent, throttled.error.reason, throttled.error.retry_after) == (
        False,
        "throttled",
        5,
    )
    assert "QUOTA_EXCEEDED" in str(throttled.error)
    assert retried.accepted


async def test_a_refused_bearer_token_is_temporary_and_says_which_setting(endpoint) -> None:
    transport = _transport(endpoint, token="expired-token")
    await transport.open()

    [result] = await transport.send_many([notification(35, endpoint.new_fcm_token())])
    await transport.close()

    assert result.error is not None
    assert (result.error.permanent, result.error.reason) == (False, "unauthorized")
    assert "LOTTOCRM_FCM_ACCESS_TOKEN" in str(result.error)
    assert "expired-token" not in str(result.error)
    assert endpoint.fcm_messages == []


async def test_many_messages_keep_their_order(endpoint, transport) -> None:
    tokens = [endpoint.new_fcm_token() for _ in range(20)]

    results = await transport.send_many([notification(n, token) for n, token in enumerate(tokens)])

    assert [r.message_id for r in results] == list(range(20))
    assert all(r.accepted for r in results)
    assert sorted(m.token for m in endpoint.fcm_messages) == sorted(tokens)


def test_settings_name_the_missing_variables_and_hide_the_token() -> None:
    with pytest.raises(SettingsError) as refused:
        load_fcm_settings(fcm_access_token="ya29.secret-token", fcm_endpoint="http://fcm.example.com/send")

    assert "LOTTOCRM_FCM_PROJECT is not set" in str(refused.value)
    assert "LOTTOCRM_FCM_ENDPOINT: must be an https URL" in str(refused.value)
    assert "ya29" not in str(refused.value)


def test_the_endpoint_names_the_project() -> None:
    settings = load_fcm_settings(fcm_project="lotto-prod", fcm_access_token="t")

    assert settings.send_url == "https://fcm.googleapis.com/v1/projects/lotto-prod/messages:send"
