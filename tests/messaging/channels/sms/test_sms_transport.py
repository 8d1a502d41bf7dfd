"""SmppTransport against the local SMSC on loopback: real binds, real PDUs, real receipts."""

from __future__ import annotations

import asyncio

import pytest

from lottocrm.messaging.channels.base import DeliveryReceipt, InboundText, OutgoingMessage, TransportError
from lottocrm.messaging.channels.sms.transport import SmppTransport
from lottocrm.messaging.gateways.smsc import ESME_RBINDFAIL, LocalSmsc
from lottocrm.messaging.sms_text import DATA_CODING_GSM7, DATA_CODING_UCS2, is_stop_request

pytestmark = pytest.mark.anyio

PLAYER = "+79161234567"


def sms(message_id: int, body: str, to: str = PLAYER) -> OutgoingMessage:
    return OutgoingMessage(message_id=message_id, channel="sms", to=to, body=body)


def receipts(items: list[object]) -> dict[str, DeliveryReceipt]:
    return {item.provider_id: item for item in items if isinstance(item, DeliveryReceipt)}


async def test_multipart_cyrillic_and_gsm7_texts_arrive_whole(
    transport: SmppTransport, smsc: LocalSmsc
) -> None:
    cyrillic = "Здравствуйте, Анна! " + "Ваш билет участвует в розыгрыше. " * 5
    latin = "Hello {Anna}! " + "Your ticket is in the draw. " * 10
    results = await transport.send_many([sms(1, cyrillic), sms(2, latin), sms(3, "Short one")])

    assert [result.message_id for result in results] == [1, 2, 3]
    assert all(result.accepted for result in results), results
    received = {item.text: item for item in await smsc.wait_received(3)}
    assert set(received) == {cyrillic, latin, "Short one"}
    assert received[cyrillic].parts == 3 and received[cyrillic].data_coding == DATA_CODING_UCS2
    assert received[latin].parts == 2 and received[latin].data_coding == DATA_CODING_GSM7
    assert received["Short one"].parts == 1
    # The provider id of a multi-part message is its last part's, the one the SMSC reports with it.
    assert [result.provider_id for result in results] == [
        received[cyrillic].provider_id,
        received[latin].provider_id,
        received["Short one"].provider_id,
    ]
    assert received[cyrillic].recipient == PLAYER and received[cyrillic].sender == "LOTTO"


async def test_emoji_text_goes_as_ucs2(transport: SmppTransport, smsc: LocalSmsc) -> None:
    [result] = await transport.send_many([sms(1, "You won! 🍀")])
    assert result.accepted
    [received] = await smsc.wait_received(1)
    assert received.text == "You won! 🍀" and received.data_coding == DATA_CODING_UCS2


async def test_receipts_reach_on_inbound(transport: SmppTransport, smsc: LocalSmsc, inbox) -> None:
    smsc.undeliverable.add("+79160000000")
    results = await transport.send_many([sms(1, "Delivered"), sms(2, "Lost", to="+79160000000")])
    ids = [result.provider_id for result in results]
    assert all(ids)

    items = await inbox.wait_for(lambda items: set(ids) <= set(receipts(items)))
    by_id = receipts(items)
    assert by_id[ids[0]].status == "delivered" and by_id[ids[0]].error_code == "000"
    assert by_id[ids[1]].status == "failed" and by_id[ids[1]].error_code == "001"
    assert by_id[ids[0]].done_at is not None and by_id[ids[0]].done_at.tzinfo is not None


async def test_a_players_stop_arrives_as_inbound_text(
    smsc: LocalSmsc, transport: SmppTransport, inbox
) -> None:
    assert await smsc.send_inbound(sender=PLAYER, text="STOP") == 1
    long_reply = "Пожалуйста, больше не присылайте мне сообщения о розыгрышах и акциях. СТОП. " * 2

    assert await smsc.send_inbound(sender=PLAYER, text=long_reply) == 1

    items = await inbox.wait_for(lambda items: sum(isinstance(item, InboundText) for item in items) == 2)
    first, second = [item for item in items if isinstance(item, InboundText)]
    assert (first.sender, first.recipient, first.text) == (PLAYER, "7575", "STOP")
    assert is_stop_request(first.text)
    assert first.received_at.tzinfo is not None
    assert second.text == long_reply  # two parts, put back together


