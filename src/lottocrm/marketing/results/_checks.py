"""Input checks shared by the measurement functions: one clear ValueError naming the input and what is wrong.

The measurement code is fed from the contact history and the lake by the campaign service; a bad array there
is a bug upstream, and a figure computed from it would be silently wrong, so every entry point checks first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


def vector(values: ArrayLike, *, name: str) -> NDArray[Any]:
    """``values`` as a one-dimensional array (not copied when it already is one)."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a one-dimensional array, got {array.ndim} dimensions")
    return array


def flags(values: ArrayLike, *, name: str) -> NDArray[np.bool_]:
    """Booleans, or integers that are all 0 or 1 (a responded column read from a file)."""
    array = vector(values, name=name)
    if array.dtype == np.bool_:
        return array
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must be booleans or 0/1 integers, got {array.dtype}")
    bad = np.flatnonzero((array != 0) & (array != 1))
    if bad.size:
        raise ValueError(f"{name} must be 0 or 1; row {int(bad[0])} holds {array[bad[0]].item()!r}")
    return array.astype(np.bool_)


def amounts(values: ArrayLike, *, name: str) -> NDArray[np.int64]:
    """Whole amounts in kopecks: money never travels as floats."""
    array = vector(values, name=name)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must be whole kopecks (an integer array), got {array.dtype}")
    return array.astype(np.int64, copy=False)


def same_length(**arrays: NDArray[Any]) -> int:
    """The common length of ``arrays``; a mismatch names every input and its length."""
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name} has {length}" for name, length in lengths.items())
        raise ValueError(f"inputs must have one row per player, but {listed}")
    return next(iter(lengths.values()))


def count(value: int, *, name: str) -> int:
    """A non-negative whole count."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return int(value)


def probability(value: float, *, name: str) -> float:
    """A number strictly between 0 and 1 (a significance level, a power, a confidence)."""
    if not 0.0 < float(value) < 1.0:
        raise ValueError(f"{name} must be between 0 and 1 (exclusive), got {value!r}")
    return float(value)


def finite(value: float, *, name: str) -> float:
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number


def weights(values: Sequence[float], *, name: str, arms: int) -> tuple[float, ...]:
    """Intended shares of the arms: one per arm, each positive, summing to 1."""
    shares = tuple(float(share) for share in values)
    if len(shares) != arms:
        raise ValueError(f"{name} must give one share per arm ({arms}), got {len(shares)}")
    if any(not np.isfinite(share) or share <= 0 for share in shares):
        raise ValueError(f"{name} must all be positive, got {list(shares)}")
    if abs(sum(shares) - 1.0) > 1e-9:
        raise ValueError(f"{name} must sum to 1, got {list(shares)} (sum {sum(shares)!r})")
    return shares
