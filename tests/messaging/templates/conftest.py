"""Fixtures for the template tests: a migrated database's engine (SQLite, and PostgreSQL when
LOTTOCRM_TEST_DATABASE_URL is set, from tests/conftest.py), the acting people, and — until the SMS part of
#13 lands — a private stand-in for ``lottocrm.messaging.sms_text``.

The stand-in implements only what the templates call, ``sms_parts(text) -> SmsParts``, with the same rules
(GSM-7 160/153 septets with the extension table at two; otherwise UCS-2 70/67 code units, an emoji outside
the BMP two units and never split). It is installed only when the real module cannot be imported, so once
``sms_text.py`` is merged these tests run against it; then this stand-in can be deleted.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from dataclasses import dataclass

import pytest

from lottocrm.audit.service import Actor

_SMS_TEXT = "lottocrm.messaging.sms_text"


def _private_sms_text() -> types.ModuleType:
    basic = set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )
    extension = set("\f^{}\\[~]|€")

    @dataclass(frozen=True)
    class SmsParts:
        encoding: str
        units: int
        parts: int
        per_part: int
        chars_left: int

    def sms_parts(text: str) -> SmsParts:
        if all(char in basic or char in extension for char in text):
            encoding, sizes, single, per_part = "gsm7", [1 + (c in extension) for c in text], 160, 153
        else:
            encoding, sizes, single, per_part = "ucs2", [1 + (ord(c) > 0xFFFF) for c in text], 70, 67
        units = sum(sizes)
        if units <= single:
            return SmsParts(encoding, units, 1, single, single - units)
        parts, used = 1, 0
        for size in sizes:
            if used + size > per_part:
                parts, used = parts + 1, 0
            used += size
        return SmsParts(encoding, units, parts, per_part, per_part - used)

    module = types.ModuleType(_SMS_TEXT)
    module.SmsParts = SmsParts  # type: ignore[attr-defined]
    module.sms_parts = sms_parts  # type: ignore[attr-defined]
    return module


if importlib.util.find_spec(_SMS_TEXT) is None:
    sys.modules[_SMS_TEXT] = _private_sms_text()


@pytest.fixture
def marketer() -> Actor:
    return Actor("user:petrova", "192.0.2.10")


@pytest.fixture(autouse=True)
def default_template_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOTTOCRM_SMS_PRICE_KOPECKS", raising=False)
    monkeypatch.delenv("LOTTOCRM_SMS_MAX_PARTS", raising=False)
