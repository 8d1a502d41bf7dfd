"""Reports that come back to the bounce address, made by the sink from mail it really received: DSNs
(RFC 3464) and ARF complaints (RFC 5965) read into Bounce and matched to our message; malformed ones
refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lottocrm.messaging.channels.base import Bounce
from lottocrm.messaging.channels.email import BounceParseError, SmtpTransport, parse_report

pytestmark = pytest.mark.anyio


@pytest.fixture
async def delivered(sink, transport, make_email):
    """A message (outbox id 4242) the sink accepted, to be bounced or complained about."""
    [result] = await transport.send_many([make_email(4242, to="anna@example.com")])
    assert result.accepted
    return sink.received[0]


async def test_a_failed_dsn_is_a_hard_bounce_of_our_message(sink, delivered) -> None:
    [bounce] = parse_report(sink.make_dsn(delivered))

    assert bounce == Bounce(
        recipient="anna@example.com",
        bounce_class="hard",
        diagnostic="smtp; 550 5.1.1 The email account that you tried to reach does not exist",
        message_id=4242,
    )


async def test_a_delayed_dsn_is_a_soft_bounce(sink, delivered) -> None:
    report = sink.make_dsn(delivered, status="4.2.2", diagnostic="smtp; 452 4.2.2 Mailbox full")

    [bounce] = parse_report(report)

    assert (bounce.bounce_class, bounce.message_id) == ("soft", 4242)
    assert "Mailbox full" in bounce.diagnostic


async def test_an_arf_report_is_a_complaint(sink, delivered) -> None:
    [bounce] = parse_report(sink.make_complaint(delivered))

    assert bounce == Bounce(
        recipient="anna@example.com",
        bounce_class="complaint",
        diagnostic="feedback-type abuse",
        message_id=4242,
    )


async def test_a_not_spam_report_is_no_complaint(sink, delivered) -> None:
    assert parse_report(sink.make_complaint(delivered, feedback_type="not-spam")) == []


async def test_the_transport_hands_reports_to_on_inbound(sink, settings_for, make_email) -> None:
    inbound = []

    async def on_inbound(event) -> None:
        inbound.append(event)

    transport = SmtpTransport(settings=settings_for(sink))
    await transport.open(on_inbound)
    await transport.send_many([make_email(77, to="boris@example.com")])
    bounces = await transport.accept_report(sink.make_dsn(sink.received[0]))
    await transport.close()

    assert inbound == bounces
    assert [(b.recipient, b.bounce_class, b.message_id) for b in inbound] == [
        ("boris@example.com", "hard", 77)
    ]


async def test_someone_elses_message_has_no_message_id(sink, delivered) -> None:
    foreign = delivered.raw.replace(delivered.message_id.encode(), b"<abc.123@elsewhere.example>")
    [bounce] = parse_report(sink.make_dsn(replace(delivered, raw=foreign)))

    assert bounce.message_id is None
    assert bounce.bounce_class == "hard"


def test_a_plain_message_is_not_a_report() -> None:
    with pytest.raises(BounceParseError, match="not a report: Content-Type is 'text/plain'"):
        parse_report(b"From: a@example.com\r\nSubject: hello\r\n\r\nhello\r\n")


def test_an_unknown_report_type_is_refused() -> None:
    raw = (
        b'Content-Type: multipart/report; report-type=disposition-notification; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nread\r\n--b--\r\n"
    )
    with pytest.raises(BounceParseError, match="report-type is 'disposition-notification'"):
        parse_report(raw)


async def test_a_dsn_without_status_is_refused_clearly(sink, delivered) -> None:
    report = sink.make_dsn(delivered).replace(b"Status: 5.1.1\r\n", b"")

    with pytest.raises(BounceParseError, match=r"recipient block 1 \(anna@example.com\).*Status 'missing'"):
        parse_report(report)


async def test_a_dsn_without_recipient_blocks_is_refused(sink, delivered) -> None:
    report = sink.make_dsn(delivered)
    head, _, rest = report.partition(b"Final-Recipient")
    # Keep the per-message block, drop the per-recipient one up to the next part's boundary.
    truncated = head.rstrip(b"\r\n") + b"\r\n" + rest[rest.index(b"\r\n--") :]

    with pytest.raises(BounceParseError, match="no per-recipient block"):
        parse_report(truncated)
