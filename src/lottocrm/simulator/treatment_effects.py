"""Planted treatment effects: how much a marketing contact changes each player's chance of buying.

The truth has two levels, both in ``<data>/ground-truth/``:

- **Per player** (``treatment-effects/players.parquet``, drawn once from ``SeedSequence([seed, 3])``): a
  responsiveness k. Nine players in ten respond positively, k ~ Gamma(2, 1.222/2); one in ten is "do not
  disturb", k = −Gamma(2, 1/2): a contact puts them off. E[k] = 0.9 · 1.222 − 0.1 · 1 = 1.
- **Per lifecycle segment** (``treatment-effects/effects.json``): the base effect, an absolute change of the
  probability of buying within the campaign's response window, from the reference operator's published
  uplifts (``BASE_EFFECT``). A treated player's planted effect is τ = k · base(segment at the send), so each
  segment's average is its published uplift and individual effects range from negative to about 4× base.

``simulate advance`` realises τ per treated member of a campaign run: with p₀ the model's probability that
the player buys anyway within the window (from their BG/NBD state when the run was sent), a positive τ is an
extra purchase occasion with probability e = τ/(1 − p₀) at a random moment of the window, a negative τ
cancels the player's purchases in the window with probability d = −τ/p₀. Where that is impossible (τ > 1 − p₀
or −τ > p₀, e.g. a lapsed player cannot be put off buying) the effect is capped, and the run's truth records
the realised ``effect`` e·(1 − p₀) − d·p₀ next to the ``planted_effect`` τ; a report is checked against the
mean ``effect`` of exactly the treated members of its run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

EFFECT_STREAM = 3
DO_NOT_DISTURB_SHARE = 0.10
RESPONSIVENESS_SHAPE = 2.0
# Mean of the positive part, so that E[k] = 1 given the do-not-disturb share and its mean of −1.
POSITIVE_MEAN = (1.0 + DO_NOT_DISTURB_SHARE * 1.0) / (1.0 - DO_NOT_DISTURB_SHARE)
NEGATIVE_MEAN = 1.0

# Absolute change of P(purchase within the response window) per lifecycle segment (analytics/mart/segments):
# welcome chains +2 points registration → first purchase and +5 first → second; +5 among active and VIP
# players for rewards; reactivation +2 depending on churn depth (deep churn half of it). "unknown" is a
# player without an analytical record at the send.
BASE_EFFECT = {
    "registered_no_purchase": 0.02,
    "new": 0.05,
    "active": 0.05,
    "vip": 0.05,
    "at_risk": 0.02,
    "sleeping": 0.02,
    "churned": 0.02,
    "deep_churn": 0.01,
    "unknown": 0.02,
}

EFFECTS_DIR = "treatment-effects"
PLAYERS_FILE = "players.parquet"
PARAMS_FILE = "effects.json"


def draw_responsiveness(seed: int, player_ids: np.ndarray) -> pa.Table:
    """Every player's responsiveness k and whether they are "do not disturb" (k < 0), from the seed alone."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, EFFECT_STREAM]))
    count = player_ids.size
    disturbed = rng.random(count) < DO_NOT_DISTURB_SHARE
    positive = rng.gamma(RESPONSIVENESS_SHAPE, POSITIVE_MEAN / RESPONSIVENESS_SHAPE, size=count)
    negative = rng.gamma(RESPONSIVENESS_SHAPE, NEGATIVE_MEAN / RESPONSIVENESS_SHAPE, size=count)
    return pa.table(
        {
            "player_id": pa.array(player_ids, pa.int64()),
            "responsiveness": pa.array(np.where(disturbed, -negative, positive)),
            "do_not_disturb": pa.array(disturbed),
        }
    )


def describe() -> dict[str, object]:
    return {
        "stream": f"SeedSequence([seed, {EFFECT_STREAM}])",
        "do_not_disturb_share": DO_NOT_DISTURB_SHARE,
        "responsiveness": {
            "positive": f"Gamma(shape {RESPONSIVENESS_SHAPE}, mean {POSITIVE_MEAN:.6f})",
            "do_not_disturb": f"-Gamma(shape {RESPONSIVENESS_SHAPE}, mean {NEGATIVE_MEAN})",
            "mean": 1.0,
        },
        "base_effect_by_segment": BASE_EFFECT,
        "unit": "absolute change of P(purchase within the campaign's response window)",
        "documentation": "docs/simulator.md",
    }


def ensure_written(truth_dir: Path, seed: int, player_ids: np.ndarray) -> pa.Table:
    """The per-player truth, drawing and writing it on first use (it depends on the seed only)."""
    folder = truth_dir / EFFECTS_DIR
    path = folder / PLAYERS_FILE
    if path.exists():
        return pq.read_table(path)
    table = draw_responsiveness(seed, np.sort(player_ids))
    folder.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, temp, compression="zstd")
    temp.replace(path)
    params = folder / PARAMS_FILE
    params.write_text(json.dumps(describe(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return table


def base_effect(lifecycle: np.ndarray) -> np.ndarray:
    return np.array([BASE_EFFECT.get(str(name), BASE_EFFECT["unknown"]) for name in lifecycle], dtype=float)


def realise(planted: np.ndarray, baseline: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(nudge probability e, deterrence probability d, realised effect) for planted effects τ and
    probabilities p₀ of buying anyway: e·(1 − p₀) = τ for τ ≥ 0, d·p₀ = −τ for τ < 0, both capped at 1."""
    room_up, room_down = 1.0 - baseline, baseline
    nudge = np.where(
        planted > 0, np.divide(planted, room_up, out=np.ones_like(planted), where=room_up > 0), 0
    )
    deter = np.where(
        planted < 0, np.divide(-planted, room_down, out=np.zeros_like(planted), where=room_down > 0), 0
    )
    nudge, deter = np.clip(nudge, 0.0, 1.0), np.clip(deter, 0.0, 1.0)
    return nudge, deter, nudge * room_up - deter * room_down
