"""Template settings, from ``LOTTOCRM_*`` variables, read when asked for (so a test can set its own).

- ``LOTTOCRM_SMS_PRICE_KOPECKS`` (default 250): what one SMS part costs, for the preview's cost.
- ``LOTTOCRM_SMS_MAX_PARTS`` (default 10): the most parts one SMS may take; a version whose SMS text
  takes more with the example values is refused. The SMS transport refuses the same limit at send time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from lottocrm.settings import SettingsError

# Above 255 the concatenation header's part counter overflows; above 1 000 ₽ a part is surely a typo.
_BOUNDS = {"LOTTOCRM_SMS_PRICE_KOPECKS": (0, 100_000), "LOTTOCRM_SMS_MAX_PARTS": (1, 255)}


@dataclass(frozen=True)
class TemplateSettings:
    sms_price_kopecks: int = 250
    sms_max_parts: int = 10

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> TemplateSettings:
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            sms_price_kopecks=_whole(env, "LOTTOCRM_SMS_PRICE_KOPECKS", defaults.sms_price_kopecks),
            sms_max_parts=_whole(env, "LOTTOCRM_SMS_MAX_PARTS", defaults.sms_max_parts),
        )


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    low, high = _BOUNDS[name]
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
    return int(text)
