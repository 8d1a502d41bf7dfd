"""A real SMTP sink on loopback for the e-mail channel's tests, and a self-signed certificate for its TLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lottocrm.messaging.channels.base import OutgoingMessage
from lottocrm.messaging.channels.email import SmtpSettings, SmtpTransport, load_smtp_settings
from lottocrm.messaging.gateways.smtp_sink import SmtpSink

BOUNCES = "bounces@lotto.example"
SENDER = "Лото <news@lotto.example>"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass(frozen=True)
class Certificate:
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, made now (nothing is downloaded or shipped)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lottocrm test sink")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "sink.crt", tmp_path / "sink.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return Certificate(cert_file, key_file)


@pytest.fixture
async def sink(anyio_backend: str) -> AsyncIterator[SmtpSink]:
    server = SmtpSink()
    await server.start()
    yield server
    await server.stop()


SettingsFor = Callable[..., SmtpSettings]
MakeEmail = Callable[..., OutgoingMessage]


@pytest.fixture
def settings_for() -> SettingsFor:
    """Settings that point at a sink: ``settings_for(sink, smtp_connections=2, ...)``."""

    def build(sink: SmtpSink, **overrides: object) -> SmtpSettings:
        fields = {
            "smtp_host": sink.host,
            "smtp_port": sink.port,
            "smtp_bounce_address": BOUNCES,
            "smtp_from": SENDER,
        }
        return load_smtp_settings(**{**fields, **overrides})

    return build


@pytest.fixture
async def transport(sink: SmtpSink, settings_for: SettingsFor) -> AsyncIterator[SmtpTransport]:
    opened = SmtpTransport(settings=settings_for(sink, smtp_connections=4))
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
def make_email() -> MakeEmail:
    """``make_email(7, to="x@example.com", html=...)``: a Cyrillic service e-mail unless told otherwise."""

    def build(message_id: int, to: str = "player@example.com", **fields: object) -> OutgoingMessage:
        values: dict[str, object] = {
            "subject": "Ваш билет выиграл",
            "body": "Здравствуйте, Анна! Ваш билет № 123 выиграл 1 500 ₽.",
            **fields,
        }
        return OutgoingMessage(message_id=message_id, channel="email", to=to, **values)  # type: ignore[arg-type]

    return build