async def test_throttling_gives_temporary_errors_and_then_succeeds(
    transport: SmppTransport, smsc: LocalSmsc
) -> None:
    smsc.throttle_next(3)
    messages = [sms(number, f"Draw result {number}") for number in range(1, 6)]

    first = await transport.send_many(messages)

    refused = [result for result in first if not result.accepted]
    assert len(refused) == 3
    for result in refused:
        assert result.error is not None
        assert (result.error.permanent, result.error.reason) == (False, "throttled")
        assert result.error.retry_after is not None and result.error.retry_after > 0
        assert "ESME_RTHROTTLED" in str(result.error)
    # The transport slowed down: the bucket now has a rate although none was configured.
    assert transport._rate.rate is not None

    again = await transport.send_many(
        [message for message in messages if message.message_id in {r.message_id for r in refused}]
    )
    assert all(result.accepted for result in again)
    await smsc.wait_received(5)
    assert sorted(item.text for item in smsc.received) == sorted(message.body for message in messages)


async def test_a_refused_bind_says_which_host_and_system_id(smsc: LocalSmsc, make_settings) -> None:
    wrong = SmppTransport(settings=make_settings(password="wrong", bind_timeout=2.0))
    with pytest.raises(TransportError) as refused:
        await wrong.open()
    error = refused.value
    assert (error.permanent, error.reason) == (True, "bind_refused")
    assert f"127.0.0.1:{smsc.port}" in str(error) and "'lottocrm'" in str(error)
    assert "ESME_RINVPASWD" in str(error)

    smsc.bind_refusal = ESME_RBINDFAIL
    with pytest.raises(TransportError, match="ESME_RBINDFAIL") as generic:
        await SmppTransport(settings=make_settings(bind_timeout=2.0)).open()
    assert generic.value.permanent


async def test_an_unreachable_smsc_is_a_temporary_error(smsc: LocalSmsc, make_settings) -> None:
    port = smsc.port
    smsc.stop()
    with pytest.raises(TransportError) as unreachable:
        await SmppTransport(settings=make_settings(port=port, bind_timeout=2.0)).open()
    assert (unreachable.value.permanent, unreachable.value.reason) == (False, "connection")
    assert f"127.0.0.1:{port}" in str(unreachable.value)


async def test_an_over_long_text_is_refused_before_any_pdu(transport: SmppTransport, smsc: LocalSmsc) -> None:
    [result] = await transport.send_many([sms(7, "я" * (67 * 10 + 1))])
    assert result.error is not None
    assert (result.error.permanent, result.error.reason) == (True, "too_long")
    assert "11 parts" in str(result.error) and "limit of 10" in str(result.error)
    assert smsc.submits == 0


async def test_bad_numbers_are_permanent_errors(transport: SmppTransport, smsc: LocalSmsc) -> None:
    smsc.invalid_numbers.add("+70000000000")
    results = await transport.send_many(
        [sms(1, "Hi", to="+70000000000"), sms(2, "Hi", to="not a phone"), sms(3, "Hi")]
    )
    assert [(r.error.permanent, r.error.reason) if r.error else None for r in results] == [
        (True, "invalid_address"),
        (True, "invalid_address"),
        None,
    ]
    assert "ESME_RINVDSTADR" in str(results[0].error)
    assert smsc.submits == 2  # the text that is not a number never left


async def test_a_malformed_receipt_does_not_crash_the_transport(
    transport: SmppTransport, smsc: LocalSmsc, inbox, caplog: pytest.LogCaptureFixture
) -> None:
    assert await smsc.send_raw_receipt(text="this is not a receipt") == 1
    assert await smsc.send_raw_receipt(text="id:abc123 sub:001 stat:GARBLED") == 1
    assert await smsc.send_raw_receipt(text=b"\xff\xfe\x00 id:") == 1

    [result] = await transport.send_many([sms(1, "Still working")])
    assert result.accepted
    items = await inbox.wait_for(lambda items: result.provider_id in receipts(items))
    by_id = receipts(items)
    assert by_id["abc123"].status == "unknown"
    assert by_id[result.provider_id].status == "delivered"
    assert len(by_id) == 2  # the two without an id were dropped
    assert "this is not a receipt" in caplog.text


