"""What an SMTP server's refusal means for the message: retry later, or never.

4xx is temporary (RFC 5321 §4.2.1): ``throttled`` for the codes servers use to slow a sender down (421
"closing the channel", 450/451/452 "try again later", greylisting included), ``soft_bounce`` for the other
4xx and for a full mailbox (enhanced status 4.2.2), which no amount of slowing down fixes today.

5xx is permanent: ``hard_bounce`` when the server refuses the recipient itself (550/551/553 on RCPT: no such
user, not local, bad mailbox name), ``rejected`` for the rest (policy, content, our sender). A connection that
breaks or never opens is temporary ``connection``.
"""

from __future__ import annotations

import asyncio

import aiosmtplib

from lottocrm.messaging.channels.base import TransportError

THROTTLING_CODES = frozenset({421, 450, 451, 452})
RECIPIENT_UNKNOWN_CODES = frozenset({550, 551, 553})
# Which step of the transaction a refusal came in: a 550 to MAIL FROM is about us, not the recipient.
_PHASES = {
    aiosmtplib.SMTPRecipientRefused: "RCPT",
    aiosmtplib.SMTPSenderRefused: "MAIL",
    aiosmtplib.SMTPDataError: "DATA",
}
CONNECTION_ERRORS = (
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPConnectError,
    asyncio.TimeoutError,
    OSError,
)
SEND_ERRORS = (aiosmtplib.SMTPException, *CONNECTION_ERRORS)


def classify_reply(code: int, text: str, *, phase: str) -> TransportError:
    """The error for a refusal ``code text`` received in answer to ``phase`` (MAIL, RCPT, DATA...)."""
    described = f"{phase} refused: {code} {text}".strip()
    if 400 <= code < 500:
        mailbox_full = text.lstrip().startswith("4.2.2")
        reason = "throttled" if code in THROTTLING_CODES and not mailbox_full else "soft_bounce"
        return TransportError(described, permanent=False, reason=reason)
    if phase == "RCPT" and code in RECIPIENT_UNKNOWN_CODES:
        return TransportError(described, permanent=True, reason="hard_bounce")
    if 500 <= code < 600:
        return TransportError(described, permanent=True, reason="rejected")
    # Not a refusal code at all: a broken server; trying later may meet a working one.
    return TransportError(f"{described} (not an SMTP error code)", permanent=False, reason="protocol")


def classify_exception(exc: aiosmtplib.SMTPException | OSError) -> TransportError:
    """The error for what aiosmtplib raised while sending one message (see :data:`SEND_ERRORS`)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        # One recipient per transaction: the list holds its refusal.
        exc = exc.recipients[0]
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        phase = next((name for kind, name in _PHASES.items() if isinstance(exc, kind)), "command")
        return classify_reply(exc.code, exc.message, phase=phase)
    if isinstance(exc, CONNECTION_ERRORS):
        return TransportError(
            f"connection to the SMTP server lost: {exc}", permanent=False, reason="connection"
        )
    # What the server cannot do for this message (SMTPUTF8 for a non-ASCII address): it will not learn it.
    return TransportError(
        f"the SMTP server cannot take this message: {exc}", permanent=True, reason="rejected"
    )
