"""Campaign settings, from ``LOTTOCRM_*`` variables, read when asked for (so a test can set its own).

- ``LOTTOCRM_CAMPAIGN_FOUR_EYES_PLAYERS`` (default 100 000): a campaign reaching more players than this needs
  an approver other than its author.
- ``LOTTOCRM_CAMPAIGN_FOUR_EYES_COST_KOPECKS`` (default 5 000 000, i.e. 50 000 ₽): likewise above this cost.
- ``LOTTOCRM_GLOBAL_HOLDOUT_PERCENT`` (default 3): the share of players kept from all marketing, per year.
- ``LOTTOCRM_CAMPAIGNS_PER_PLAYER_DAY`` (default 1): how many campaigns may choose one player on one operator
  day (the treated and the control alike); the rest of the day's campaigns do not take them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from lottocrm.settings import SettingsError

_BOUNDS = {
    "LOTTOCRM_CAMPAIGN_FOUR_EYES_PLAYERS": (0, 10**9),
    "LOTTOCRM_CAMPAIGN_FOUR_EYES_COST_KOPECKS": (0, 10**13),
    "LOTTOCRM_GLOBAL_HOLDOUT_PERCENT": (0, 20),
    "LOTTOCRM_CAMPAIGNS_PER_PLAYER_DAY": (1, 20),
}


@dataclass(frozen=True)
class CampaignSettings:
    four_eyes_players: int = 100_000
    four_eyes_cost_kopecks: int = 5_000_000
    global_holdout_percent: int = 3
    campaigns_per_player_day: int = 1

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> CampaignSettings:
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            four_eyes_players=_whole(env, "LOTTOCRM_CAMPAIGN_FOUR_EYES_PLAYERS", defaults.four_eyes_players),
            four_eyes_cost_kopecks=_whole(
                env, "LOTTOCRM_CAMPAIGN_FOUR_EYES_COST_KOPECKS", defaults.four_eyes_cost_kopecks
            ),
            global_holdout_percent=_whole(
                env, "LOTTOCRM_GLOBAL_HOLDOUT_PERCENT", defaults.global_holdout_percent
            ),
            campaigns_per_player_day=_whole(
                env, "LOTTOCRM_CAMPAIGNS_PER_PLAYER_DAY", defaults.campaigns_per_player_day
            ),
        )


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    low, high = _BOUNDS[name]
    text = raw.strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
    return int(text)