async def test_a_lost_connection_is_bound_again_and_only_unanswered_messages_are_resent(
    transport: SmppTransport, smsc: LocalSmsc
) -> None:
    [answered] = await transport.send_many([sms(1, "Answered before the cut")])
    assert answered.accepted
    smsc.hold_submits = True
    sending = asyncio.ensure_future(transport.send_many([sms(2, "Held one"), sms(3, "Held two")]))
    while smsc.held < 2:
        await asyncio.sleep(0.01)
    smsc.hold_submits = False

    await smsc.drop_connections()
    results = await asyncio.wait_for(sending, 30)

    assert all(result.accepted for result in results), results
    await smsc.wait_received(3)
    assert sorted(item.text for item in smsc.received) == ["Answered before the cut", "Held one", "Held two"]
    assert smsc.binds == 2


async def test_several_binds_share_the_work(make_settings, smsc: LocalSmsc) -> None:
    transport = SmppTransport(settings=make_settings(binds=3, window=2))
    await transport.open()
    try:
        while smsc.bound_sessions < 3:  # the SMSC learns of a bind a moment after answering it
            await asyncio.sleep(0.01)
        results = await transport.send_many([sms(number, f"Message {number}") for number in range(20)])
        assert [result.message_id for result in results] == list(range(20))
        assert all(result.accepted for result in results)
    finally:
        await transport.close()


async def test_sending_before_open_is_an_error(make_settings) -> None:
    with pytest.raises(TransportError, match="open"):
        await SmppTransport(settings=make_settings()).send_many([sms(1, "Hi")])


async def test_a_throttled_later_part_is_sent_again_so_no_message_stops_half_way(
    transport: SmppTransport, smsc: LocalSmsc
) -> None:
    text = "Поздравляем с выигрышем! " * 8  # 3 parts
    smsc.throttle_next(2, after=1)  # the first part goes, the second is refused twice

    [result] = await transport.send_many([sms(1, text)])

    assert result.accepted, result
    [received] = await smsc.wait_received(1)
    assert (received.text, received.parts, received.provider_id) == (text, 3, result.provider_id)
    assert smsc.submits == 5


async def test_the_rate_limit_keeps_us_under_the_smscs(make_settings, smsc: LocalSmsc) -> None:
    smsc.throttle_above(8)
    transport = SmppTransport(settings=make_settings(tps=5.0))
    await transport.open()
    try:
        results = await transport.send_many([sms(number, f"Paced {number}") for number in range(12)])
    finally:
        await transport.close()
    assert all(result.accepted for result in results), [r.error for r in results if r.error]


async def test_after_throttling_the_transport_slows_down_until_everything_is_taken(
    transport: SmppTransport, smsc: LocalSmsc
) -> None:
    smsc.throttle_above(40)
    pending = [sms(number, f"Retry {number}") for number in range(120)]
    rounds = 0
    while pending:
        rounds += 1
        assert rounds < 10, "the transport never got under the SMSC's limit"
        results = await transport.send_many(pending)
        refused = {result.message_id for result in results if not result.accepted}
        assert all(r.error.reason == "throttled" for r in results if r.error), results
        pending = [message for message in pending if message.message_id in refused]
    assert transport._rate.rate is not None  # it imposed a limit of its own
    await smsc.wait_received(120)
    assert len({item.text for item in smsc.received}) == 120 == len(smsc.received)


async def test_send_many_raises_when_the_lost_bind_cannot_be_restored(make_settings, smsc: LocalSmsc) -> None:
    transport = SmppTransport(settings=make_settings(rebind_attempts=2, bind_timeout=1.0))
    await transport.open()
    try:
        smsc.hold_submits = True
        sending = asyncio.ensure_future(transport.send_many([sms(1, "Never answered")]))
        while smsc.held < 1:
            await asyncio.sleep(0.01)
        smsc.bind_refusal = 0x0E
        await smsc.drop_connections()
        with pytest.raises(TransportError) as failed:
            await asyncio.wait_for(sending, 30)
        assert (failed.value.permanent, failed.value.reason) == (True, "bind_refused")
    finally:
        await transport.close()
