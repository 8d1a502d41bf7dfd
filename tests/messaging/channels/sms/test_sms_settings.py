"""The SMPP settings: read from LOTTOCRM_SMPP_*, every bad value named."""

from __future__ import annotations

import pytest

from lottocrm.messaging.channels.sms.settings import (
    SmsSettingsError,
    smpp_settings_from_env,
    sms_max_parts_from_env,
)

BASE = {
    "LOTTOCRM_SMPP_HOST": "smsc.example.net",
    "LOTTOCRM_SMPP_SYSTEM_ID": "lotto",
    "LOTTOCRM_SMPP_SOURCE_ADDR": "LOTTO",
}


def test_defaults() -> None:
    settings = smpp_settings_from_env(BASE)
    assert (
        settings.port,
        settings.window,
        settings.binds,
        settings.tps,
        settings.tls,
        settings.max_parts,
    ) == (2775, 64, 1, None, False, 10)


def test_every_variable_is_read() -> None:
    settings = smpp_settings_from_env(
        BASE | {"LOTTOCRM_SMPP_PORT": "2776", "LOTTOCRM_SMPP_PASSWORD": "pw", "LOTTOCRM_SMPP_WINDOW": "32",
                "LOTTOCRM_SMPP_BINDS": "4", "LOTTOCRM_SMPP_TPS": "150.5", "LOTTOCRM_SMPP_TLS": "true",
                "LOTTOCRM_SMS_MAX_PARTS": "6"}
    )  # fmt: skip
    assert (
        settings.port,
        settings.password,
        settings.window,
        settings.binds,
        settings.tps,
        settings.tls,
    ) == (2776, "pw", 32, 4, 150.5, True)
    assert settings.max_parts == 6


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LOTTOCRM_SMPP_PORT", "http", "LOTTOCRM_SMPP_PORT must be a whole number, got 'http'"),
        ("LOTTOCRM_SMPP_PORT", "70000", "LOTTOCRM_SMPP_PORT must be a TCP port"),
        ("LOTTOCRM_SMPP_WINDOW", "0", "LOTTOCRM_SMPP_WINDOW must be 1–1024"),
        ("LOTTOCRM_SMPP_TPS", "-5", "LOTTOCRM_SMPP_TPS must be positive"),
        ("LOTTOCRM_SMPP_TLS", "maybe", "LOTTOCRM_SMPP_TLS must be true or false"),
        ("LOTTOCRM_SMS_MAX_PARTS", "300", "LOTTOCRM_SMS_MAX_PARTS must be 1–255"),
        ("LOTTOCRM_SMPP_SYSTEM_ID", "a-much-too-long-system-id", "LOTTOCRM_SMPP_SYSTEM_ID must be 1–15"),
        ("LOTTOCRM_SMPP_PASSWORD", "ninechars", "LOTTOCRM_SMPP_PASSWORD must be at most 8"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(SmsSettingsError, match=message):
        smpp_settings_from_env(BASE | {variable: value})


def test_missing_variables_are_named() -> None:
    with pytest.raises(SmsSettingsError, match="LOTTOCRM_SMPP_HOST, LOTTOCRM_SMPP_SOURCE_ADDR"):
        smpp_settings_from_env({"LOTTOCRM_SMPP_SYSTEM_ID": "lotto"})


def test_the_part_limit_alone_for_the_template_editor() -> None:
    assert sms_max_parts_from_env({}) == 10
    assert sms_max_parts_from_env({"LOTTOCRM_SMS_MAX_PARTS": "4"}) == 4
    with pytest.raises(SmsSettingsError, match="LOTTOCRM_SMS_MAX_PARTS must be 1–255, got 0"):
        sms_max_parts_from_env({"LOTTOCRM_SMS_MAX_PARTS": "0"})
