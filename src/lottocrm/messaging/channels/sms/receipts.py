"""SMPP delivery receipts: the ``deliver_sm`` an SMSC sends (esm_class bit 0x04) when a message it accepted
reaches a final state.

The state comes two ways. SMPP 3.4 §5.3.2.12 and §5.3.2.35 define the ``receipted_message_id`` and
``message_state`` TLVs, which are unambiguous; Appendix B suggests a text, which most SMSCs send and some
send alone::

    id:0123456789 sub:001 dlvrd:001 submit date:2612070400 done date:2612070401 stat:DELIVRD err:000 text:…

The TLVs win when both are present (the text's id is sometimes reformatted, decimal for a hex id). A
receipt we cannot read is logged with its raw text; if it still names a message it is reported as
``unknown`` so the dispatcher can close that message's wait, otherwise it is dropped — never a crash of the
session that received it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping

from lottocrm.messaging.channels.base import DeliveryReceipt, DeliveryStatus

log = logging.getLogger("lottocrm.messaging.sms")

ESM_CLASS_DELIVERY_RECEIPT = 0x04
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427
TLV_NETWORK_ERROR_CODE = 0x0423

# message_state values, SMPP 3.4 §5.2.28. ENROUTE (1) is not final and is not reported.
_STATE_BY_NUMBER: dict[int, DeliveryStatus] = {
    2: "delivered",
    3: "expired",
    4: "failed",  # DELETED
    5: "failed",  # UNDELIVERABLE
    # ACCEPTED: "manually read on behalf of the subscriber by customer service" — it reached a person.
    6: "delivered",
    7: "unknown",
    8: "rejected",
}
_ENROUTE = 1
# The text's stat: field, in the abbreviations of Appendix B and the long forms some SMSCs use.
_STATE_BY_WORD: dict[str, DeliveryStatus | None] = {
    "DELIVRD": "delivered",
    "DELIVERED": "delivered",
    "EXPIRED": "expired",
    "DELETED": "failed",
    "UNDELIV": "failed",
    "UNDELIVERABLE": "failed",
    "ACCEPTD": "delivered",
    "ACCEPTED": "delivered",
    "UNKNOWN": "unknown",
    "REJECTD": "rejected",
    "REJECTED": "rejected",
    "ENROUTE": None,
}

_ID = re.compile(r"(?:^|\s)id:\s*([^\s]+)", re.IGNORECASE)
_STAT = re.compile(r"\bstat:\s*([A-Za-z]+)", re.IGNORECASE)
_ERR = re.compile(r"\berr:\s*([0-9A-Za-z]+)", re.IGNORECASE)
_DONE = re.compile(r"\bdone date:\s*(\d{10}(?:\d{2})?)\b", re.IGNORECASE)


def _c_string(value: bytes) -> str:
    return value.split(b"\x00", 1)[0].decode("latin-1").strip()


def _done_at(text: str) -> dt.datetime | None:
    """``done date:YYMMDDhhmm[ss]``. The format carries no zone; SMSCs we know send UTC, so we read UTC."""
    found = _DONE.search(text)
    if not found:
        return None
    digits = found.group(1)
    try:
        return dt.datetime.strptime(digits, "%y%m%d%H%M%S" if len(digits) == 12 else "%y%m%d%H%M").replace(
            tzinfo=dt.UTC
        )
    except ValueError:
        return None


def parse_receipt(*, short_message: bytes, tlvs: Mapping[int, bytes]) -> DeliveryReceipt | None:
    """The receipt in one ``deliver_sm``, or None when it names no message (logged) or is not final."""
    text = short_message.decode("latin-1")
    provider_id: str | None = None
    if TLV_RECEIPTED_MESSAGE_ID in tlvs:
        provider_id = _c_string(tlvs[TLV_RECEIPTED_MESSAGE_ID]) or None
    if provider_id is None and (found_id := _ID.search(text)):
        provider_id = found_id.group(1)
    if provider_id is None:
        log.warning("SMPP delivery receipt names no message id; dropped: %r", text)
        return None

    status: DeliveryStatus | None
    state_tlv = tlvs.get(TLV_MESSAGE_STATE)
    if state_tlv is not None and len(state_tlv) == 1 and state_tlv[0] in (*_STATE_BY_NUMBER, _ENROUTE):
        if state_tlv[0] == _ENROUTE:
            return None
        status = _STATE_BY_NUMBER[state_tlv[0]]
    elif (found_stat := _STAT.search(text)) and found_stat.group(1).upper() in _STATE_BY_WORD:
        status = _STATE_BY_WORD[found_stat.group(1).upper()]
        if status is None:
            return None
    else:
        log.warning(
            "SMPP delivery receipt for %s has no state we know; reported as unknown: %r", provider_id, text
        )
        status = "unknown"

    error_code: str | None = None
    if found_err := _ERR.search(text):
        error_code = found_err.group(1)
    elif (network_error := tlvs.get(TLV_NETWORK_ERROR_CODE)) is not None and len(network_error) == 3:
        # network_type (GSM, ANSI-136…) then the network's own two-octet code.
        error_code = f"{network_error[0]}:{int.from_bytes(network_error[1:], 'big')}"
    return DeliveryReceipt(
        provider_id=provider_id, status=status, error_code=error_code, done_at=_done_at(text)
    )


def receipt_text(
    *, provider_id: str, stat: str, err: str, submitted_at: dt.datetime, done_at: dt.datetime, text: str = ""
) -> str:
    """The Appendix B text for a receipt (the local SMSC sends it; tests compare against it)."""
    stamp = "%y%m%d%H%M"
    delivered = "001" if stat == "DELIVRD" else "000"
    return (
        f"id:{provider_id} sub:001 dlvrd:{delivered} submit date:{submitted_at.astimezone(dt.UTC):{stamp}} "
        f"done date:{done_at.astimezone(dt.UTC):{stamp}} stat:{stat} err:{err} text:{text[:20]}"
    )
