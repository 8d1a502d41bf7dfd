"""The generative model's parameters: what a run is asked for, and the population it draws players from.

Every number here is documented in ``docs/simulator.md``; ground truth copies them to ``population.json`` so
a later analytic can be checked against exactly what produced the data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

# Fixed so that the same seed and player count give the same chunks, hence the same facts, on any machine.
DEFAULT_CHUNK_PLAYERS = 25_000


@dataclass(frozen=True)
class PopulationParams:
    # BG/NBD: purchase occasions per week while alive ~ Gamma(shape r, rate alpha).
    r: float = 0.8
    alpha: float = 0.7
    # BG/NBD: after each repeat occasion the player drops out with probability p ~ Beta(a, b).
    a: float = 1.5
    b: float = 50.0
    # Gamma-Gamma spend per occasion, in roubles: z ~ Gamma(p, rate nu), nu ~ Gamma(q, rate gamma).
    p: float = 4.0
    q: float = 3.0
    gamma: float = 150.0
    # Share of registered players who never buy (besides under-age players, who never can).
    never_buyer_share: float = 0.12
    # Days from registration to the first purchase ~ Exponential(mean).
    first_purchase_mean_days: float = 3.0
    # Game preferences ~ Dirichlet(concentration * popularity); lower = more specialised players.
    preference_concentration: float = 1.5
    # Sales-channel preferences ~ Dirichlet(concentration * base mix of the registration channel).
    channel_concentration: float = 4.0
    # Share of all tickets sold to unknown retail buyers (player_id null).
    anonymous_ticket_share: float = 0.30
    # Registrations grow: density at the end of the window is this multiple of the density at its start.
    registration_growth: float = 3.0
    # Share of Русское лото tickets sold between 15 November and 31 December that go to the New Year draw.
    new_year_draw_share: float = 0.7
    # How strongly a draw's jackpot lifts sales: lift = (jackpot / base jackpot) ** elasticity, capped.
    jackpot_elasticity: float = 0.35
    jackpot_lift_cap: float = 3.0
    new_year_lift: float = 3.0
    # Online sessions without a purchase, per online purchase occasion.
    browse_sessions_per_online_occasion: float = 0.6
    # Responsible gaming and verification.
    under_age_share: float = 0.004
    unverified_adult_share: float = 0.06
    self_exclusion_share_of_lapsed: float = 0.03
    spend_limit_share: float = 0.03
    # Consents: share of advertising consents later withdrawn.
    advertising_withdrawal_share: float = 0.10
    # Share of registrations that are a second registration of an earlier player (noisy copies of their
    # personal data, simulator/duplicates.py); the truth is each player's person_id.
    duplicate_share: float = 0.02


@dataclass(frozen=True)
class SimulationConfig:
    players: int
    seed: int
    end: dt.date
    years: int = 3
    chunk_players: int = DEFAULT_CHUNK_PLAYERS
    population: PopulationParams = field(default_factory=PopulationParams)

    def __post_init__(self) -> None:
        if self.players < 1:
            raise ValueError("players must be at least 1")
        if not 1 <= self.years <= 20:
            raise ValueError("years must be between 1 and 20")
        if self.seed < 0:
            raise ValueError("seed must be a non-negative integer")

    @property
    def start(self) -> dt.date:
        try:
            return self.end.replace(year=self.end.year - self.years)
        except ValueError:  # 29 February
            return self.end.replace(year=self.end.year - self.years, day=28)

    @property
    def start_utc(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), dt.UTC)

    @property
    def end_utc(self) -> dt.datetime:
        """The simulated 'now': every fact happens strictly before it."""
        return dt.datetime.combine(self.end, dt.time(), dt.UTC)

    @property
    def chunks(self) -> int:
        return -(-self.players // self.chunk_players)

    def describe(self) -> dict[str, object]:
        return {
            "players": self.players,
            "seed": self.seed,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "years": self.years,
            "chunk_players": self.chunk_players,
            "population": asdict(self.population),
        }
