"""Lift per content variant of an A/B campaign: each variant's treated players against the campaign's one
control, which every variant shares (the control is drawn before the variants split the treated)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lottocrm.marketing.results._json import JsonResult
from lottocrm.marketing.results.arms import ArmSummary, summarise_arm
from lottocrm.marketing.results.lift import Lift, compare


@dataclass(frozen=True)
class VariantLift(JsonResult):
    """One variant's treated players and its lifts; ``note`` says why there is no lift (too few players)."""

    variant: str
    treatment: ArmSummary | None
    response: Lift | None
    spend: Lift | None
    note: str | None


def lift_by_variant(
    *,
    variant: np.ndarray,
    treated: np.ndarray,
    responded: np.ndarray,
    spend: np.ndarray | None,
    control: ArmSummary,
    confidence: float,
) -> tuple[VariantLift, ...]:
    """Nothing when the treated players all got one content (the campaign's own lift says it all)."""
    names = sorted({str(name) for name in variant[treated] if name is not None})
    if len(names) < 2:
        return ()
    labels = np.array([str(name) if name is not None else "" for name in variant], dtype=object)
    found = []
    for name in names:
        mine = treated & (labels == name)
        if mine.sum() < 2:
            found.append(VariantLift(name, None, None, None, f"{int(mine.sum())} treated player(s): too few"))
            continue
        arm = summarise_arm(arm=name, responded=responded[mine], spend=None if spend is None else spend[mine])
        money = arm.spend
        found.append(
            VariantLift(
                variant=name,
                treatment=arm,
                response=compare(
                    metric="response", treatment=arm.response, control=control.response, confidence=confidence
                ),
                spend=compare(metric="spend", treatment=money, control=control.spend, confidence=confidence)
                if money is not None and control.spend is not None
                else None,
                note=None,
            )
        )
    return tuple(found)
