"""Who the players are: gender, names, birth date, region, when and where they registered, what they hold.

Player ids follow registration order across the whole run: player i registers at the i-th quantile of the
registration-time distribution (stratified sampling), so every chunk is a contiguous stretch of time and the
operator's ids grow with time, as real ids do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lottocrm import vocab
from lottocrm.simulator.draws import US_PER_DAY, US_PER_SECOND
from lottocrm.simulator.geography import REGION_CODES, region_weights
from lottocrm.simulator.names import NamePools, PlayerNames, draw_names
from lottocrm.simulator.params import PopulationParams

REGISTRATION_CHANNEL_SHARE = {
    "website": 0.40,
    "app": 0.30,
    "retail": 0.20,
    "call_centre": 0.03,
    "partner": 0.07,
}
MALE_SHARE = 0.55
# Who installs the app besides those who registered in it; who gives an e-mail; who takes a loyalty card.
WEBSITE_APP_SHARE = 0.25
EMAIL_SHARE = {"website": 0.95, "app": 0.80, "retail": 0.40, "call_centre": 0.60, "partner": 0.85}
LOYALTY_CARD_SHARE = 0.30
# Adult age at registration: 18 + Gamma(3, 9) years, median about 43, capped at 85.
ADULT_AGE_SHAPE, ADULT_AGE_SCALE, MAX_AGE = 3.0, 9.0, 85.0
DAYS_PER_YEAR = 365.2425


@dataclass(frozen=True)
class Profiles:
    player_id: np.ndarray
    is_male: np.ndarray
    names: PlayerNames
    birth_day: np.ndarray  # days since the epoch
    region: np.ndarray  # index into REGION_CODES
    registered_at: np.ndarray  # µs
    channel: np.ndarray  # index into vocab.REGISTRATION_CHANNELS
    under_age: np.ndarray
    age_verified: np.ndarray
    has_app: np.ndarray
    has_email: np.ndarray
    has_card: np.ndarray

    def __len__(self) -> int:
        return self.player_id.size

    def channel_is(self, name: str) -> np.ndarray:
        return self.channel == vocab.REGISTRATION_CHANNELS.index(name)


def registration_times(
    first_id: int, count: int, total: int, start_us: int, end_us: int, growth: float, rng: np.random.Generator
) -> np.ndarray:
    """Registration instants of players first_id … first_id+count-1 out of ``total``, in id order.

    Density over the window grows exponentially to ``growth`` times its starting value; player i gets the
    inverse-CDF of a uniform draw inside the i-th of ``total`` equal strata.
    """
    quantile = (np.arange(first_id - 1, first_id - 1 + count) + rng.random(count)) / total
    fraction = quantile if growth == 1.0 else np.log1p(quantile * (growth - 1.0)) / np.log(growth)
    offset = (fraction * (end_us - start_us)).astype(np.int64)
    return start_us + offset // US_PER_SECOND * US_PER_SECOND


def draw_profiles(
    first_id: int,
    count: int,
    total: int,
    start_us: int,
    end_us: int,
    params: PopulationParams,
    pools: NamePools,
    rng: np.random.Generator,
) -> Profiles:
    player_id = np.arange(first_id, first_id + count, dtype=np.int64)
    registered_at = registration_times(
        first_id, count, total, start_us, end_us, params.registration_growth, rng
    )
    is_male = rng.random(count) < MALE_SHARE
    names = draw_names(pools, is_male, rng)
    region = rng.choice(len(REGION_CODES), size=count, p=region_weights())
    shares = np.array([REGISTRATION_CHANNEL_SHARE[c] for c in vocab.REGISTRATION_CHANNELS])
    channel = rng.choice(len(shares), size=count, p=shares / shares.sum())

    under_age = rng.random(count) < params.under_age_share
    adult_age = np.minimum(18.0 + rng.gamma(ADULT_AGE_SHAPE, ADULT_AGE_SCALE, size=count), MAX_AGE)
    minor_age = rng.uniform(14.0, 17.9, size=count)
    age_days = (np.where(under_age, minor_age, adult_age) * DAYS_PER_YEAR).astype(np.int64)
    birth_day = registered_at // US_PER_DAY - age_days
    age_verified = ~under_age & (rng.random(count) >= params.unverified_adult_share)

    registration = np.array(vocab.REGISTRATION_CHANNELS)[channel]
    has_app = (registration == "app") | (
        (registration == "website") & (rng.random(count) < WEBSITE_APP_SHARE)
    )
    email_share = np.array([EMAIL_SHARE[c] for c in vocab.REGISTRATION_CHANNELS])[channel]
    has_email = rng.random(count) < email_share
    has_card = rng.random(count) < LOYALTY_CARD_SHARE
    return Profiles(
        player_id=player_id,
        is_male=is_male,
        names=names,
        birth_day=birth_day,
        region=region,
        registered_at=registered_at,
        channel=channel,
        under_age=under_age,
        age_verified=age_verified,
        has_app=has_app,
        has_email=has_email,
        has_card=has_card,
    )


def players_table(profiles: Profiles, status: np.ndarray) -> pa.Table:
    registered = pa.array(profiles.registered_at).cast(pa.timestamp("us", tz="UTC"))
    return pa.table(
        {
            "id": pa.array(profiles.player_id),
            "last_name": profiles.names.last,
            "first_name": profiles.names.first,
            "middle_name": profiles.names.middle,
            "search_name": profiles.names.search_name,
            "birth_date": pa.array(profiles.birth_day.astype(np.int32)).cast(pa.date32()),
            "gender": pc.if_else(pa.array(profiles.is_male), "M", "F"),
            "region": pa.array(list(REGION_CODES)).take(pa.array(profiles.region)),
            "registered_at": registered,
            "registration_channel": pa.array(list(vocab.REGISTRATION_CHANNELS)).take(
                pa.array(profiles.channel)
            ),
            "age_verified": pa.array(profiles.age_verified),
            "under_age": pa.array(profiles.under_age),
            "status": pa.array(status),
            "created_at": registered,
        }
    )
