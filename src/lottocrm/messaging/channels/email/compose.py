"""One outgoing message as the bytes of an RFC 5322 e-mail; our message id in and out of its ``Message-ID``.

The ``Message-ID`` carries the outbox row's id (``<m123.5f2c9a1b7e04@example.com>``) because a bounce or a
complaint comes back days later with nothing else of ours in it but the original's headers.

The e-mail is written directly rather than through ``email.message.EmailMessage``: building and flattening
an ``EmailMessage`` costs ~1.2 ms per message here (its header registry parses every header it is given),
which alone would hold one core under the 1 000 messages/s the channel must sustain; writing the same MIME
structure costs ~0.03 ms. The output is plain 7-bit MIME any mail system reads: non-ASCII headers as RFC
2047 encoded words (``email.header.Header`` folds them), bodies in base64, an HTML body as the second part
of a ``multipart/alternative``; only a non-ASCII local part of the recipient's address needs SMTPUTF8. The
tests read every message back with the ``email`` package.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr

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
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 §2.2: printable ASCII except the colon
# A dot-atom local part (RFC 5322 §3.4.1), UTF-8 letters allowed (RFC 6531); quoted local parts are not taken.
_ATOM = r'[^\x00-\x20\x7f()<>\[\]:;@\\,."]+'
_LOCAL_PART = re.compile(rf"^{_ATOM}(\.{_ATOM})*$")
_DOMAIN_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_CRLF = "\r\n"


class InvalidEmail(ValueError):
    """An outgoing message that cannot be made into an e-mail; ``reason`` is the contact history's code."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ComposedEmail:
    recipient: str  # the envelope address (an internationalised domain in its ASCII form)
    message_id: str  # the Message-ID header's value
    data: bytes  # the whole message, CRLF line ends
    needs_smtputf8: bool  # a non-ASCII local part: only a server with SMTPUTF8 (RFC 6531) can take it


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


def encode_header(name: str, value: str) -> str:
    """``Name: value``; a non-ASCII value as RFC 2047 encoded words, folded below 78 characters.

    An ASCII value goes as it is (up to RFC 5322's 998 characters a line): folding it would put a line break
    after a ``;`` or ``,`` inside a URL such as List-Unsubscribe's.
    """
    if "\r" in value or "\n" in value:
        raise ValueError(f"the {name} header's value contains a line break")
    if value.isascii() and len(name) + 2 + len(value) <= 998:
        return f"{name}: {value}"
    charset = "us-ascii" if value.isascii() else "utf-8"
    return f"{name}: {Header(value, charset, header_name=name).encode(linesep=_CRLF)}"


def from_header(sender: str) -> str:
    """The ``From`` line for ``Name <address>`` (made once per transport: every message has the same)."""
    name, address = parseaddr(sender)
    return f"From: {formataddr((name, address), charset='utf-8')}"


def _recipient(message: OutgoingMessage) -> tuple[str, bool]:
    """The envelope address and whether it needs SMTPUTF8; a Cyrillic domain (почта.рф) goes as punycode."""
    local, _, domain = message.to.strip().rpartition("@")
    problem = None
    if not _LOCAL_PART.match(local):
        problem = "the part before @ is empty or holds spaces, quotes or brackets"
    else:
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            problem = "the domain is not a valid (internationalised) domain name"
        else:
            if not all(_DOMAIN_LABEL.match(label) for label in domain.split(".")):
                problem = "the domain is not a valid domain name"
    if problem:
        raise InvalidEmail(
            f"message {message.message_id}: {message.to!r} is not an e-mail address ({problem})",
            reason="invalid_address",
        )
    return f"{local}@{domain}", not local.isascii()


def _text_part(content_type: str, text: str) -> list[str]:
    body = base64.encodebytes(text.encode("utf-8")).decode("ascii").replace("\n", _CRLF)
    return [f'Content-Type: {content_type}; charset="utf-8"', "Content-Transfer-Encoding: base64", "", body]


def compose(message: OutgoingMessage, *, from_line: str, domain: str) -> ComposedEmail:
    """The e-mail for ``message``: a text body, the HTML alternative when there is one, UTF-8 throughout.

    ``message.headers`` go out as given: the dispatcher puts ``List-Unsubscribe`` (an https URL) and
    ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058) on marketing mail.
    """
    recipient, needs_smtputf8 = _recipient(message)
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
    message_id = message_id_header(message.message_id, domain=domain)
    try:
        extra = [
            encode_header(name, value) for name, value in message.headers.items() if _HEADER_NAME.match(name)
        ]
        if len(extra) != len(message.headers):
            raise ValueError("a header name may hold only printable ASCII and no colon")
        lines = [
            from_line,
            f"To: {recipient}",
            encode_header("Subject", message.subject),
            f"Date: {format_datetime(clock.now())}",
            f"Message-ID: {message_id}",
            *extra,
            "MIME-Version: 1.0",
        ]
    except ValueError as exc:  # a line break in a value would start a header of the caller's choosing
        raise InvalidEmail(
            f"message {message.message_id}: bad header ({exc})", reason="invalid_message"
        ) from None
    if message.html:
        boundary = f"=_alt_{secrets.token_hex(12)}"
        lines += [
            f'Content-Type: multipart/alternative; boundary="{boundary}"',
            "",
            f"--{boundary}",
            *_text_part("text/plain", message.body),
            f"--{boundary}",
            *_text_part("text/html", message.html),
            f"--{boundary}--",
            "",
        ]
    else:
        lines += _text_part("text/plain", message.body)
    return ComposedEmail(
        recipient=recipient,
        message_id=message_id,
        data=_CRLF.join(lines).encode("utf-8"),
        needs_smtputf8=needs_smtputf8,
    )
