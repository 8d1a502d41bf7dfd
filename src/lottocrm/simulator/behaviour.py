"""Each player's hidden buying behaviour, drawn from the population mixing distributions.

λ ~ Gamma(r, α) occasions per week while alive; p ~ Beta(a, b) dropout chance after each repeat occasion;
ν ~ Gamma(q, γ) so spend per occasion ~ Gamma(p, ν) roubles; game tastes ~ Dirichlet(c · popularity);
channel tastes ~ Dirichlet(c · mix of the registration channel), without the app for players who lack it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lottocrm import vocab
from lottocrm.simulator.games import CHANNEL_INDEX, CHANNELS, popularity
from lottocrm.simulator.params import PopulationParams
from lottocrm.simulator.players import Profiles

# Sales-channel mix (retail kiosk, post office, website, app, partner) by registration channel.
CHANNEL_MIX = {
    "website": (0.15, 0.03, 0.70, 0.05, 0.07),
    "app": (0.08, 0.02, 0.10, 0.75, 0.05),
    "retail": (0.70, 0.15, 0.08, 0.03, 0.04),
    "call_centre": (0.45, 0.15, 0.30, 0.05, 0.05),
    "partner": (0.20, 0.05, 0.15, 0.05, 0.55),
}
assert tuple(CHANNELS) == ("retail_kiosk", "post_office", "website", "app", "partner")


@dataclass(frozen=True)
class Behaviour:
    buyer: np.ndarray  # will ever buy (adults who are not never-buyers)
    rate: np.ndarray  # λ, occasions per week
    dropout: np.ndarray  # p
    spend_rate: np.ndarray  # ν, per rouble
    games: np.ndarray  # players × games preference, rows sum to 1
    channels: np.ndarray  # players × sales channels preference, rows sum to 1


def _dirichlet_rows(concentration: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One Dirichlet draw per row of ``concentration`` (zeros allowed: that component stays 0)."""
    draws = rng.standard_gamma(np.where(concentration > 0, concentration, 1.0)) * (concentration > 0)
    return (draws / draws.sum(axis=1, keepdims=True)).astype(np.float32)


def draw_behaviour(profiles: Profiles, params: PopulationParams, rng: np.random.Generator) -> Behaviour:
    count = len(profiles)
    buyer = ~profiles.under_age & (rng.random(count) >= params.never_buyer_share)
    rate = rng.gamma(params.r, 1.0 / params.alpha, size=count)
    dropout = rng.beta(params.a, params.b, size=count)
    spend_rate = rng.gamma(params.q, 1.0 / params.gamma, size=count)
    game_concentration = np.broadcast_to(
        params.preference_concentration * popularity(), (count, popularity().size)
    )
    mix = np.array([CHANNEL_MIX[c] for c in vocab.REGISTRATION_CHANNELS])[profiles.channel]
    mix[~profiles.has_app, CHANNEL_INDEX["app"]] = 0.0
    return Behaviour(
        buyer=buyer,
        rate=rate,
        dropout=dropout,
        spend_rate=spend_rate,
        games=_dirichlet_rows(game_concentration, rng),
        channels=_dirichlet_rows(params.channel_concentration * mix / mix.sum(axis=1, keepdims=True), rng),
    )
