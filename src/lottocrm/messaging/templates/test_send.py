"""A test send: one message of a template version, rendered with the example values, to a phone, e-mail
address or device a member of staff types on the editor, through the channel's real transport.

Staff are not players, so the gate's player rules (consent, responsible gaming, quiet hours, caps) do not
apply; what does is a limit of :data:`TESTS_PER_HOUR` per person per rolling hour and the audit row
(``message_template.test_send``: who, which version, on which channel, to where), written and committed
before the message leaves, so nothing goes out unrecorded.

The leave to send is asked in one place, :func:`test_send_leave`. The contact policy issues every permit
and has no permit for a non-player yet; when it has (see the report: ``contact_policy.service.
test_send_permit(session, *, actor, channel, address)``), that function becomes the call to it and the
message goes through the outbox like any other, marked as a test. Until then the message is handed to the
channel's transport directly, with message id 0 (no outbox row, so a late receipt or bounce can never be
matched to a player's message).

A test is marked so its recipient (and the sandbox outbox) can tell: "[Тест]" before an e-mail's subject
and a push's title, and an ``X-Lottocrm-Test`` header on the e-mail. The SMS is sent exactly as players
would get it, since a mark would change its length, alphabet and parts — the very things being tested.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.models import AuditEvent
from lottocrm.audit.service import Actor, record
from lottocrm.errors import Term
from lottocrm.messaging.channels.base import OutgoingMessage, Transport, TransportError
from lottocrm.messaging.templates.errors import TemplateError
from lottocrm.messaging.templates.models import MessageTemplate, MessageTemplateVersion
from lottocrm.messaging.templates.render import RenderedMessage, compile_version
from lottocrm.messaging.templates.service import bodies_of
from lottocrm.messaging.templates.variables import sample_context
from lottocrm.players.contact_formats import is_valid_email, phone_as_e164
from lottocrm.settings import SettingsError

ACTION = "message_template.test_send"
TEST_CHANNELS = ("sms", "email", "push")
TESTS_PER_HOUR = 20
TEST_MARK = "[Тест] "
TEST_HEADER = "X-Lottocrm-Test"
SEND_TIMEOUT = 20.0
# What configures each channel's transport, as ``lottocrm dispatch`` reads it.
_CONFIGURED_BY = {"sms": "LOTTOCRM_SMPP_HOST", "email": "LOTTOCRM_SMTP_HOST", "push": "LOTTOCRM_FCM_PROJECT"}
_MAX_DEVICE_TOKEN = 4096


class SendTestRefused(TemplateError):
    code = "template_test_send_refused"
    http_status = 400


class SendTestLimit(TemplateError):
    code = "template_test_send_limit"
    http_status = 429


@dataclass(frozen=True)
class SendTestLeave:
    """Leave for one test message (the stand-in for the gate's permit; see :func:`test_send_leave`)."""

    channel: str
    address: str
    issued_at: dt.datetime


@dataclass(frozen=True)
class PreparedSendTest:
    leave: SendTestLeave
    transport: Transport
    outgoing: OutgoingMessage
    template_code: str
    version_number: int


@dataclass(frozen=True)
class SendTestOutcome:
    channel: str
    address: str
    version_number: int
    provider_id: str | None
    # The provider's refusal (TransportError's text) when it did not take the message.
    error: str | None


def test_send_leave(session: Session, *, actor: Actor, channel: str, address: str) -> SendTestLeave:
    """May ``actor`` send a test message to ``address`` on ``channel`` now? The address cleaned up, or
    refused: an unknown channel, an address that is not one, the hourly limit reached."""
    if channel not in TEST_CHANNELS:
        raise SendTestRefused(
            "a test is sent by %(channels)s, not %(channel)r",
            channels=tuple(Term(c) for c in TEST_CHANNELS),
            channel=channel[:20],
        )
    cleaned = _address(channel, address)
    now = clock.now()
    sent = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.actor == actor.name,
            AuditEvent.action == ACTION,
            AuditEvent.occurred_at > now - dt.timedelta(hours=1),
        )
    )
    if (sent or 0) >= TESTS_PER_HOUR:
        raise SendTestLimit(
            "%(limit)s test messages in the last hour already: the next may be sent later",
            limit=TESTS_PER_HOUR,
        )
    return SendTestLeave(channel=channel, address=cleaned, issued_at=now)


