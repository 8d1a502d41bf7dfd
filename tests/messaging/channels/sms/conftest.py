"""A real SMSC on loopback for every SMS transport test, and an inbox for what the transport reports."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from lottocrm.messaging.channels.base import Inbound
from lottocrm.messaging.channels.sms.settings import SmppSettings
from lottocrm.messaging.channels.sms.transport import SmppTransport
from lottocrm.messaging.gateways.smsc import LocalSmsc

SYSTEM_ID = "lottocrm"
PASSWORD = "secret"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def smsc() -> Iterator[LocalSmsc]:
    gateway = LocalSmsc(system_id=SYSTEM_ID, password=PASSWORD, receipt_delay=0.01)
    gateway.start()
    yield gateway
    gateway.stop()


SettingsFactory = Callable[..., SmppSettings]


@pytest.fixture
def make_settings(smsc: LocalSmsc) -> SettingsFactory:
    """Settings pointing at the local SMSC, with any field overridden."""

    def build(**overrides: object) -> SmppSettings:
        values: dict[str, object] = {
            "host": "127.0.0.1",
            "port": smsc.port,
            "system_id": SYSTEM_ID,
            "password": PASSWORD,
            "source_addr": "LOTTO",
            "window": 16,
            "bind_timeout": 5.0,
        }
        values.update(overrides)
        return SmppSettings(**values)  # type: ignore[arg-type]

    return build


class Inbox:
    """What the transport handed to on_inbound, with a way to wait for it."""

    def __init__(self) -> None:
        self.items: list[Inbound] = []

    async def __call__(self, item: Inbound) -> None:
        self.items.append(item)

    async def wait_for(
        self, predicate: Callable[[list[Inbound]], bool], *, timeout: float = 10.0
    ) -> list[Inbound]:
        deadline = time.monotonic() + timeout
        while not predicate(self.items):
            if time.monotonic() > deadline:
                raise TimeoutError(f"not seen within {timeout} s; inbox holds {self.items!r}")
            await asyncio.sleep(0.01)
        return list(self.items)


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
async def transport(make_settings: SettingsFactory, inbox: Inbox) -> AsyncIterator[SmppTransport]:
    opened = SmppTransport(settings=make_settings())
    await opened.open(on_inbound=inbox)
    yield opened
    await opened.close()
