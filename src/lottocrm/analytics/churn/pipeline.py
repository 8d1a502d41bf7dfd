"""Train, backtest and score churn models over the lake and the store: what the CLI and the demo call.

Every function takes a :class:`ChurnWorkspace` (lake, store, time zone, folders, today) and returns plain
dictionaries ready to print or dump as JSON. Input is checked before anything is written: an as-of date the
mart refuses, a window running past the data, no tickets, a window of zero days, an unknown or tampered model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import lightgbm as lgb
import numpy as np
import pyarrow as pa
from sqlalchemy import Engine

from lottocrm import __version__, clock
from lottocrm.analytics.churn import artifacts, training, truth
from lottocrm.analytics.churn.crossings import count_crossings
from lottocrm.analytics.churn.features import INPUT_COLUMNS, FeatureSpec, buyers
from lottocrm.analytics.churn.labels import DEFAULT_WINDOW_DAYS, Labels, check_window
from lottocrm.analytics.churn.metrics import RecencyBaseline, evaluate
from lottocrm.analytics.churn.scoring import (
    BATCH_ROWS,
    RISK_BANDS,
    ChurnModel,
    register_model,
    replace_scores,
)
from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.analytics.mart.build import MartBuilder, MartOptions, mart_builder
from lottocrm.analytics.time import start_of_day_utc
from lottocrm.audit import service as audit
from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings

HOLDOUT_PERCENT = 20


@dataclass(frozen=True)
class ChurnWorkspace:
    lake: Lake
    engine: Engine
    timezone: str
    models_dir: Path
    # The simulator's per-player ground truth, when the data was simulated: reports then compare with it.
    truth_players_dir: Path | None
    today: dt.date

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        engine: Engine,
        *,
        truth_players_dir: Path | None = None,
        today: dt.date | None = None,
    ) -> ChurnWorkspace:
        return cls(
            lake=Lake(settings.lake_path),
            engine=engine,
            timezone=settings.timezone,
            models_dir=artifacts.STORE.models_dir(settings.data_dir),
            truth_players_dir=truth_players_dir,
            today=today or clock.operator_day(),
        )


@dataclass
class _Sources:
    builder: MartBuilder
    labels: Labels


@contextmanager
def _sources(ws: ChurnWorkspace) -> Iterator[_Sources]:
    labels = Labels(lake=ws.lake, timezone=ws.timezone)
    try:
        labels.last_sale_day()  # an empty lake is refused before the store is read
        with mart_builder(
            lake=ws.lake, engine=ws.engine, options=MartOptions(timezone=ws.timezone)
        ) as builder:
            yield _Sources(builder=builder, labels=labels)
    finally:
        labels.close()


def _labelled(
    sources: _Sources, ws: ChurnWorkspace, as_of: dt.date, window_days: int
) -> tuple[pa.Table, np.ndarray]:
    sources.builder.check_as_of(as_of, today=ws.today)
    sources.labels.check_observable(as_of, window_days)
    record = buyers(sources.builder.build(as_of).select(list(INPUT_COLUMNS)))
    if record.num_rows == 0:
        raise AnalyticsInputError(f"no player bought anything before {as_of}, so there is nobody to model")
    ids = record["player_id"].to_numpy()
    return record, sources.labels.churned(ids, as_of=as_of, window_days=window_days)


def _recency(record: pa.Table) -> np.ndarray:
    return np.asarray(record["recency_days"].to_numpy(), dtype=np.float64)


def _holdout_mask(record: pa.Table) -> np.ndarray:
    """About HOLDOUT_PERCENT % of players, chosen by a hash of the id so the split ignores row order."""
    ids = record["player_id"].to_numpy().astype(np.uint64)
    return (ids * np.uint64(2_654_435_761) % np.uint64(100)) < HOLDOUT_PERCENT


def _truth_report(
    ws: ChurnWorkspace,
    record: pa.Table,
    *,
    as_of: dt.date,
    window_days: int,
    churned: np.ndarray,
    scores: dict[str, np.ndarray],
) -> dict[str, Any] | None:
    table = truth.load_truth(ws.truth_players_dir)
    if table is None:
        return None
    cutoff = start_of_day_utc(as_of, ws.timezone)
    return truth.compare(
        table,
        player_ids=record["player_id"].to_numpy(),
        frequency=record["frequency"].to_numpy().astype(np.int64),
        recency_days=_recency(record),
        cutoff_us=int(cutoff.timestamp() * 1_000_000),
        window_days=window_days,
        churned=churned,
        scores=scores,
    )


def _comparison(
    churned: np.ndarray, model_p: np.ndarray, baseline_p: np.ndarray, *, what: str
) -> dict[str, Any]:
    model = evaluate(churned, model_p, what=what)
    baseline = evaluate(churned, baseline_p, what=what)
    return {
        "model": model,
        "recency_baseline": baseline,
        "beats_baseline": model["roc_auc"] > baseline["roc_auc"] and model["pr_auc"] > baseline["pr_auc"],
    }


def train(
    ws: ChurnWorkspace, *, as_of: dt.date, actor: Actor, window_days: int = DEFAULT_WINDOW_DAYS
) -> dict[str, Any]:
    """Fit on 80 % of the buyers at ``as_of``, measure on the other 20 %, save and register the artifact."""
    check_window(window_days)
    with _sources(ws) as sources:
        record, churned = _labelled(sources, ws, as_of, window_days)
    manifest = train_on(
        record,
        churned,
        as_of=as_of,
        window_days=window_days,
        models_dir=ws.models_dir,
        truth_report=lambda rows, labels, scores: _truth_report(
            ws, rows, as_of=as_of, window_days=window_days, churned=labels, scores=scores
        ),
    )
    with transaction(ws.engine) as session:
        register_model(session, manifest)
        audit.record(
            session,
            actor=actor,
            action="analytics.churn.train",
            detail={"version": manifest["version"], "as_of": as_of.isoformat()},
        )
    return manifest


TruthReport = Callable[[pa.Table, np.ndarray, dict[str, np.ndarray]], dict[str, Any] | None]


def train_on(
    record: pa.Table,
    churned: np.ndarray,
    *,
    as_of: dt.date,
    window_days: int,
    models_dir: Path,
    truth_report: TruthReport = lambda rows, labels, scores: None,
) -> dict[str, Any]:
    """Fit, measure and save a model from a labelled record (buyers, ``INPUT_COLUMNS``); the manifest."""
    holdout = _holdout_mask(record)
    fit_rows, test_rows = record.filter(pa.array(~holdout)), record.filter(pa.array(holdout))
    spec = FeatureSpec.learn(fit_rows)
    booster = training.fit(spec.matrix(fit_rows, as_of=as_of), churned[~holdout], spec)
    baseline = RecencyBaseline().fit(_recency(fit_rows), churned[~holdout])
    model_p = training.predict(booster, spec.matrix(test_rows, as_of=as_of))
    baseline_p = baseline.predict(_recency(test_rows))
    metrics = _comparison(churned[holdout], model_p, baseline_p, what=f"holdout players at {as_of}")
    metrics["ground_truth"] = truth_report(
        test_rows, churned[holdout], {"model": model_p, "recency_baseline": baseline_p}
    )
    manifest = {
        "kind": "churn",
        "training_as_of": as_of.isoformat(),
        "window_days": window_days,
        "label": f"no purchase in the {window_days} days from the as-of date",
        "training_rows": int(fit_rows.num_rows),
        "holdout_rows": int(test_rows.num_rows),
        "training_churn_rate": float(churned[~holdout].mean()),
        "features": spec.describe(),
        "params": training.PARAMS,
        "rounds": training.ROUNDS,
        "risk_bands": RISK_BANDS,
        "metrics": metrics,
        "lottocrm_version": __version__,
        "lightgbm_version": lgb.__version__,
    }
    artifact = artifacts.STORE.save(
        models_dir,
        model_text=booster.model_to_string(),
        manifest=manifest,
        created_at=clock.now().replace(microsecond=0),
    )
    return artifact.manifest


def backtest(
    ws: ChurnWorkspace, *, train_as_of: dt.date, test_as_of: dt.date, window_days: int = DEFAULT_WINDOW_DAYS
) -> dict[str, Any]:
    """Train at ``train_as_of`` (its labels known by train_as_of + window), evaluate at ``test_as_of``."""
    check_window(window_days)
    labels_known = train_as_of + dt.timedelta(days=window_days)
    if test_as_of < labels_known:
        raise AnalyticsInputError(
            f"test as-of {test_as_of} is before {labels_known}, the day the training labels "
            f"({window_days} days from {train_as_of}) are fully known: the test would peek at its own future"
        )
    with _sources(ws) as sources:
        train_record, train_churned = _labelled(sources, ws, train_as_of, window_days)
        test_record, test_churned = _labelled(sources, ws, test_as_of, window_days)
    spec = FeatureSpec.learn(train_record)
    booster = training.fit(spec.matrix(train_record, as_of=train_as_of), train_churned, spec)
    baseline = RecencyBaseline().fit(_recency(train_record), train_churned)
    model_p = training.predict(booster, spec.matrix(test_record, as_of=test_as_of))
    baseline_p = baseline.predict(_recency(test_record))
    report = {
        "train_as_of": train_as_of.isoformat(),
        "test_as_of": test_as_of.isoformat(),
        "window_days": window_days,
        "training_rows": int(train_record.num_rows),
        "training_churn_rate": float(train_churned.mean()),
        **_comparison(test_churned, model_p, baseline_p, what=f"players at {test_as_of}"),
    }
    report["ground_truth"] = _truth_report(
        ws,
        test_record,
        as_of=test_as_of,
        window_days=window_days,
        churned=test_churned,
        scores={"model": model_p, "recency_baseline": baseline_p},
    )
    return report


def _stream(expression: ir.Table) -> Iterator[pa.RecordBatch]:
    """The expression's rows in batches of BATCH_ROWS straight from DuckDB's result, cast to the types ibis
    gives them (ibis 12's own ``to_pyarrow_batches`` calls a cursor method DuckDB 2.0 no longer has)."""
    schema = expression.schema().to_pyarrow()
    connection = expression.get_backend().con
    reader = connection.sql(ibis.to_sql(expression, dialect="duckdb")).to_arrow_reader(BATCH_ROWS)
    for batch in reader:
        yield batch.cast(schema)


def score(ws: ChurnWorkspace, *, as_of: dt.date, actor: Actor, version: str | None = None) -> dict[str, Any]:
    """Score every buyer at ``as_of`` with a saved model (default: the newest) into ``churn_scores``."""
    model = ChurnModel.from_artifact(artifacts.STORE.load(ws.models_dir, version))
    with _sources(ws) as sources:
        sources.builder.check_as_of(as_of, today=ws.today)
        expression = sources.builder.expression(as_of)
        expression = expression.filter(expression.frequency > 0).select(*INPUT_COLUMNS)
        reader = _stream(expression)
        with transaction(ws.engine) as session:
            bands = replace_scores(session, as_of=as_of, model=model, batches=reader)
            players = sum(bands.values())
            if players == 0:  # raised inside the transaction, so not even the model's registration is kept
                raise AnalyticsInputError(
                    f"no player bought anything before {as_of}, so there is nobody to score"
                )
            audit.record(
                session,
                actor=actor,
                action="analytics.churn.score",
                detail={"as_of": as_of.isoformat(), "version": model.version, "players": players},
            )
            crossings = count_crossings(
                session, as_of=as_of, model_version=model.version, enter_at=model.high_cut_off
            )
    return {
        "as_of": as_of.isoformat(),
        "model_version": model.version,
        "players": players,
        "bands": bands,
        "crossed": None if crossings is None else {"entered": crossings.entered, "left": crossings.left},
    }


def last_observable_as_of(ws: ChurnWorkspace, *, window_days: int = DEFAULT_WINDOW_DAYS) -> dt.date:
    """The latest as-of date whose whole label window lies inside the lake's tickets."""
    check_window(window_days)
    labels = Labels(lake=ws.lake, timezone=ws.timezone)
    try:
        return labels.last_sale_day() - dt.timedelta(days=window_days - 1)
    finally:
        labels.close()


def train_and_score(
    settings: Settings,
    engine: Engine,
    as_of: dt.date,
    *,
    actor: Actor,
    window_days: int = DEFAULT_WINDOW_DAYS,
    truth_players_dir: Path | None = None,
) -> dict[str, Any]:
    """For the demo: train at the latest as-of with known labels (≤ ``as_of`` − window), score at ``as_of``.

    Returns the model version, training as-of, holdout metrics against the recency baseline and the scores
    per risk band.
    """
    ws = ChurnWorkspace.from_settings(settings, engine, truth_players_dir=truth_players_dir)
    train_as_of = min(
        as_of - dt.timedelta(days=window_days), last_observable_as_of(ws, window_days=window_days)
    )
    manifest = train(ws, as_of=train_as_of, window_days=window_days, actor=actor)
    scored = score(ws, as_of=as_of, version=manifest["version"], actor=actor)
    metrics = manifest["metrics"]
    return {
        "model_version": manifest["version"],
        "training_as_of": manifest["training_as_of"],
        "window_days": window_days,
        "training_rows": manifest["training_rows"],
        "holdout": {
            name: {key: metrics[name][key] for key in ("roc_auc", "pr_auc", "top_decile_lift", "brier")}
            for name in ("model", "recency_baseline")
        },
        "scored": scored,
    }
