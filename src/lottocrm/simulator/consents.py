"""Consent history: personal-data consent at registration, advertising opt-ins per channel, later changes.

Every registration writes one event per advertising channel the form offered (e-mail only to players who
gave one, push only to app users): granted or refused. Afterwards some who refused opt in, and some who
granted withdraw. The history is append-only; the current state is the latest event.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from lottocrm import vocab
from lottocrm.simulator.draws import US_PER_DAY
from lottocrm.simulator.players import Profiles

# Advertising opt-in rates at registration by registration channel, per consent channel (sms, email, push,
# call, web). Retail forms push SMS; the app asks for push permission; few agree to sales calls.
OPT_IN = {
    "website": (0.35, 0.45, 0.50, 0.12, 0.55),
    "app": (0.30, 0.30, 0.65, 0.10, 0.40),
    "retail": (0.45, 0.20, 0.40, 0.18, 0.10),
    "call_centre": (0.40, 0.25, 0.30, 0.35, 0.15),
    "partner": (0.30, 0.35, 0.30, 0.10, 0.30),
}
# Where the personal-data consent was collected: the web form, a call, or an SMS code at the kiosk.
PERSONAL_DATA_CHANNEL = {
    "website": "web",
    "app": "web",
    "partner": "web",
    "call_centre": "call",
    "retail": "sms",
}
LATE_OPT_IN_SHARE = 0.06
LATE_OPT_IN_MEAN_DAYS = 180.0
WITHDRAWAL_MEAN_DAYS = 240.0
CHANGE_SOURCES = ("website", "call_centre")


def notice_version(purpose: str, times_us: np.ndarray) -> np.ndarray:
    """Notices are revised every January: pd-2024.1, ad-2025.1 …"""
    years = times_us.astype("datetime64[us]").astype("datetime64[Y]").astype(np.int64) + 1970
    prefix = "pd" if purpose == "personal_data" else "ad"
    return np.char.add(f"{prefix}-", np.char.add(years.astype(str), ".1"))


def _events(player_id, purpose, channel, granted, occurred, source) -> pa.Table:  # type: ignore[no-untyped-def]
    times = pa.array(occurred).cast(pa.timestamp("us", tz="UTC"))
    return pa.table(
        {
            "player_id": pa.array(player_id, pa.int64()),
            "purpose": pa.array(np.full(player_id.size, purpose)),
            "channel": pa.array(channel),
            "granted": pa.array(granted),
            "occurred_at": times,
            "source": pa.array(source),
            "notice_version": pa.array(notice_version(purpose, occurred)),
            "recorded_at": times,
        }
    )


def consent_events(
    profiles: Profiles, advertising_withdrawal_share: float, end_us: int, rng: np.random.Generator
) -> pa.Table:
    count = len(profiles)
    registration = np.array(vocab.REGISTRATION_CHANNELS)[profiles.channel]
    registered = profiles.registered_at
    personal = _events(
        profiles.player_id,
        "personal_data",
        np.array([PERSONAL_DATA_CHANNEL[c] for c in vocab.REGISTRATION_CHANNELS])[profiles.channel],
        np.ones(count, dtype=bool),
        registered,
        registration,
    )

    channels = np.array(vocab.CONSENT_CHANNELS)
    rates = np.array([OPT_IN[c] for c in vocab.REGISTRATION_CHANNELS])[profiles.channel]  # players × channels
    offered = np.ones((count, channels.size), dtype=bool)
    offered[:, list(channels).index("email")] = profiles.has_email
    offered[:, list(channels).index("push")] = profiles.has_app
    granted_at_signup = rng.random(rates.shape) < rates

    late_at = registered[:, None] + (rng.exponential(LATE_OPT_IN_MEAN_DAYS, rates.shape) * US_PER_DAY).astype(
        np.int64
    )
    late = offered & ~granted_at_signup & (rng.random(rates.shape) < LATE_OPT_IN_SHARE) & (late_at < end_us)
    granted_since = np.where(late, late_at, registered[:, None])
    withdraw_at = granted_since + (rng.exponential(WITHDRAWAL_MEAN_DAYS, rates.shape) * US_PER_DAY).astype(
        np.int64
    )
    withdrawn = (
        offered
        & (granted_at_signup | late)
        & (rng.random(rates.shape) < advertising_withdrawal_share)
        & (withdraw_at < end_us)
    )
    change_source = np.array(CHANGE_SOURCES)[rng.integers(0, len(CHANGE_SOURCES), size=rates.shape)]

    player = np.broadcast_to(profiles.player_id[:, None], rates.shape)
    channel = np.broadcast_to(channels[None, :], rates.shape)
    signup_source = np.broadcast_to(registration[:, None], rates.shape)
    signup_time = np.broadcast_to(registered[:, None], rates.shape)
    tables = [
        personal,
        _events(
            player[offered],
            "advertising",
            channel[offered],
            granted_at_signup[offered],
            signup_time[offered],
            signup_source[offered],
        ),
        _events(
            player[late],
            "advertising",
            channel[late],
            np.ones(int(late.sum()), bool),
            late_at[late],
            change_source[late],
        ),
        _events(
            player[withdrawn],
            "advertising",
            channel[withdrawn],
            np.zeros(int(withdrawn.sum()), bool),
            withdraw_at[withdrawn],
            change_source[withdrawn],
        ),
    ]
    combined = pa.concat_tables(tables)
    order = np.lexsort(
        (combined["occurred_at"].to_numpy().astype(np.int64), combined["player_id"].to_numpy())
    )
    return combined.take(pa.array(order))
