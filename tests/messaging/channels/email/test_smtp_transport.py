"""SmtpTransport against a real SMTP server (the aiosmtpd sink) on loopback: plain, STARTTLS with a
self-signed certificate, AUTH; refusals classified; connections reused and bounded."""

from __future__ import annotations

import asyncio
import time

import pytest

from lottocrm.messaging.channels.base import TransportError
from lottocrm.messaging.channels.email import SmtpTransport, message_id_from_header
from lottocrm.messaging.gateways.smtp_sink import SmtpSink

pytestmark = pytest.mark.anyio

UNSUBSCRIBE = {
    # Longer than a folded line: it must arrive unchanged all the same.
    "List-Unsubscribe": "<https://lotto.example/unsubscribe/one-click/3f9a2c7d41e0"
    "?campaign=spring-2026-jackpot-reminder;player=88412&sig=Zm9vYmFyYmF6cXV4>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


async def test_messages_arrive_whole_with_our_id_in_the_message_id(sink, transport, make_email) -> None:
    messages = [
        make_email(101),
        make_email(102, to="boris@example.com", html="<p>Здравствуйте, <b>Борис</b>!</p>"),
    ]

    results = await transport.send_many(messages)

    assert [r.message_id for r in results] == [101, 102]
    assert all(r.accepted for r in results), [r.error for r in results]
    by_recipient = {mail.recipients[0]: mail for mail in sink.received}
    first, second = by_recipient["player@example.com"], by_recipient["boris@example.com"]
    assert first.recipients == ("player@example.com",)
    assert first.mail_from == "bounces@lotto.example"  # the envelope sender is the bounce address
    assert first.header("From") == "Лото <news@lotto.example>"
    assert first.subject == "Ваш билет выиграл"
    assert first.text.strip() == "Здравствуйте, Анна! Ваш билет № 123 выиграл 1 500 ₽."
    assert first.html is None
    assert second.html is not None and "<b>Борис</b>" in second.html
    assert second.text.strip().startswith("Здравствуйте, Анна!")
    by_id = {message_id_from_header(m.message_id): m for m in sink.received}
    assert set(by_id) == {101, 102}
    assert results[0].provider_id == by_id[101].message_id


async def test_long_subjects_and_international_domains_read_back_intact(sink, transport, make_email) -> None:
    subject = "Итоги тиража № 1234: " + "выигрыши по билетам, купленным в пунктах продаж и онлайн, " * 3

    [long_subject, idn, ascii_subject] = await transport.send_many(
        [
            make_email(11, subject=subject),
            make_email(12, to="анна@почта.рф"),
            make_email(13, subject="Draw 1234 results", body="Plain ASCII. Line two."),
        ]
    )

    assert long_subject.accepted and ascii_subject.accepted
    by_id = {message_id_from_header(m.message_id): m for m in sink.received}
    assert by_id[11].subject == subject
    assert max(len(line) for line in by_id[11].raw.split(b"\r\n")) <= 78  # headers folded
    assert by_id[13].subject == "Draw 1234 results" and by_id[13].text.strip() == "Plain ASCII. Line two."
    # A non-ASCII local part needs SMTPUTF8 (the sink offers it); the domain goes as punycode.
    assert idn.accepted, idn.error
    assert by_id[12].recipients == ("анна@xn--80a1acny.xn--p1ai",)


async def test_marketing_mail_carries_one_click_unsubscribe(sink, transport, make_email) -> None:
    [result] = await transport.send_many([make_email(7, headers=UNSUBSCRIBE)])

    assert result.accepted
    [mail] = sink.received
    assert mail.header("List-Unsubscribe") == UNSUBSCRIBE["List-Unsubscribe"]
    assert mail.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"


async def test_starttls_with_a_self_signed_certificate_and_auth(
    certificate, settings_for, make_email
) -> None:
    sink = SmtpSink(tls_context=certificate.server_context(), require_starttls=True, users={"crm": "s3cret"})
    await sink.start()
    try:
        settings = settings_for(
            sink,
            smtp_starttls=True,
            smtp_ca_file=certificate.cert_file,
            smtp_user="crm",
            smtp_password="s3cret",
        )
        transport = SmtpTransport(settings=settings)
        await transport.open()
        [result] = await transport.send_many([make_email(1)])
        await transport.close()
    finally:
        await sink.stop()

    assert result.accepted, result.error
    [mail] = sink.received
    assert mail.over_tls
    assert mail.login == "crm"


async def test_implicit_tls(certificate, settings_for, make_email) -> None:
    sink = SmtpSink(tls_context=certificate.server_context(), implicit_tls=True)
    await sink.start()
    try:
        transport = SmtpTransport(
            settings=settings_for(sink, smtp_implicit_tls=True, smtp_ca_file=certificate.cert_file)
        )
        await transport.open()
        [result] = await transport.send_many([make_email(2)])
        await transport.close()
    finally:
        await sink.stop()

    assert result.accepted, result.error
    assert sink.received[0].over_tls


async def test_a_wrong_password_fails_open_naming_the_server_and_user(certificate, settings_for) -> None:
    sink = SmtpSink(tls_context=certificate.server_context(), require_starttls=True, users={"crm": "s3cret"})
    await sink.start()
    try:
        settings = settings_for(
            sink,
            smtp_starttls=True,
            smtp_ca_file=certificate.cert_file,
            smtp_user="crm",
            smtp_password="wrong",
        )
        with pytest.raises(TransportError) as refused:
            await SmtpTransport(settings=settings).open()
    finally:
        await sink.stop()

    assert refused.value.permanent
    assert refused.value.reason == "auth"
    assert f"127.0.0.1:{sink.port}" in str(refused.value) and "'crm'" in str(refused.value)
    assert "wrong" not in str(refused.value)


async def test_an_untrusted_certificate_is_refused(certificate, settings_for) -> None:
    sink = SmtpSink(tls_context=certificate.server_context(), require_starttls=True)
    await sink.start()
    try:
        with pytest.raises(TransportError) as refused:
            await SmtpTransport(settings=settings_for(sink, smtp_starttls=True)).open()
    finally:
        await sink.stop()

    assert (refused.value.permanent, refused.value.reason) == (True, "tls")
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
    assert "LOTTOCRM_SMTP_CA_FILE" in str(refused.value)
    assert sink.received == []


async def test_4xx_is_temporary_and_the_retry_goes_through(sink, transport, make_email) -> None:
    soft = make_email(5, to="soft-bounce@example.com")

    first, delivered = await transport.send_many([soft, make_email(6)])

    assert first.error is not None
    assert (first.error.permanent, first.error.reason) == (False, "throttled")
    assert "451" in str(first.error)
    assert delivered.accepted  # the refusal left the connections usable
    sink.soft_bounce_prefix = None  # the server has recovered; the dispatcher's retry comes
    [retried] = await transport.send_many([soft])
    assert retried.accepted
    assert [m.recipients for m in sink.received] == [("player@example.com",), ("soft-bounce@example.com",)]


async def test_5xx_on_rcpt_is_a_permanent_hard_bounce(sink, transport, make_email) -> None:
    [result] = await transport.send_many([make_email(8, to="hard-bounce@example.com")])

    assert result.error is not None
    assert (result.error.permanent, result.error.reason) == (True, "hard_bounce")
    assert "550" in str(result.error) and "RCPT" in str(result.error)
    assert sink.received == []


async def test_connections_are_reused_and_never_more_than_configured(sink, settings_for, make_email) -> None:
    transport = SmtpTransport(settings=settings_for(sink, smtp_connections=2))
    await transport.open()
    results = await transport.send_many([make_email(n, to=f"p{n}@example.com") for n in range(30)])
    results += await transport.send_many([make_email(n, to=f"q{n}@example.com") for n in range(30, 40)])
    await transport.close()

    assert all(r.accepted for r in results)
    assert sink.accepted_count == 40
    assert sink.connections_opened == 2


async def test_bad_messages_are_refused_before_any_smtp(sink, transport, make_email) -> None:
    no_address, no_subject, own_header, injected = await transport.send_many(
        [
            make_email(1, to="not an address"),
            make_email(2, subject=None),
            make_email(3, headers={"From": "someone@else.example"}),
            make_email(4, headers={"X-Campaign": "spring\r\nBcc: everyone@example.com"}),
        ]
    )

    assert no_address.error is not None and no_address.error.reason == "invalid_address"
    assert "'not an address'" in str(no_address.error)
    assert no_subject.error is not None and no_subject.error.reason == "invalid_message"
    assert own_header.error is not None and "From" in str(own_header.error)
    assert injected.error is not None and injected.error.permanent
    assert sink.received == []


async def test_a_server_that_went_away_gives_temporary_errors_not_an_exception(
    sink, settings_for, make_email
) -> None:
    transport = SmtpTransport(settings=settings_for(sink, smtp_connections=2))
    await transport.open()
    await sink.stop()

    results = await transport.send_many([make_email(n) for n in range(5)])
    await transport.close()

    assert [r.message_id for r in results] == list(range(5))
    assert all(
        r.error is not None and (r.error.permanent, r.error.reason) == (False, "connection") for r in results
    )


async def test_an_unreachable_server_fails_open_clearly(settings_for) -> None:
    sink = SmtpSink()
    await sink.start()
    await sink.stop()  # the port is now closed

    with pytest.raises(TransportError) as refused:
        await SmtpTransport(settings=settings_for(sink)).open()

    assert (refused.value.permanent, refused.value.reason) == (False, "connection")
    assert f"127.0.0.1:{sink.port}" in str(refused.value)


async def test_the_rate_limit_spaces_sends(sink, settings_for, make_email) -> None:
    transport = SmtpTransport(settings=settings_for(sink, smtp_rate_per_second=40))
    await transport.open()
    started = time.monotonic()
    results = await transport.send_many([make_email(n) for n in range(9)])
    elapsed = time.monotonic() - started
    await transport.close()

    assert all(r.accepted for r in results)
    # Nine sends at 40/s: the last may start 8/40 = 0.2 s after the first, not sooner.
    assert elapsed >= 0.19


async def test_concurrent_batches_share_the_pool(sink, settings_for, make_email) -> None:
    transport = SmtpTransport(settings=settings_for(sink, smtp_connections=3))
    await transport.open()
    batches = await asyncio.gather(
        *(transport.send_many([make_email(b * 10 + n) for n in range(10)]) for b in range(3))
    )
    await transport.close()

    assert [[r.message_id for r in batch] for batch in batches] == [
        [b * 10 + n for n in range(10)] for b in range(3)
    ]
    assert sink.accepted_count == 30
    assert sink.connections_opened <= 3