def prepare_test(
    session: Session,
    *,
    actor: Actor,
    version_id: int,
    channel: str,
    address: str,
    transport_for: Callable[[str], Transport] | None = None,
) -> PreparedSendTest:
    """The test message of a version (a draft too) for ``address``, rendered with the example values, and
    its audit row. The caller commits before :func:`deliver`: no test leaves unrecorded."""
    version = session.get(MessageTemplateVersion, version_id)
    if version is None:
        raise SendTestRefused("template version %(version_id)s does not exist", version_id=version_id)
    template = session.get_one(MessageTemplate, version.template_id)
    leave = test_send_leave(session, actor=actor, channel=channel, address=address)
    message = compile_version(bodies_of(version)).render(sample_context())
    outgoing = _outgoing(message, leave, code=template.code, number=version.number)
    transport = (transport_for or configured_transport)(channel)
    record(
        session,
        actor=actor,
        action=ACTION,
        detail={
            "template_id": template.id,
            "code": template.code,
            "version": version.number,
            "version_id": version.id,
            "channel": channel,
            "to": leave.address,
            "test": True,
        },
    )
    return PreparedSendTest(
        leave=leave,
        transport=transport,
        outgoing=outgoing,
        template_code=template.code,
        version_number=version.number,
    )


def deliver(prepared: PreparedSendTest) -> SendTestOutcome:
    """Send the prepared test through its channel's transport (opened for it and closed after)."""
    sending = _send_one(prepared.transport, prepared.outgoing)
    try:
        provider_id = asyncio.run(asyncio.wait_for(sending, SEND_TIMEOUT))
        error = None
    except TransportError as exc:
        provider_id, error = None, f"{exc.reason}: {exc}"
    except TimeoutError:
        provider_id, error = None, f"timeout: no answer in {SEND_TIMEOUT:.0f} s"
    except OSError as exc:
        provider_id, error = None, f"connection: {exc}"
    return SendTestOutcome(
        channel=prepared.leave.channel,
        address=prepared.leave.address,
        version_number=prepared.version_number,
        provider_id=provider_id,
        error=error,
    )


def configured_transport(channel: str) -> Transport:
    """The channel's transport as ``lottocrm dispatch`` configures it from ``LOTTOCRM_*``."""
    if not os.environ.get(_CONFIGURED_BY[channel], "").strip():
        raise SendTestRefused(
            "the %(channel)s channel is not configured on this server (%(setting)s is not set)",
            channel=Term(channel),
            setting=_CONFIGURED_BY[channel],
        )
    try:
        return _transport(channel)
    except SettingsError as exc:
        raise SendTestRefused(
            "the %(channel)s channel's settings cannot be used: %(reason)s",
            channel=Term(channel),
            reason=str(exc),
        ) from None


def _transport(channel: str) -> Transport:
    # Imported when asked for: the editor's pages do not load three protocol stacks until a test is sent.
    if channel == "sms":
        from lottocrm.messaging.channels.sms.settings import smpp_settings_from_env
        from lottocrm.messaging.channels.sms.transport import SmppTransport

        return SmppTransport(settings=smpp_settings_from_env())
    if channel == "email":
        from lottocrm.messaging.channels.email.settings import load_smtp_settings
        from lottocrm.messaging.channels.email.transport import SmtpTransport

        return SmtpTransport(settings=load_smtp_settings())
    from lottocrm.messaging.channels.mobile_push.settings import load_fcm_settings
    from lottocrm.messaging.channels.mobile_push.transport import FcmTransport

    return FcmTransport(settings=load_fcm_settings())


async def _send_one(transport: Transport, outgoing: OutgoingMessage) -> str | None:
    await transport.open()
    try:
        (result,) = await transport.send_many([outgoing])
    finally:
        await transport.close()
    if result.error is not None:
        raise result.error
    return result.provider_id


def _address(channel: str, address: str) -> str:
    text = address.strip()
    if channel == "sms":
        phone = phone_as_e164(text) if text else None
        if phone is None:
            raise SendTestRefused("%(address)r is not a phone number", address=text[:40])
        return phone
    if channel == "email":
        email = text.lower()
        if not is_valid_email(email):
            raise SendTestRefused("%(address)r is not an e-mail address", address=text[:80])
        return email
    if not text or len(text) > _MAX_DEVICE_TOKEN or not text.isascii() or any(c.isspace() for c in text):
        raise SendTestRefused("%(address)r is not a device token", address=text[:40])
    return text


def _outgoing(message: RenderedMessage, leave: SendTestLeave, *, code: str, number: int) -> OutgoingMessage:
    common = {"message_id": 0, "channel": leave.channel, "to": leave.address}
    if leave.channel == "sms":
        if message.sms_text is None:
            raise _no_body(code, number, "sms")
        return OutgoingMessage(**common, body=message.sms_text)
    if leave.channel == "email":
        if message.email_text is None or message.email_subject is None:
            raise _no_body(code, number, "email")
        return OutgoingMessage(
            **common,
            body=message.email_text,
            subject=TEST_MARK + message.email_subject,
            html=message.email_html,
            headers={TEST_HEADER: f"{code} v{number}"},
        )
    if message.push_body is None or message.push_title is None:
        raise _no_body(code, number, "push")
    return OutgoingMessage(**common, body=message.push_body, subject=TEST_MARK + message.push_title)


def _no_body(code: str, number: int, channel: str) -> SendTestRefused:
    return SendTestRefused(
        "version %(number)s of %(code)r has no %(channel)s text to send",
        number=number,
        code=code,
        channel=Term(channel),
    )
