"""Per-player lifetime value: fit, score every player, write ``player_clv`` and the fit.

For each player of the calibration cohort: P(alive) at the calibration end, expected purchases over the
horizon, expected spend per purchase (Gamma-Gamma) and the discounted value of the horizon's purchases.
Discounting is by calendar month: the purchases expected in each month of the horizon (the last one
possibly partial) are discounted to the calibration end at the annual rate, compounded.

``replace_scores`` and ``save_fit`` write (the caller owns the transaction); ``pipeline.fit_and_score`` is
the whole job.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.analytics.clv import bgnbd, gammagamma, paretonbd
from lottocrm.analytics.clv.models import ClvFit, PlayerClv
from lottocrm.analytics.clv.predict import PurchaseParams, expected_purchases_at, expected_spend
from lottocrm.analytics.clv.summary import Transaction
from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.db.bulk import insert_rows

MODELS = {"bgnbd": (bgnbd.BgNbdParams, bgnbd.fit), "pareto": (paretonbd.ParetoNbdParams, paretonbd.fit)}
DAYS_PER_MONTH = 365.25 / 12
DAYS_PER_YEAR = 365.25
SCORE_COLUMNS = (
    "as_of",
    "player_id",
    "model",
    "probability_alive",
    "expected_purchases",
    "horizon_days",
    "expected_spend_kopecks",
    "clv_kopecks",
    "discount_rate",
)


@dataclass(frozen=True)
class ScoreOptions:
    horizon_days: int = 365
    discount_rate: float = 0.15  # annual
    model: str = "pareto"

    def check(self) -> None:
        if self.horizon_days <= 0:
            raise AnalyticsInputError(f"the horizon must be at least one day (got {self.horizon_days})")
        if not np.isfinite(self.discount_rate) or self.discount_rate < 0:
            raise AnalyticsInputError(f"the annual discount rate must be ≥ 0 (got {self.discount_rate})")
        if self.model not in MODELS:
            raise AnalyticsInputError(
                f"unknown purchase model {self.model!r}: choose one of {', '.join(MODELS)}"
            )


@dataclass(frozen=True)
class StoredFit:
    model: str
    transaction: str
    purchase: PurchaseParams
    spend: gammagamma.GammaGammaParams
    log_likelihood: float
    players: int
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scores:
    player_id: np.ndarray
    probability_alive: np.ndarray
    expected_purchases: np.ndarray
    expected_spend_kopecks: np.ndarray
    clv_kopecks: np.ndarray


def score(summary: pd.DataFrame, fit: StoredFit, *, horizon_days: int, discount_rate: float) -> Scores:
    """Scores for every row of a customer summary (customer_id, x, t_x, T, monetary)."""
    x, t_x, T = (summary[name].to_numpy(dtype=np.float64) for name in ("x", "t_x", "T"))
    boundaries = np.append(np.arange(DAYS_PER_MONTH, horizon_days, DAYS_PER_MONTH), horizon_days)
    alive, cumulative = expected_purchases_at(fit.purchase, weeks=boundaries / 7, x=x, t_x=t_x, T=T)
    increments = np.diff(np.concatenate([np.zeros((1, x.size)), cumulative]), axis=0)
    discount = (1.0 + discount_rate) ** (-boundaries / DAYS_PER_YEAR)
    spend = expected_spend(fit.spend, x=x, monetary=summary["monetary"].to_numpy(dtype=np.float64))
    return Scores(
        player_id=summary["customer_id"].to_numpy(dtype=np.int64),
        probability_alive=alive,
        expected_purchases=cumulative[-1],
        expected_spend_kopecks=np.rint(spend).astype(np.int64),
        clv_kopecks=np.rint((discount @ increments) * spend).astype(np.int64),
    )


def _write(session: Session, rows: list[tuple[Any, ...]]) -> None:
    insert_rows(session, "player_clv", SCORE_COLUMNS, rows)


def replace_scores(
    session: Session,
    *,
    as_of: dt.date,
    model: str,
    scores: Scores,
    horizon_days: int,
    discount_rate: float,
    batch_rows: int = 100_000,
) -> int:
    """Replace every ``player_clv`` row of ``as_of`` with ``scores``; returns the rows written. No commit."""
    table = PlayerClv.__table__
    session.execute(delete(table).where(table.c.as_of == as_of))
    day = as_of if session.get_bind().dialect.name == "postgresql" else as_of.isoformat()
    n = scores.player_id.size
    for start in range(0, n, batch_rows):
        part = slice(start, start + batch_rows)
        size = scores.player_id[part].size
        _write(
            session,
            list(
                zip(
                    [day] * size,
                    scores.player_id[part].tolist(),
                    [model] * size,
                    scores.probability_alive[part].tolist(),
                    scores.expected_purchases[part].tolist(),
                    [horizon_days] * size,
                    scores.expected_spend_kopecks[part].tolist(),
                    scores.clv_kopecks[part].tolist(),
                    [discount_rate] * size,
                    strict=True,
                )
            ),
        )
    return n


def load_fit(session: Session, as_of: dt.date) -> StoredFit | None:
    row = session.scalar(select(ClvFit).where(ClvFit.as_of == as_of))
    if row is None:
        return None
    return StoredFit(
        model=row.model,
        transaction=row.transaction,
        purchase=MODELS[row.model][0](**row.params),
        spend=gammagamma.GammaGammaParams(**row.spend_params),
        log_likelihood=row.log_likelihood,
        players=row.players,
    )


def save_fit(session: Session, as_of: dt.date, fit: StoredFit) -> None:
    """Record the fit of ``as_of``, replacing an earlier one. No commit."""
    session.execute(delete(ClvFit).where(ClvFit.as_of == as_of))
    session.add(
        ClvFit(
            as_of=as_of,
            model=fit.model,
            transaction=fit.transaction,
            params=asdict(fit.purchase),
            spend_params=asdict(fit.spend),
            log_likelihood=fit.log_likelihood,
            players=fit.players,
            created_at=clock.now(),
        )
    )
    session.flush()


def fit_models(summary: pd.DataFrame, *, model: str, transaction: Transaction) -> StoredFit:
    """Purchase and spend models on a customer summary, with a warning for each fit that did not converge.

    A Gamma-Gamma γ running off to infinity is the common case on real prices (players' average spends
    hardly differ): expected spend then tends to the population mean, which the final values still give.
    """
    purchase = MODELS[model][1](x=summary["x"], t_x=summary["t_x"], T=summary["T"])
    spend = gammagamma.fit(x=summary["x"], monetary=summary["monetary"])
    warnings = tuple(
        f"the {name} fit did not converge: {fitted.convergence.message}"
        for name, fitted in ((model, purchase), ("Gamma-Gamma", spend))
        if not fitted.convergence.converged
    )
    return StoredFit(
        model=model,
        transaction=transaction.value,
        purchase=purchase.params,
        spend=spend.params,
        log_likelihood=purchase.log_likelihood,
        players=purchase.customers,
        warnings=warnings,
    )
