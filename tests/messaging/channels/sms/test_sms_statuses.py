"""SMPP command_status → what the dispatcher does with the message (SMPP 3.4 §5.1.3)."""

from __future__ import annotations

import pytest

from lottocrm.messaging.channels.sms.statuses import status_name, submit_error


@pytest.mark.parametrize(
    ("status", "permanent", "reason", "name"),
    [
        (0x58, False, "throttled", "ESME_RTHROTTLED"),
        (0x14, False, "throttled", "ESME_RMSGQFUL"),
        (0x0B, True, "invalid_address", "ESME_RINVDSTADR"),
        (0x50, True, "invalid_address", "ESME_RINVDSTTON"),
        (0x0A, True, "invalid_source", "ESME_RINVSRCADR"),
        (0x01, True, "rejected", "ESME_RINVMSGLEN"),
        (0x66, True, "rejected", "ESME_RX_R_APPN"),
        (0x08, False, "provider_error", "ESME_RSYSERR"),
        (0x45, False, "provider_error", "ESME_RSUBMITFAIL"),
        (0x04, False, "connection", "ESME_RINVBNDSTS"),
        (0x0E, True, "bind_refused", "ESME_RINVPASWD"),
        (0x0433, False, "provider_error", "vendor-specific 0x0433"),
        (0x0099, False, "provider_error", "reserved 0x0099"),
    ],
)
def test_each_status_is_classified(status: int, permanent: bool, reason: str, name: str) -> None:
    error = submit_error(status, to="+79161234567", retry_after=2.0)
    assert (error.permanent, error.reason) == (permanent, reason)
    assert name in str(error) and "+79161234567" in str(error)
    assert status_name(status) == name
    # Only a throttled message is told when to come back.
    assert error.retry_after == (2.0 if reason == "throttled" else None)
