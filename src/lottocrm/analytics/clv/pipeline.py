"""The lifetime-value workflows, callable from a command, a job or a page.

- ``fit_report``: fit the purchase and spend models on the lake's registered players, and with a holdout
  compare their forecasts with what happened (``lottocrm clv fit``). Reads the lake only.
- ``fit_and_score``: fit (or reuse the stored fit), score every player, store both in one transaction
  (``lottocrm clv score`` and the demo).

Both check the dates against the lake before fitting anything, and refuse with an ``AnalyticsInputError``
that says which date and why.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from lottocrm import clock
from lottocrm.analytics.clv import gammagamma
from lottocrm.analytics.clv.holdout import compare
from lottocrm.analytics.clv.predict import expected_spend, kopecks
from lottocrm.analytics.clv.scoring import (
    MODELS,
    ScoreOptions,
    fit_models,
    load_fit,
    replace_scores,
    save_fit,
    score,
)
from lottocrm.analytics.clv.summary import LakeSummary, TicketSpan, Transaction
from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.audit import service as audit
from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction as unit_of_work
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings

# Told the name of each step as it starts, for a progress bar.
OnStep = Callable[[str], None]


@dataclass(frozen=True)
class ClvFitReport:
    """``report`` is plain data (what ``lottocrm clv fit --json`` prints); ``warnings`` are for a person."""

    report: dict[str, Any]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class ClvScoreSummary:
    as_of: dt.date
    model: str
    transaction: str
    reused_fit: bool
    players: int
    repeat_buyers: int
    params: dict[str, float]
    spend_params: dict[str, float]
    horizon_days: int
    discount_rate: float
    mean_probability_alive: float
    expected_purchases: float
    clv_kopecks: int
    seconds: float
    warnings: tuple[str, ...]


def fit_steps(models: Sequence[str]) -> list[str]:
    """The steps ``fit_report`` announces, in order."""
    return ["summarising tickets", *(f"fitting {name}" for name in models), "fitting gamma-gamma"]


def _cohort(
    settings: Settings,
    calibration_end: dt.date,
    *,
    transaction: Transaction,
    today: dt.date,
    purpose: str,
) -> tuple[LakeSummary, TicketSpan]:
    """The lake's summariser and the span of registered players' tickets, once the calibration end is
    known to fall inside it; ``purpose`` ("model", "score") finishes the refusal of a lake without them."""
    lake = Lake(settings.lake_path)
    if lake.row_count("tickets") == 0:
        raise AnalyticsInputError(
            f"the lake at {settings.lake_path} holds no tickets: import or simulate some first"
        )
    summariser = LakeSummary(lake, timezone=settings.timezone, transaction=transaction)
    span = summariser.span()
    if span.first is None or span.last is None:
        raise AnalyticsInputError(
            f"no ticket in the lake belongs to a registered player, so there is nobody to {purpose}"
        )
    if calibration_end > today:
        raise AnalyticsInputError(f"calibration end {calibration_end} is in the future (today is {today})")
    if calibration_end < span.first:
        raise AnalyticsInputError(
            f"calibration end {calibration_end} is before the first ticket of a registered player "
            f"({span.first}): no player has bought by then"
        )
    return summariser, span


def _check_holdout(
    holdout_end: dt.date, *, calibration_end: dt.date, span: TicketSpan, today: dt.date
) -> tuple[str, ...]:
    """Refuse a holdout that ends too early or in the future; warn when it runs past the last ticket."""
    if holdout_end <= calibration_end:
        raise AnalyticsInputError(
            f"holdout end {holdout_end} must be after the calibration end {calibration_end}"
        )
    if holdout_end > today:
        raise AnalyticsInputError(f"holdout end {holdout_end} is in the future (today is {today})")
    if span.last is not None and holdout_end > span.last:
        return (
            f"the last ticket is on {span.last}; purchases after it are counted as none, so the holdout's "
            "actual figures are understated",
        )
    return ()


def _model_report(fitted: Any, summary: pd.DataFrame, weeks: float | None) -> dict[str, Any]:
    report: dict[str, Any] = {
        "params": asdict(fitted.params),
        "log_likelihood": fitted.log_likelihood,
        "customers": fitted.customers,
        "convergence": asdict(fitted.convergence),
    }
    if weeks is not None:
        report["holdout"] = asdict(compare(fitted.params, summary, weeks=weeks))
    return report


def fit_report(
    settings: Settings,
    calibration_end: dt.date,
    *,
    holdout_end: dt.date | None = None,
    models: Sequence[str] = tuple(MODELS),
    transaction: Transaction = Transaction.VISIT,
    today: dt.date | None = None,
    on_step: OnStep | None = None,
) -> ClvFitReport:
    """Fit ``models`` (purchase models) and Gamma-Gamma up to ``calibration_end``; with ``holdout_end``,
    each purchase model's forecast of (calibration_end, holdout_end] against the purchases made."""
    unknown = [name for name in models if name not in MODELS]
    if unknown:
        raise AnalyticsInputError(f"unknown purchase model {unknown[0]!r}: choose among {', '.join(MODELS)}")
    step = on_step or (lambda _message: None)
    today = today or clock.operator_day()
    summariser, span = _cohort(
        settings, calibration_end, transaction=transaction, today=today, purpose="model"
    )
    warnings: tuple[str, ...] = ()
    weeks = None
    if holdout_end is not None:
        warnings = _check_holdout(holdout_end, calibration_end=calibration_end, span=span, today=today)
        weeks = (holdout_end - calibration_end).days / 7

    step("summarising tickets")
    summary = summariser.summarise(calibration_end=calibration_end, holdout_end=holdout_end)
    report: dict[str, Any] = {
        "calibration_end": calibration_end.isoformat(),
        "transaction": transaction.value,
        "holdout_end": holdout_end.isoformat() if holdout_end else None,
        "models": {},
        "players": len(summary),
        "repeat_buyers": int((summary["x"] > 0).sum()),
    }
    for name in models:
        step(f"fitting {name}")
        fitted = MODELS[name][1](x=summary["x"], t_x=summary["t_x"], T=summary["T"])
        report["models"][name] = _model_report(fitted, summary, weeks)
    step("fitting gamma-gamma")
    spend = gammagamma.fit(x=summary["x"], monetary=summary["monetary"])
    mean_spend = expected_spend(spend.params, x=[0], monetary=[0])
    report["gamma_gamma"] = {
        "params": asdict(spend.params),
        "log_likelihood": spend.log_likelihood,
        "customers": spend.customers,
        "convergence": asdict(spend.convergence),
        "mean_spend_per_transaction_kopecks": int(kopecks(mean_spend)[0]),
    }
    return ClvFitReport(report=report, warnings=warnings)


