"""The local SMSC, driven by smpp34's own client and by raw PDUs on a socket."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Iterator

import pytest
import smpp34

from lottocrm.messaging.gateways.smsc import ESME_RINVPASWD, ESME_RINVSYSID, LocalSmsc, ReceivedSms
from lottocrm.messaging.sms_text import split_for_smpp

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def smsc() -> Iterator[LocalSmsc]:
    gateway = LocalSmsc(system_id="esme", password="pw", receipt_delay=0.01)
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.fixture
async def esme(smsc: LocalSmsc) -> AsyncIterator[smpp34.Smsc]:
    client = smpp34.Client("127.0.0.1", smsc.port, "esme", "pw", bind_type="TRX", connect_timeout_ms=5000)
    session = await client.connect()
    yield session
    await session.unbind()


def bind_status(port: int, system_id: bytes, password: bytes) -> int:
    body = system_id + b"\x00" + password + b"\x00" + b"\x00" + bytes((0x34, 0, 0)) + b"\x00"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(struct.pack(">IIII", 16 + len(body), 0x00000009, 0, 1) + body)
        length, command_id, status, sequence = struct.unpack(">IIII", conn.recv(16))
    assert (command_id, sequence) == (0x80000009, 1)
    return status


def test_wrong_credentials_are_refused_with_the_proper_status(smsc: LocalSmsc) -> None:
    assert bind_status(smsc.port, b"esme", b"nope") == ESME_RINVPASWD
    assert bind_status(smsc.port, b"someone", b"pw") == ESME_RINVSYSID
    assert bind_status(smsc.port, b"esme", b"pw") == 0
    smsc.bind_refusal = 0x0D
    assert bind_status(smsc.port, b"esme", b"pw") == 0x0D


def test_a_session_that_does_not_start_with_a_bind_gets_a_generic_nack(smsc: LocalSmsc) -> None:
    with socket.create_connection(("127.0.0.1", smsc.port), timeout=5) as conn:
        conn.sendall(struct.pack(">IIII", 16, 0x00000015, 0, 7))  # enquire_link before any bind
        assert struct.unpack(">IIII", conn.recv(16)) == (16, 0x80000000, 0x04, 7)
        assert conn.recv(16) == b""  # and the connection is closed


async def test_a_submission_is_answered_received_and_receipted(smsc: LocalSmsc, esme: smpp34.Smsc) -> None:
    seen: list[ReceivedSms] = []
    smsc.on_received = seen.append
    response = await esme.submit_sm(
        "79161234567",
        b"Hello",
        source_addr="LOTTO",
        source_addr_ton=5,
        dest_addr_ton=1,
        registered_delivery=1,
    )
    assert response.is_success and response.message_id

    receipt = await asyncio.wait_for(esme.next(), 10)
    assert isinstance(receipt, smpp34.DeliverSmEvent)
    assert receipt.esm_class == 0x04
    assert f"id:{response.message_id} ".encode() in receipt.short_message
    assert b"stat:DELIVRD err:000" in receipt.short_message
    tlvs = {tlv.tag: tlv.value for tlv in receipt.tlvs}
    assert tlvs[smpp34.TLV_RECEIPTED_MESSAGE_ID] == response.message_id.encode() + b"\x00"
    assert tlvs[smpp34.TLV_MESSAGE_STATE] == b"\x02"
    assert [(item.sender, item.recipient, item.text, item.parts) for item in seen] == [
        ("LOTTO", "+79161234567", "Hello", 1)
    ]


async def test_no_receipt_unless_asked(smsc: LocalSmsc, esme: smpp34.Smsc) -> None:
    await esme.submit_sm("79161234567", b"No receipt", registered_delivery=0)
    smsc.undeliverable.add("+79160000000")
    await esme.submit_sm("79160000000", b"Failure only", dest_addr_ton=1, registered_delivery=2)
    receipt = await asyncio.wait_for(esme.next(), 10)
    assert isinstance(receipt, smpp34.DeliverSmEvent) and b"stat:UNDELIV err:001" in receipt.short_message


async def test_concatenated_parts_are_put_back_together_in_any_order(
    smsc: LocalSmsc, esme: smpp34.Smsc
) -> None:
    text = "Поздравляем! Ваш билет выиграл. " * 5
    payload = split_for_smpp(text, reference=42)
    responses = [
        await esme.submit_sm(
            "79161234567", part, esm_class=payload.esm_class, data_coding=payload.data_coding
        )
        for part in reversed(payload.parts)
    ]
    [received] = await smsc.wait_received(1)
    assert (received.text, received.parts, received.data_coding) == (text, len(payload.parts), 8)
    assert received.provider_id == responses[0].message_id  # the last part's id


async def test_throttling_by_count_and_by_rate(smsc: LocalSmsc, esme: smpp34.Smsc) -> None:
    smsc.throttle_next(2)
    statuses = [(await esme.submit_sm("79161234567", b"x")).command_status for _ in range(3)]
    assert statuses == [smpp34.ESME_RTHROTTLED, smpp34.ESME_RTHROTTLED, 0]

    smsc.throttle_above(5)
    statuses = [(await esme.submit_sm("79161234567", b"x")).command_status for _ in range(8)]
    assert statuses == [0] * 5 + [smpp34.ESME_RTHROTTLED] * 3


async def test_invalid_numbers_are_rejected(smsc: LocalSmsc, esme: smpp34.Smsc) -> None:
    smsc.invalid_numbers.add("+70000000000")
    response = await esme.submit_sm("70000000000", b"x", dest_addr_ton=1)
    assert response.command_status == smpp34.ESME_RINVDSTADR and not response.is_success


async def test_a_players_text_reaches_every_bound_session(smsc: LocalSmsc, esme: smpp34.Smsc) -> None:
    assert await smsc.send_inbound(sender="+79161234567", text="СТОП") == 1
    event = await asyncio.wait_for(esme.next(), 10)
    assert isinstance(event, smpp34.DeliverSmEvent)
    assert (event.source_addr, event.source_addr_ton, event.destination_addr) == ("79161234567", 1, "7575")
    assert (event.data_coding, event.short_message) == (8, "СТОП".encode("utf-16-be"))


async def test_dropping_connections_ends_the_sessions(smsc: LocalSmsc, esme: smpp34.Smsc) -> None:
    await smsc.drop_connections()
    assert isinstance(await asyncio.wait_for(esme.next(), 10), smpp34.Disconnected)


async def test_helpers_need_a_running_smsc() -> None:
    with pytest.raises(RuntimeError, match="start"):
        await LocalSmsc().send_inbound(sender="+79161234567", text="STOP")
