"""Reports that come back to the bounce address: delivery status notifications and complaints.

A DSN (RFC 3464) is a ``multipart/report; report-type=delivery-status``: a human part, a
``message/delivery-status`` part with one block per recipient (``Action``, ``Status`` 5.x.x permanent /
4.x.x transient, ``Diagnostic-Code``), and the original message or its headers. A complaint (ARF, RFC 5965) is
a ``multipart/report; report-type=feedback-report`` a mailbox provider sends when a player pressed "spam".
Both are matched to our message by the original's ``Message-ID`` (see :mod:`.compose`).
"""

from __future__ import annotations

import re
from email import message_from_string, policy
from email.message import Message
from email.parser import BytesParser
from email.utils import parseaddr

from lottocrm.messaging.channels.base import Bounce, BounceClass
from lottocrm.messaging.channels.email.compose import message_id_from_header

_STATUS = re.compile(r"^([245])\.\d{1,3}\.\d{1,3}$")
# Actions that report a delivery, not a failure (RFC 3464 §2.3.3).
_NOT_FAILURES = {"delivered", "relayed", "expanded"}
# ARF feedback types that are not a complaint about our mail (RFC 5965 §7.3, RFC 6650).
_NOT_COMPLAINTS = {"not-spam"}


class BounceParseError(ValueError):
    """A report we cannot read; the message says what is missing or wrong."""


def parse_report(raw: bytes) -> list[Bounce]:
    """The bounces (or the complaint) a report carries; empty when it reports only deliveries.

    Raises :class:`BounceParseError` for anything that is not a well-formed DSN or ARF report.
    """
    report = BytesParser(policy=policy.compat32).parsebytes(raw)
    if report.get_content_type() != "multipart/report":
        raise BounceParseError(
            f"not a report: Content-Type is {report.get_content_type()!r}, expected multipart/report"
        )
    report_type = (report.get_param("report-type") or "").lower()
    if report_type == "delivery-status":
        return _delivery_status(report)
    if report_type == "feedback-report":
        return _feedback(report)
    raise BounceParseError(
        f"report-type is {report_type or 'missing'!r}; expected delivery-status (RFC 3464) "
        "or feedback-report (RFC 5965)"
    )


def _part(report: Message, content_type: str) -> Message | None:
    return next((part for part in report.walk() if part.get_content_type() == content_type), None)


def _original_headers(report: Message) -> Message | None:
    """The original message's headers, from its ``message/rfc822`` or ``text/rfc822-headers`` part."""
    for part in report.get_payload() if report.is_multipart() else []:
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            return inner[0] if isinstance(inner, list) and inner else None
        if kind == "text/rfc822-headers":
            text = part.get_payload(decode=True) or b""
            return message_from_string(text.decode("utf-8", "replace"))
    return None


def _our_message_id(report: Message) -> int | None:
    original = _original_headers(report)
    return message_id_from_header(original.get("Message-ID")) if original is not None else None


def _address(field: str | None) -> str:
    """``rfc822; player@example.com`` → ``player@example.com``."""
    return parseaddr(field.split(";", 1)[-1].strip())[1] if field else ""


def _delivery_status(report: Message) -> list[Bounce]:
    part = _part(report, "message/delivery-status")
    if part is None:
        raise BounceParseError("a delivery-status report without its message/delivery-status part")
    blocks = part.get_payload()
    # The first block is about the message; each later one about one recipient (RFC 3464 §2.1).
    recipients = blocks[1:] if isinstance(blocks, list) else []
    if not recipients:
        raise BounceParseError("the message/delivery-status part has no per-recipient block")
    message_id = _our_message_id(report)
    bounces = []
    for number, block in enumerate(recipients, start=1):
        recipient = _address(block.get("Final-Recipient") or block.get("Original-Recipient"))
        if not recipient:
            raise BounceParseError(f"recipient block {number} has no Final-Recipient address")
        action = (block.get("Action") or "").strip().lower()
        status = (block.get("Status") or "").strip()
        found = _STATUS.match(status.split()[0] if status else "")
        if not action or not found:
            raise BounceParseError(
                f"recipient block {number} ({recipient}): Action {action or 'missing'!r} and Status "
                f"{status or 'missing'!r}; a DSN needs both, Status as class.subject.detail (5.1.1)"
            )
        if action in _NOT_FAILURES:
            continue
        # The status class decides (RFC 3463): 5 is permanent, 4 transient (a "delayed" warning included).
        bounce_class: BounceClass = "hard" if found.group(1) == "5" else "soft"
        diagnostic = " ".join((block.get("Diagnostic-Code") or status).split())
        bounces.append(
            Bounce(
                recipient=recipient, bounce_class=bounce_class, diagnostic=diagnostic, message_id=message_id
            )
        )
    return bounces


def _feedback(report: Message) -> list[Bounce]:
    part = _part(report, "message/feedback-report")
    if part is None:
        raise BounceParseError("a feedback-report without its message/feedback-report part")
    inner = part.get_payload()
    # The email package parses an unknown message/* body as one embedded message: its headers are the fields.
    fields = inner[0] if isinstance(inner, list) and inner else message_from_string(str(inner))
    feedback_type = (fields.get("Feedback-Type") or "").strip().lower()
    if not feedback_type:
        raise BounceParseError("the feedback report has no Feedback-Type field")
    if feedback_type in _NOT_COMPLAINTS:
        return []
    original = _original_headers(report)
    recipient = _address(fields.get("Original-Rcpt-To")) or (
        parseaddr(original.get("To", ""))[1] if original is not None else ""
    )
    if not recipient:
        raise BounceParseError(
            "the feedback report names no recipient: neither an Original-Rcpt-To field nor the original's To"
        )
    return [
        Bounce(
            recipient=recipient,
            bounce_class="complaint",
            diagnostic=f"feedback-type {feedback_type}",
            message_id=_our_message_id(report),
        )
    ]
