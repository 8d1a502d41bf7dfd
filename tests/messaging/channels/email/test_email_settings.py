"""Bad LOTTOCRM_SMTP_* values fail with a message naming the variable, never repeating a password."""

from __future__ import annotations

import pytest

from lottocrm.messaging.channels.email import load_smtp_settings
from lottocrm.settings import SettingsError


def test_defaults_are_usable() -> None:
    settings = load_smtp_settings()

    assert settings.smtp_connections == 8
    assert settings.helo_name == "lottocrm.localhost"


def test_too_many_connections_names_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("LOTTOCRM_SMTP_CONNECTIONS", "17")

    with pytest.raises(SettingsError, match="LOTTOCRM_SMTP_CONNECTIONS: .*16.*got '17'"):
        load_smtp_settings()


def test_starttls_and_implicit_tls_exclude_each_other(monkeypatch) -> None:
    monkeypatch.setenv("LOTTOCRM_SMTP_STARTTLS", "true")
    monkeypatch.setenv("LOTTOCRM_SMTP_IMPLICIT_TLS", "1")

    with pytest.raises(SettingsError, match="LOTTOCRM_SMTP_STARTTLS and LOTTOCRM_SMTP_IMPLICIT_TLS exclude"):
        load_smtp_settings()


def test_a_password_without_a_user_is_refused_without_showing_it(monkeypatch) -> None:
    monkeypatch.setenv("LOTTOCRM_SMTP_PASSWORD", "hunter2-secret")

    with pytest.raises(SettingsError) as refused:
        load_smtp_settings()

    assert "LOTTOCRM_SMTP_USER and LOTTOCRM_SMTP_PASSWORD" in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_a_bounce_address_must_be_bare(monkeypatch) -> None:
    monkeypatch.setenv("LOTTOCRM_SMTP_BOUNCE_ADDRESS", "Bounces <b@example.com>")

    with pytest.raises(SettingsError, match="LOTTOCRM_SMTP_BOUNCE_ADDRESS: .*bare e-mail address"):
        load_smtp_settings()
