"""The SMTP sink, spoken to with a plain SMTP client (aiosmtplib): it keeps what it accepts, decoded, reports
it to on_received, refuses on cue, and writes reports a mail system would send back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from email import message_from_bytes
from email.message import EmailMessage

import aiosmtplib
import pytest

from lottocrm.messaging.gateways.smtp_sink import ReceivedEmail, SmtpSink

pytestmark = pytest.mark.anyio
# Named, so the client does not ask the resolver for this machine's name.
HELO = "client.lotto.example"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def reported() -> list[ReceivedEmail]:
    return []


@pytest.fixture
async def sink(anyio_backend: str, reported: list[ReceivedEmail]) -> AsyncIterator[SmtpSink]:
    async def on_received(mail: ReceivedEmail) -> None:
        reported.append(mail)

    server = SmtpSink(on_received=on_received)
    await server.start()
    yield server
    await server.stop()


def _mail(to: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "news@lotto.example"
    mail["To"] = to
    mail["Subject"] = "Тираж № 1234: итоги"
    mail["Message-ID"] = "<m9.abc@lotto.example>"
    mail.set_content("Выигрыш 1 000 ₽ на билет № 555.")
    return mail


async def test_a_message_is_kept_decoded_and_reported(sink, reported) -> None:
    await aiosmtplib.send(
        _mail("anna@example.com"),
        hostname=sink.host,
        port=sink.port,
        sender="b@lotto.example",
        local_hostname=HELO,
    )

    [mail] = sink.received
    assert reported == [mail]
    assert (mail.mail_from, mail.recipients) == ("b@lotto.example", ("anna@example.com",))
    assert mail.subject == "Тираж № 1234: итоги"
    assert mail.text.strip() == "Выигрыш 1 000 ₽ на билет № 555."
    assert mail.message_id == "<m9.abc@lotto.example>"
    assert not mail.over_tls and mail.login is None
    assert sink.accepted_count == 1


async def test_recipients_are_refused_on_cue(sink) -> None:
    async with aiosmtplib.SMTP(hostname=sink.host, port=sink.port, local_hostname=HELO) as client:
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as soft:
            await client.send_message(_mail("soft-bounce@example.com"))
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as hard:
            await client.send_message(_mail("hard-bounce@example.com"))
        sink.hard_bounce_prefix = None
        await client.send_message(_mail("hard-bounce@example.com"))

    assert soft.value.recipients[0].code == 451
    assert hard.value.recipients[0].code == 550
    assert [m.recipients for m in sink.received] == [("hard-bounce@example.com",)]


async def test_a_dsn_is_a_well_formed_delivery_status_report(sink) -> None:
    await aiosmtplib.send(
        _mail("anna@example.com"),
        hostname=sink.host,
        port=sink.port,
        sender="b@lotto.example",
        local_hostname=HELO,
    )

    report = message_from_bytes(sink.make_dsn(sink.received[0]))

    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    assert report["To"] == "<b@lotto.example>"
    kinds = [part.get_content_type() for part in report.get_payload()]
    assert kinds == ["text/plain", "message/delivery-status", "text/rfc822-headers"]
    recipient_block = report.get_payload()[1].get_payload()[1]
    assert recipient_block["Final-Recipient"] == "rfc822; anna@example.com"
    assert (recipient_block["Action"], recipient_block["Status"]) == ("failed", "5.1.1")
    assert b"Message-ID: <m9.abc@lotto.example>" in report.get_payload()[2].get_payload(decode=True)


async def test_stop_closes_open_sessions(sink) -> None:
    client = aiosmtplib.SMTP(hostname=sink.host, port=sink.port, local_hostname=HELO)
    await client.connect()
    await client.noop()

    await sink.stop()

    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        await client.noop()


def test_tls_options_need_a_certificate() -> None:
    with pytest.raises(ValueError, match="need a tls_context"):
        SmtpSink(implicit_tls=True)
