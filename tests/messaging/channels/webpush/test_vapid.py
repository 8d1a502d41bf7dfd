"""VAPID keys from either form the setting takes, the token signed once per push service and renewed before it
expires, and bad settings named."""

from __future__ import annotations

import datetime as dt

import pytest
from py_vapid import Vapid02, jwt

from lottocrm import clock
from lottocrm.messaging.channels.webpush import application_server_key, load_webpush_settings
from lottocrm.messaging.channels.webpush.vapid import VapidTokens, load_vapid_key
from lottocrm.settings import SettingsError

START = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def test_the_key_loads_from_base64url_and_from_a_pem_file(vapid_keys, tmp_path) -> None:
    pem = tmp_path / "vapid.pem"
    pem.write_text(vapid_keys.private_pem)

    from_text, from_file = load_vapid_key(vapid_keys.private_key), load_vapid_key(str(pem))

    assert application_server_key(from_text) == vapid_keys.application_server_key
    assert application_server_key(from_file) == vapid_keys.application_server_key


def _claims(header: str) -> dict:
    token, key = (part.split("=", 1)[1] for part in header.removeprefix("vapid ").split(","))
    return jwt.decode(token, key)


def test_one_token_per_push_service_until_shortly_before_it_expires(vapid_keys) -> None:
    tokens = VapidTokens(key=load_vapid_key(vapid_keys.private_key), subject="mailto:push@lotto.example")

    with clock.frozen(START) as frozen:
        first = tokens.authorization("https://fcm.googleapis.com/fcm/send/abc")
        same_service = tokens.authorization("https://fcm.googleapis.com/fcm/send/def")
        other_service = tokens.authorization("https://updates.push.services.mozilla.com/wpush/v2/xyz")
        frozen.advance(dt.timedelta(hours=10, minutes=59))
        still_first = tokens.authorization("https://fcm.googleapis.com/fcm/send/abc")
        frozen.advance(dt.timedelta(minutes=2))  # within the last hour of its 12: renewed
        renewed = tokens.authorization("https://fcm.googleapis.com/fcm/send/abc")

    assert same_service == first == still_first
    assert renewed != first
    claims = _claims(first)
    assert claims == {
        "aud": "https://fcm.googleapis.com",
        "exp": int(START.timestamp()) + 12 * 3600,
        "sub": "mailto:push@lotto.example",
    }
    assert _claims(other_service)["aud"] == "https://updates.push.services.mozilla.com"
    assert _claims(renewed)["exp"] > claims["exp"]


def test_a_key_that_is_not_a_key_is_named_but_not_shown() -> None:
    with pytest.raises(SettingsError) as refused:
        load_webpush_settings(vapid_private_key="c2VjcmV0LW5vdC1hLWtleQ")

    assert "LOTTOCRM_VAPID_PRIVATE_KEY" in str(refused.value)
    assert "c2VjcmV0" not in str(refused.value)


def test_a_missing_pem_file_is_not_created() -> None:
    # py_vapid's Vapid.from_file would generate and save a key at a mistyped path; we refuse instead.
    with pytest.raises(SettingsError, match="LOTTOCRM_VAPID_PRIVATE_KEY"):
        load_webpush_settings(vapid_private_key="/nonexistent/dir/vapid.pem")


def test_the_subject_must_be_a_contact(vapid_keys) -> None:
    with pytest.raises(SettingsError, match="LOTTOCRM_VAPID_SUBJECT: must be mailto:"):
        load_webpush_settings(vapid_private_key=vapid_keys.private_key, vapid_subject="push@lotto.example")


def test_a_generated_pair_is_a_p256_key(vapid_keys) -> None:
    vapid = Vapid02.from_string(vapid_keys.private_key)
    assert vapid.private_key.curve.name == "secp256r1"
    assert len(vapid_keys.application_server_key) == 87  # 65 bytes in base64url without padding
