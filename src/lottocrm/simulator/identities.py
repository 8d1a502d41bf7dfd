"""Phones, e-mails, loyalty cards and app devices, unique by construction and built without a loop per player.

Phones and card numbers come from an affine permutation of the player id (multiplying by a unit modulo
10^k is a bijection), so two players never share one however many chunks there are; e-mail local parts
end in the player id; device ids are 122 random bits in UUID v4 form.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lottocrm.simulator.draws import US_PER_DAY
from lottocrm.simulator.players import Profiles

PHONE_SPACE = 10**9  # +7 9XX XXX XX XX: the mobile range after "+79"
CARD_SPACE = 10**12
PERMUTATION_MULTIPLIER = 387_420_489  # 3^18: coprime with 10, hence a unit modulo any power of 10
EMAIL_DOMAINS = ("mail.ru", "yandex.ru", "gmail.com", "bk.ru", "list.ru", "rambler.ru", "inbox.ru")
EMAIL_DOMAIN_SHARE = (0.42, 0.25, 0.15, 0.06, 0.05, 0.04, 0.03)
EMAIL_VERIFIED_SHARE = 0.7
CARD_ISSUE_MEAN_DAYS = 30.0
_HEX = np.frombuffer(b"0123456789abcdef", dtype="S1")


def _permuted(player_id: np.ndarray, space: int, seed: int) -> np.ndarray:
    return (player_id * PERMUTATION_MULTIPLIER + seed * 7_919) % space


def _digits(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width, "0")


def phones(player_id: np.ndarray, seed: int) -> pa.Array:
    return pc.binary_join_element_wise("+79", _digits(_permuted(player_id, PHONE_SPACE, seed), 9), "")


def card_numbers(player_id: np.ndarray, seed: int) -> pa.Array:
    return pc.binary_join_element_wise("7800", _digits(_permuted(player_id, CARD_SPACE, seed), 12), "")


def device_ids(count: int, rng: np.random.Generator) -> pa.Array:
    nibbles = rng.integers(0, 16, size=(count, 32), dtype=np.uint8)
    nibbles[:, 12] = 4  # version 4
    nibbles[:, 16] = 8 + (nibbles[:, 16] & 3)  # RFC 4122 variant
    chars = _HEX[nibbles]
    dash = np.full((count, 1), b"-", dtype="S1")
    parts = [
        chars[:, :8],
        dash,
        chars[:, 8:12],
        dash,
        chars[:, 12:16],
        dash,
        chars[:, 16:20],
        dash,
        chars[:, 20:],
    ]
    joined = np.concatenate(parts, axis=1).copy().view("S36").ravel()
    return pc.cast(pa.array(joined, pa.binary()), pa.string())


def emails(profiles: Profiles, rng: np.random.Generator) -> pa.Array:
    names = profiles.names
    ids = pc.cast(pa.array(profiles.player_id), pa.string())
    initial = pc.utf8_slice_codeunits(names.first_latin, 0, 1)
    birth_year = pc.cast(
        pa.array(profiles.birth_day.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970),
        pa.string(),
    )
    styles = [
        pc.binary_join_element_wise(names.first_latin, ".", names.last_latin, ids, ""),
        pc.binary_join_element_wise(names.last_latin, "_", birth_year, "_", ids, ""),
        pc.binary_join_element_wise(initial, names.last_latin, ids, ""),
    ]
    style = rng.integers(0, len(styles), size=len(profiles))
    local = pc.choose(pa.array(style), *styles)
    domain = pa.array(list(EMAIL_DOMAINS)).take(
        pa.array(rng.choice(len(EMAIL_DOMAINS), size=len(profiles), p=EMAIL_DOMAIN_SHARE))
    )
    return pc.binary_join_element_wise(local, domain, "@")


def identities_table(
    profiles: Profiles,
    seed: int,
    end_us: int,
    rng: np.random.Generator,
    rewrite_emails: Callable[[pa.Array], pa.Array] = lambda emails: emails,
) -> pa.Table:
    count = len(profiles)
    registered = profiles.registered_at
    card_issued = np.minimum(
        registered + (rng.exponential(CARD_ISSUE_MEAN_DAYS, size=count) * US_PER_DAY).astype(np.int64),
        end_us - 1,
    )
    email_verified = rng.random(count) < EMAIL_VERIFIED_SHARE
    device_values = device_ids(count, rng)
    parts = [
        (
            "phone",
            np.ones(count, dtype=bool),
            phones(profiles.player_id, seed),
            np.ones(count, bool),
            registered,
        ),
        ("email", profiles.has_email, rewrite_emails(emails(profiles, rng)), email_verified, registered),
        (
            "card",
            profiles.has_card,
            card_numbers(profiles.player_id, seed),
            np.ones(count, bool),
            card_issued,
        ),
        ("device", profiles.has_app, device_values, np.ones(count, bool), registered),
    ]
    tables = []
    for kind, holds, values, verified, created in parts:
        mask = pa.array(holds)
        tables.append(
            pa.table(
                {
                    "player_id": pa.array(profiles.player_id).filter(mask),
                    "kind": pa.array([kind] * int(holds.sum()), pa.string()),
                    "value": values.filter(mask),
                    "verified": pa.array(verified).filter(mask),
                    "created_at": pa.array(created).filter(mask).cast(pa.timestamp("us", tz="UTC")),
                }
            )
        )
    # Grouped by player, as a registration form would write them.
    combined = pa.concat_tables(tables)
    order = pc.sort_indices(combined, [("player_id", "ascending")])
    return combined.take(order)


def device_of(profiles: Profiles, identities: pa.Table) -> np.ndarray:
    """Each player's device id (None without the app), aligned with ``profiles``."""
    devices = identities.filter(pc.equal(identities["kind"], "device"))
    position = np.searchsorted(profiles.player_id, devices["player_id"].to_numpy())
    result = np.full(len(profiles), None, dtype=object)
    result[position] = devices["value"].to_numpy(zero_copy_only=False)
    return result
