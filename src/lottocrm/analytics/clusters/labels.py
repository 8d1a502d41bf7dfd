"""A micro-segment's name from what sets it apart: "Active high-value weekly draw-game players".

A label is data, a list of (feature, level) traits, so the 360 page can say it in Russian (each trait is a
message id with the context ``micro-segment``) while the CLI and the stored ``label`` column keep English.
A trait is named only when the cluster sits at least half a standard deviation from all buyers on that
feature (on the log scale, where money and counts are compared), except "new", which is absolute; the
audience (which kind of game) is always named, because it is the noun the adjectives qualify. Adjectives
come in a fixed order — status, value, rhythm — which reads naturally in both English and Russian. Two
segments that would read alike get a bracketed contrast after the noun: "(higher spend)", "(lower spend)".
"""

from __future__ import annotations

import numpy as np

MESSAGE_CONTEXT = "micro-segment"
# How far (in population standard deviations) a cluster's mean must be from all buyers' to name a trait.
DISTINCT = 0.5
# Purchase rhythm of a frequent cluster, from its median gap between purchase days.
WEEKLY_DAYS = 10
MONTHLY_DAYS = 45
LAPSED_DAYS = 90
# "New" is absolute, as marketing means it: half the cluster made its first purchase within this many days.
NEW_DAYS = 90
# Audience by the cluster's mean draw share (of spend), highest first: five bands, because most buyers play
# draws and "draw-game players" alone would name several segments alike.
AUDIENCES = ((0.9, "draw"), (0.6, "mainly draw"), (0.4, "mixed"), (0.1, "mainly instant"), (0.0, "instant"))

# (feature, level) → English words; the Russian words are in the message catalog under the same ids.
WORDS: dict[tuple[str, str], str] = {
    ("status", "active"): "active",
    ("status", "cooling"): "cooling",
    ("status", "lapsed"): "lapsed",
    ("status", "new"): "new",
    ("value", "high"): "high-value",
    ("value", "low"): "low-value",
    ("rhythm", "weekly"): "weekly",
    ("rhythm", "monthly"): "monthly",
    ("rhythm", "occasional"): "occasional",
    ("audience", "draw"): "draw-game players",
    ("audience", "mainly draw"): "mainly draw-game players",
    ("audience", "mixed"): "mixed-game players",
    ("audience", "mainly instant"): "mainly instant-game players",
    ("audience", "instant"): "instant-game players",
}
# Segments whose traits came out alike are told apart by the profile feature on which they differ most,
# said relative to each other (the higher one first, then the lower), in brackets after the noun.
CONTRASTS: dict[str, tuple[str, str]] = {
    "monetary_kopecks": ("higher spend", "lower spend"),
    "frequency": ("more purchases", "fewer purchases"),
    "recency_days": ("bought less recently", "bought more recently"),
    "tenure_days": ("joined earlier", "joined later"),
}
WORDS |= {("contrast", level): f"({level})" for pair in CONTRASTS.values() for level in pair}
Trait = tuple[str, str]


def _z(values: np.ndarray, members: np.ndarray) -> float:
    spread = values.std()
    return 0.0 if spread == 0 else float((values[members].mean() - values.mean()) / spread)


def traits(columns: dict[str, np.ndarray], members: np.ndarray) -> list[Trait]:
    """The cluster's distinctive traits. ``columns`` hold every buyer's recency_days, tenure_days, frequency,
    monetary_kopecks, interval_mean_days (NaN below two purchase days) and draw_share; ``members`` marks the
    cluster's buyers."""
    log = {"recency_days": np.log1p(np.maximum(columns["recency_days"], 0))}
    log["frequency"] = np.log(columns["frequency"])
    log["monetary_kopecks"] = np.log1p(columns["monetary_kopecks"])
    found: list[Trait] = []
    recency = _z(log["recency_days"], members)
    if np.median(columns["tenure_days"][members]) <= NEW_DAYS:
        found.append(("status", "new"))
    elif recency <= -DISTINCT:
        found.append(("status", "active"))
    elif recency >= DISTINCT:
        lapsed = np.median(columns["recency_days"][members]) >= LAPSED_DAYS
        found.append(("status", "lapsed" if lapsed else "cooling"))
    value = _z(log["monetary_kopecks"], members)
    if abs(value) >= DISTINCT:
        found.append(("value", "high" if value > 0 else "low"))
    frequency = _z(log["frequency"], members)
    if frequency <= -DISTINCT:
        found.append(("rhythm", "occasional"))
    elif frequency >= DISTINCT:
        gaps = columns["interval_mean_days"][members]
        gap = float(np.nanmedian(gaps)) if np.isfinite(gaps).any() else np.inf
        if gap <= MONTHLY_DAYS:
            found.append(("rhythm", "weekly" if gap <= WEEKLY_DAYS else "monthly"))
    draw = float(columns["draw_share"][members].mean())
    found.append(("audience", next(level for floor, level in AUDIENCES if draw >= floor)))
    return found


def tell_apart(columns: dict[str, np.ndarray], clusters: list[np.ndarray], found: list[list[Trait]]) -> None:
    """Add a contrast to clusters whose traits are the same as another's (``found`` is changed in place).

    Within each such group, the feature of ``CONTRASTS`` whose cluster means spread widest (in all buyers'
    standard deviations, log scale) names the highest cluster and the lowest; clusters in between keep their
    shared name, so a group of four or more can still repeat one (the caller numbers those)."""
    groups: dict[tuple[Trait, ...], list[int]] = {}
    for index, traits_of_cluster in enumerate(found):
        groups.setdefault(tuple(traits_of_cluster), []).append(index)
    scaled = {name: np.log1p(np.maximum(columns[name], 0)) for name in CONTRASTS}
    for alike in groups.values():
        if len(alike) < 2:
            continue
        means = {name: [_z(values, clusters[i]) for i in alike] for name, values in scaled.items()}
        feature = max(CONTRASTS, key=lambda name: max(means[name]) - min(means[name]))
        ranked = [alike[i] for i in np.argsort(means[feature], kind="stable")]
        higher, lower = CONTRASTS[feature]
        found[ranked[-1]].append(("contrast", higher))
        found[ranked[0]].append(("contrast", lower))


def words(found: list[Trait]) -> tuple[str, ...]:
    """The traits' message ids in reading order."""
    return tuple(WORDS[trait] for trait in found)


def english(found: list[Trait]) -> str:
    sentence = " ".join(words(found))
    return sentence[:1].upper() + sentence[1:]
