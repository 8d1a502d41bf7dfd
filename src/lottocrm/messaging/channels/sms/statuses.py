"""SMPP 3.4 command_status values (§5.1.3) and what each means for a message we submitted.

A status is *permanent* when sending the same PDU again cannot succeed (a bad number, a malformed
message, a setting of ours the SMSC rejects) and *temporary* when the SMSC or the network may take it later
(throttling, a full queue, a system error). The ``reason`` codes are what the contact history records.
"""

from __future__ import annotations

from lottocrm.messaging.channels.base import TransportError

ESME_ROK = 0x00
ESME_RTHROTTLED = 0x58
ESME_RMSGQFUL = 0x14
ESME_RBINDFAIL = 0x0D
ESME_RINVPASWD = 0x0E
ESME_RINVSYSID = 0x0F
BIND_REFUSALS = frozenset({ESME_RBINDFAIL, ESME_RINVPASWD, ESME_RINVSYSID})
THROTTLING = frozenset({ESME_RTHROTTLED, ESME_RMSGQFUL})

# status → (name, permanent, reason)
_STATUSES: dict[int, tuple[str, bool, str]] = {
    0x01: ("ESME_RINVMSGLEN", True, "rejected"),
    0x02: ("ESME_RINVCMDLEN", True, "rejected"),
    0x03: ("ESME_RINVCMDID", True, "rejected"),
    # The session is not bound for submitting: a re-bind fixes it.
    0x04: ("ESME_RINVBNDSTS", False, "connection"),
    0x05: ("ESME_RALYBND", False, "connection"),
    0x06: ("ESME_RINVPRTFLG", True, "rejected"),
    0x07: ("ESME_RINVREGDLVFLG", True, "rejected"),
    0x08: ("ESME_RSYSERR", False, "provider_error"),
    0x0A: ("ESME_RINVSRCADR", True, "invalid_source"),
    0x0B: ("ESME_RINVDSTADR", True, "invalid_address"),
    0x0C: ("ESME_RINVMSGID", True, "rejected"),
    0x0D: ("ESME_RBINDFAIL", True, "bind_refused"),
    0x0E: ("ESME_RINVPASWD", True, "bind_refused"),
    0x0F: ("ESME_RINVSYSID", True, "bind_refused"),
    0x11: ("ESME_RCANCELFAIL", True, "rejected"),
    0x13: ("ESME_RREPLACEFAIL", True, "rejected"),
    0x14: ("ESME_RMSGQFUL", False, "throttled"),
    0x15: ("ESME_RINVSERTYP", True, "rejected"),
    0x33: ("ESME_RINVNUMDESTS", True, "rejected"),
    0x34: ("ESME_RINVDLNAME", True, "rejected"),
    0x40: ("ESME_RINVDESTFLAG", True, "rejected"),
    0x42: ("ESME_RINVSUBREP", True, "rejected"),
    0x43: ("ESME_RINVESMCLASS", True, "rejected"),
    0x44: ("ESME_RCNTSUBDL", True, "rejected"),
    # "submit_sm failed" says nothing about the message itself; the SMSC may take it later.
    0x45: ("ESME_RSUBMITFAIL", False, "provider_error"),
    0x48: ("ESME_RINVSRCTON", True, "invalid_source"),
    0x49: ("ESME_RINVSRCNPI", True, "invalid_source"),
    0x50: ("ESME_RINVDSTTON", True, "invalid_address"),
    0x51: ("ESME_RINVDSTNPI", True, "invalid_address"),
    0x53: ("ESME_RINVSYSTYP", True, "rejected"),
    0x54: ("ESME_RINVREPFLAG", True, "rejected"),
    0x55: ("ESME_RINVNUMMSGS", True, "rejected"),
    0x58: ("ESME_RTHROTTLED", False, "throttled"),
    0x61: ("ESME_RINVSCHED", True, "rejected"),
    0x62: ("ESME_RINVEXPIRY", True, "rejected"),
    0x63: ("ESME_RINVDFTMSGID", True, "rejected"),
    0x64: ("ESME_RX_T_APPN", False, "provider_error"),
    0x65: ("ESME_RX_P_APPN", True, "rejected"),
    0x66: ("ESME_RX_R_APPN", True, "rejected"),
    0x67: ("ESME_RQUERYFAIL", True, "rejected"),
    0xC0: ("ESME_RINVOPTPARSTREAM", True, "rejected"),
    0xC1: ("ESME_ROPTPARNOTALLWD", True, "rejected"),
    0xC2: ("ESME_RINVPARLEN", True, "rejected"),
    0xC3: ("ESME_RMISSINGOPTPARAM", True, "rejected"),
    0xC4: ("ESME_RINVOPTPARAMVAL", True, "rejected"),
    0xFE: ("ESME_RDELIVERYFAILURE", False, "provider_error"),
    0xFF: ("ESME_RUNKNOWNERR", False, "provider_error"),
}


def status_name(status: int) -> str:
    if status in _STATUSES:
        return _STATUSES[status][0]
    if 0x400 <= status <= 0x4FF:
        return f"vendor-specific 0x{status:04X}"
    return f"reserved 0x{status:04X}"


def submit_error(status: int, *, to: str, retry_after: float | None = None) -> TransportError:
    """The error for a submit_sm_resp with a non-zero ``status``. Statuses the spec reserves and the
    vendor range 0x400–0x4FF mean nothing we can rely on: temporary, so the dispatcher's retry limit
    decides, rather than dropping a message for a code we do not know."""
    name, permanent, reason = _STATUSES.get(status, (status_name(status), False, "provider_error"))
    return TransportError(
        f"the SMSC refused the SMS to {to}: {name} (0x{status:08X})",
        permanent=permanent,
        reason=reason,
        retry_after=retry_after if reason == "throttled" else None,
    )
