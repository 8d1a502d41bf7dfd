"""A real push endpoint (uvicorn on loopback) that checks VAPID and decrypts; a VAPID key pair made now."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from lottocrm.messaging.channels.base import Inbound
from lottocrm.messaging.channels.webpush import (
    VapidKeyPair,
    WebPushSettings,
    WebPushTransport,
    generate_vapid_keys,
    load_webpush_settings,
)
from lottocrm.messaging.gateways.push_endpoint import PushEndpoint

SettingsFor = Callable[..., WebPushSettings]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def vapid_keys() -> VapidKeyPair:
    return generate_vapid_keys()


@pytest.fixture
async def endpoint(anyio_backend: str) -> AsyncIterator[PushEndpoint]:
    server = PushEndpoint()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings_for(vapid_keys: VapidKeyPair) -> SettingsFor:
    def build(**overrides: object) -> WebPushSettings:
        fields = {"vapid_private_key": vapid_keys.private_key, "vapid_subject": "mailto:push@lotto.example"}
        return load_webpush_settings(**{**fields, **overrides})

    return build


@pytest.fixture
def inbound() -> list[Inbound]:
    """What the transport handed to its ``on_inbound`` callback."""
    return []


@pytest.fixture
async def transport(
    endpoint: PushEndpoint, settings_for: SettingsFor, inbound: list[Inbound]
) -> AsyncIterator[WebPushTransport]:
    async def collect(event: Inbound) -> None:
        inbound.append(event)

    opened = WebPushTransport(settings=settings_for())
    await opened.open(collect)
    yield opened
    await opened.close()
