"""Scoring every buyer in batches and writing ``churn_scores`` in bulk.

The mart streams out of DuckDB in record batches and each batch is scored and written before the next is
read, so memory stays bounded by the batch size whatever the player count. The write replaces the rows of
(as-of, model version) inside the caller's transaction: a rerun never duplicates, a failure half-way leaves
the previous scores. PostgreSQL gets the rows by COPY, SQLite by one prepared executemany per batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pyarrow as pa
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lottocrm.analytics.artifacts import Artifact
from lottocrm.analytics.churn.artifacts import ChurnArtifactError
from lottocrm.analytics.churn.features import FeatureSpec
from lottocrm.analytics.churn.models import ChurnModelRecord, ChurnScore
from lottocrm.analytics.churn.training import predict
from lottocrm.db.bulk import insert_rows

BATCH_ROWS = 100_000
# Probability cut-offs of the risk bands, highest first; stored in each manifest so bands follow the model.
RISK_BANDS = {"high": 0.6, "medium": 0.3, "low": 0.0}
SCORE_COLUMNS = ("as_of", "model_version", "player_id", "probability", "risk_band")


@dataclass(frozen=True)
class ChurnModel:
    booster: lgb.Booster
    spec: FeatureSpec
    manifest: dict[str, Any]

    @classmethod
    def from_artifact(cls, artifact: Artifact) -> ChurnModel:
        booster = lgb.Booster(model_str=artifact.model_text)
        spec = FeatureSpec.from_manifest(artifact.manifest["features"])
        if booster.feature_name() != spec.names:
            raise ChurnArtifactError(
                f"model {artifact.version}: the model's features {booster.feature_name()} differ from its "
                f"manifest's {spec.names}; refusing to load it"
            )
        return cls(booster=booster, spec=spec, manifest=artifact.manifest)

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    def predict(self, record: pa.Table | pa.RecordBatch, *, as_of: dt.date) -> np.ndarray:
        return predict(self.booster, self.spec.matrix(record, as_of=as_of))

    @property
    def high_cut_off(self) -> float:
        """The probability at which the high band starts: where a player enters high risk."""
        return float(self.manifest.get("risk_bands", RISK_BANDS)["high"])

    def bands(self, probability: np.ndarray) -> np.ndarray:
        cut_offs = self.manifest.get("risk_bands", RISK_BANDS)
        names = sorted(cut_offs, key=cut_offs.get, reverse=True)
        result = np.full(probability.shape, names[-1], dtype=object)
        for name in reversed(names[:-1]):
            result[probability >= cut_offs[name]] = name
        return result


def register_model(session: Session, manifest: dict[str, Any]) -> None:
    """Record a saved artifact in ``churn_models`` (once; the files stay the source of truth)."""
    version = str(manifest["version"])
    if session.scalar(select(ChurnModelRecord.version).where(ChurnModelRecord.version == version)):
        return
    session.add(
        ChurnModelRecord(
            version=version,
            training_as_of=dt.date.fromisoformat(manifest["training_as_of"]),
            window_days=int(manifest["window_days"]),
            training_rows=int(manifest["training_rows"]),
            model_sha256=str(manifest["model_sha256"]),
            metrics=manifest["metrics"],
            created_at=dt.datetime.fromisoformat(manifest["created_at"]),
        )
    )
    session.flush()


def _write(session: Session, rows: list[tuple[Any, ...]]) -> None:
    insert_rows(session, "churn_scores", SCORE_COLUMNS, rows)


def replace_scores(
    session: Session,
    *,
    as_of: dt.date,
    model: ChurnModel,
    batches: Iterable[pa.RecordBatch | pa.Table],
) -> dict[str, int]:
    """Score every batch of records and replace the (as_of, version) rows; returns players per band."""
    register_model(session, model.manifest)
    table = ChurnScore.__table__
    session.execute(delete(table).where(table.c.as_of == as_of, table.c.model_version == model.version))
    day = as_of if session.get_bind().dialect.name == "postgresql" else as_of.isoformat()
    counts = dict.fromkeys(model.manifest.get("risk_bands", RISK_BANDS), 0)
    for batch in batches:
        if batch.num_rows == 0:
            continue
        probability = model.predict(batch, as_of=as_of)
        bands = model.bands(probability)
        for name, count in zip(*np.unique(bands, return_counts=True), strict=True):
            counts[str(name)] += int(count)
        ids = np.asarray(batch["player_id"].to_numpy(), dtype=np.int64).tolist()
        rows = list(
            zip(
                [day] * len(ids),
                [model.version] * len(ids),
                ids,
                probability.tolist(),
                bands.tolist(),
                strict=True,
            )
        )
        _write(session, rows)
    return counts