def fit_and_score(
    settings: Settings,
    engine: Engine,
    calibration_end: dt.date,
    *,
    actor: Actor,
    options: ScoreOptions | None = None,
    transaction: Transaction = Transaction.VISIT,
    reuse_fit: bool = False,
    today: dt.date | None = None,
) -> ClvScoreSummary:
    """Fit (or, with ``reuse_fit``, load the fit stored for this date), score every player, store both.

    Everything is written in one transaction: a failure leaves the previous scores and fit as they were.
    """
    started = time.perf_counter()
    options = options or ScoreOptions()
    options.check()
    summariser, _ = _cohort(
        settings,
        calibration_end,
        transaction=transaction,
        today=today or clock.operator_day(),
        purpose="score",
    )
    summary = summariser.summarise(calibration_end=calibration_end)
    with unit_of_work(engine) as session:
        fit = load_fit(session, calibration_end) if reuse_fit else None
        reused = fit is not None and fit.model == options.model and fit.transaction == transaction.value
        if not reused:
            fit = fit_models(summary, model=options.model, transaction=transaction)
            save_fit(session, calibration_end, fit)
        assert fit is not None
        scores = score(summary, fit, horizon_days=options.horizon_days, discount_rate=options.discount_rate)
        replace_scores(
            session,
            as_of=calibration_end,
            model=fit.model,
            scores=scores,
            horizon_days=options.horizon_days,
            discount_rate=options.discount_rate,
        )
        audit.record(
            session,
            actor=actor,
            action="analytics.clv.score",
            detail={
                "as_of": calibration_end.isoformat(),
                "model": fit.model,
                "players": int(scores.player_id.size),
            },
        )
    return ClvScoreSummary(
        as_of=calibration_end,
        model=fit.model,
        transaction=fit.transaction,
        reused_fit=reused,
        players=len(summary),
        repeat_buyers=int((summary["x"] > 0).sum()),
        params=asdict(fit.purchase),
        spend_params=asdict(fit.spend),
        horizon_days=options.horizon_days,
        discount_rate=options.discount_rate,
        mean_probability_alive=float(scores.probability_alive.mean()),
        expected_purchases=float(scores.expected_purchases.sum()),
        clv_kopecks=int(scores.clv_kopecks.sum()),
        seconds=time.perf_counter() - started,
        warnings=fit.warnings,
    )
