"""Mart options from the command line: ``NAME=VALUE`` thresholds, RFM mode and levels, engine.

Lifecycle names are the fields of ``LifecycleThresholds`` (whole days or kopecks); RFM cut points, used with
``rfm_mode="thresholds"``, are comma-separated ascending integers. Every refusal names the offending item.
"""

from __future__ import annotations

import dataclasses

from lottocrm.analytics.mart.build import MartOptions
from lottocrm.analytics.mart.rfm import MAX_LEVELS, MIN_LEVELS, RfmThresholds
from lottocrm.analytics.mart.segments import LifecycleThresholds

LIFECYCLE_NAMES = tuple(f.name for f in dataclasses.fields(LifecycleThresholds))
RFM_NAMES = {
    "rfm_recency_days": "recency_days",
    "rfm_frequency": "frequency",
    "rfm_monetary_kopecks": "monetary_kopecks",
}
RFM_MODES = ("quantile", "thresholds")


class MartConfigError(ValueError):
    """A threshold, RFM setting or engine the mart cannot use; the message says which and why."""


def _integer(item: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise MartConfigError(f"--threshold {item}: {text.strip()!r} is not a whole number") from None


def _parse(items: list[str]) -> tuple[dict[str, int], dict[str, tuple[int, ...]]]:
    lifecycle: dict[str, int] = {}
    cuts: dict[str, tuple[int, ...]] = {}
    for item in items:
        name, equals, value = item.partition("=")
        name = name.strip()
        if not equals or not name or not value.strip():
            raise MartConfigError(f"--threshold {item!r}: expected NAME=VALUE")
        if name in lifecycle or name in cuts:
            raise MartConfigError(f"--threshold {name} is given twice")
        if name in LIFECYCLE_NAMES:
            lifecycle[name] = _integer(item, value)
        elif name in RFM_NAMES:
            cuts[name] = tuple(_integer(item, part) for part in value.split(","))
        else:
            known = ", ".join((*LIFECYCLE_NAMES, *RFM_NAMES))
            raise MartConfigError(f"--threshold {item}: unknown name {name!r}; known names: {known}")
    return lifecycle, cuts


def mart_options(
    *,
    timezone: str,
    thresholds: list[str] | None = None,
    rfm_mode: str = "quantile",
    rfm_levels: int | None = None,
    engine: str = "duckdb",
) -> MartOptions:
    """Validated ``MartOptions``; raises ``MartConfigError`` before any data is read."""
    if rfm_mode not in RFM_MODES:
        raise MartConfigError(f"--rfm-mode {rfm_mode!r}: choose one of {', '.join(RFM_MODES)}")
    if rfm_levels is not None and not MIN_LEVELS <= rfm_levels <= MAX_LEVELS:
        raise MartConfigError(f"--rfm-levels {rfm_levels}: levels per axis must be {MIN_LEVELS}–{MAX_LEVELS}")
    lifecycle_values, cuts = _parse(thresholds or [])
    try:
        lifecycle = LifecycleThresholds(**lifecycle_values)
    except ValueError as exc:
        raise MartConfigError(f"lifecycle thresholds: {exc}") from None

    rfm_thresholds = None
    if rfm_mode == "quantile" and cuts:
        raise MartConfigError(
            f"--threshold {', '.join(cuts)}: RFM cut points apply only with --rfm-mode thresholds"
        )
    if rfm_mode == "thresholds":
        missing = [name for name in RFM_NAMES if name not in cuts]
        if missing:
            raise MartConfigError(
                "--rfm-mode thresholds needs cut points for every axis; missing "
                + ", ".join(f"--threshold {name}=A,B,…" for name in missing)
            )
        try:
            rfm_thresholds = RfmThresholds(**{RFM_NAMES[name]: value for name, value in cuts.items()})
        except ValueError as exc:
            raise MartConfigError(f"RFM thresholds: {exc}") from None
        if rfm_levels is not None:
            wrong = [name for name, value in cuts.items() if len(value) != rfm_levels - 1]
            if wrong:
                raise MartConfigError(
                    f"--rfm-levels {rfm_levels} needs {rfm_levels - 1} cut points per axis; "
                    f"{', '.join(wrong)} {'has' if len(wrong) == 1 else 'have'} another number"
                )
    try:
        return MartOptions(
            timezone=timezone,
            lifecycle=lifecycle,
            rfm_levels=rfm_levels if rfm_levels is not None else MartOptions.rfm_levels,
            rfm_thresholds=rfm_thresholds,
            engine=engine,
        )
    except ValueError as exc:
        raise MartConfigError(str(exc)) from None
