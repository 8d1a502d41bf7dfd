"""One outgoing message as an RFC 5322 e-mail, and our message id in and out of its ``Message-ID``.

The ``Message-ID`` carries the outbox row's id (``<m123.5f2c9a1b7e04@example.com>``) because a bounce or a
complaint comes back days later with nothing else of ours in it but the original's headers.
"""

from __future__ import annotations

import re
import secrets
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from lottocrm import clock
from lottocrm.messaging.channels.base import OutgoingMessage

# Headers the transport writes itself; a caller's copy would contradict them.
_OWN_HEADERS = frozenset(
    {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)
_OUR_MESSAGE_ID = re.compile(r"<m(\d+)\.[0-9a-f]+@[^>]+>")


class InvalidEmail(ValueError):
    """An outgoing message that cannot be made into an e-mail; ``reason`` is the contact history's code."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def message_id_header(message_id: int, *, domain: str) -> str:
    # The random part keeps ids unique across databases (a test reset, a second installation) that reuse
    # outbox ids; the number is what a bounce is matched by.
    return f"<m{message_id}.{secrets.token_hex(6)}@{domain}>"


def message_id_from_header(value: str | None) -> int | None:
    """Our outbox id from a ``Message-ID`` we wrote, or None for anyone else's."""
    if not value:
        return None
    found = _OUR_MESSAGE_ID.search(value)
    return int(found.group(1)) if found else None


def compose(message: OutgoingMessage, *, sender: str, domain: str) -> EmailMessage:
    """The e-mail for ``message``: a text body, the HTML alternative when there is one, UTF-8 throughout.

    ``message.headers`` go out as given: the dispatcher puts ``List-Unsubscribe`` (an https URL) and
    ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058) on marketing mail.
    """
    try:
        Address(addr_spec=message.to)
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise InvalidEmail(
            f"message {message.message_id}: {message.to!r} is not an e-mail address ({exc})",
            reason="invalid_address",
        ) from None
    if not message.subject:
        raise InvalidEmail(
            f"message {message.message_id}: an e-mail needs a subject", reason="invalid_message"
        )
    clashes = sorted(name for name in message.headers if name.lower() in _OWN_HEADERS)
    if clashes:
        raise InvalidEmail(
            f"message {message.message_id}: the transport writes {', '.join(clashes)} itself; "
            "pass only extra headers (List-Unsubscribe...)",
            reason="invalid_message",
        )
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(clock.now())
    mail["Message-ID"] = message_id_header(message.message_id, domain=domain)
    try:
        for name, value in message.headers.items():
            mail[name] = value
    except ValueError as exc:  # a line break in a value: header injection, refused by the email package
        raise InvalidEmail(
            f"message {message.message_id}: bad header ({exc})", reason="invalid_message"
        ) from None
    mail.set_content(message.body)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    return mail
