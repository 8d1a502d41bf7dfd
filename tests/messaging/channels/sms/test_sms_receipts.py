"""Reading SMPP delivery receipts: the TLVs first, the Appendix B text otherwise, never a crash."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from lottocrm.messaging.channels.base import DeliveryReceipt
from lottocrm.messaging.channels.sms.receipts import (
    TLV_MESSAGE_STATE,
    TLV_NETWORK_ERROR_CODE,
    TLV_RECEIPTED_MESSAGE_ID,
    parse_receipt,
    receipt_text,
)

TEXT = b"id:0a1b2c sub:001 dlvrd:001 submit date:2612070400 done date:2612070401 stat:DELIVRD err:000 text:Hi"


def test_the_appendix_b_text_alone_is_read() -> None:
    assert parse_receipt(short_message=TEXT, tlvs={}) == DeliveryReceipt(
        provider_id="0a1b2c",
        status="delivered",
        error_code="000",
        done_at=dt.datetime(2026, 12, 7, 4, 1, tzinfo=dt.UTC),
    )


def test_the_tlvs_win_over_the_text() -> None:
    receipt = parse_receipt(
        short_message=TEXT, tlvs={TLV_RECEIPTED_MESSAGE_ID: b"REAL-ID\x00", TLV_MESSAGE_STATE: bytes((5,))}
    )
    assert receipt is not None
    assert (receipt.provider_id, receipt.status) == ("REAL-ID", "failed")


@pytest.mark.parametrize(
    ("stat", "status"),
    [("DELIVRD", "delivered"), ("EXPIRED", "expired"), ("DELETED", "failed"), ("UNDELIV", "failed"),
     ("ACCEPTD", "delivered"), ("UNKNOWN", "unknown"), ("REJECTD", "rejected"), ("UNDELIVERABLE", "failed"),
     ("delivrd", "delivered")],
)  # fmt: skip
def test_every_final_state_of_the_text(stat: str, status: str) -> None:
    receipt = parse_receipt(short_message=f"id:42 stat:{stat} err:0".encode(), tlvs={})
    assert receipt is not None and receipt.status == status


def test_a_receipt_that_is_not_final_is_not_reported() -> None:
    assert parse_receipt(short_message=b"id:42 stat:ENROUTE err:000", tlvs={}) is None
    assert (
        parse_receipt(
            short_message=b"", tlvs={TLV_RECEIPTED_MESSAGE_ID: b"42\x00", TLV_MESSAGE_STATE: b"\x01"}
        )
        is None
    )


def test_a_receipt_without_an_id_is_dropped_with_its_text_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="lottocrm.messaging.sms"):
        assert parse_receipt(short_message=b"stat:DELIVRD err:000", tlvs={}) is None
    assert "stat:DELIVRD err:000" in caplog.text


def test_an_unreadable_state_is_unknown_when_the_message_is_named(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="lottocrm.messaging.sms"):
        receipt = parse_receipt(
            short_message=b"id:77 stat:??? done date:9999999999", tlvs={TLV_MESSAGE_STATE: b"\x63"}
        )
    assert receipt == DeliveryReceipt(provider_id="77", status="unknown", error_code=None, done_at=None)
    assert "id:77" in caplog.text


def test_binary_garbage_never_raises() -> None:
    for garbage in (b"\xff\xfe\x00\x01", b"id:", b"id: \x00", bytes(range(256))):
        parse_receipt(short_message=garbage, tlvs={TLV_MESSAGE_STATE: b"\x02\x03"})


def test_the_network_error_code_tlv_when_the_text_has_no_err() -> None:
    receipt = parse_receipt(
        short_message=b"id:9 stat:UNDELIV", tlvs={TLV_NETWORK_ERROR_CODE: b"\x03\x00\x22"}
    )
    assert receipt is not None and receipt.error_code == "3:34"


def test_the_text_we_send_reads_back() -> None:
    at = dt.datetime(2026, 12, 7, 4, 5, tzinfo=dt.UTC)
    text = receipt_text(
        provider_id="abc", stat="UNDELIV", err="001", submitted_at=at, done_at=at, text="Hello"
    )
    assert parse_receipt(short_message=text.encode(), tlvs={}) == DeliveryReceipt(
        provider_id="abc", status="failed", error_code="001", done_at=at
    )
