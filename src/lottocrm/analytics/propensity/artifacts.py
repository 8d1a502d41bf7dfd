"""The propensity model's versioned artifacts: the shared store (``lottocrm.analytics.artifacts``) under
``<data>/models/propensity``, with the training window, holdout metrics, games and feature list.

``build_offers`` saves every model it fits and scores players with the copy loaded back from disk, so the
stored scores always come from a model whose hash was checked, and any version can be reloaded later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from lottocrm.analytics.artifacts import Artifact, ArtifactError, ArtifactStore
from lottocrm.analytics.propensity.features import FEATURES
from lottocrm.analytics.propensity.model import MODEL_VERSION, PropensityFit


class PropensityArtifactError(ArtifactError):
    """A saved propensity model is unknown, incomplete or was changed after it was saved; never loaded."""


STORE = ArtifactStore(
    kind="propensity",
    train_command="lottocrm propensity build --as-of DATE",
    error=PropensityArtifactError,
)


def save_fit(data_dir: Path, fit: PropensityFit, *, created_at: dt.datetime) -> Artifact:
    """Store the fit's final model with what it was trained on and how it scored on the holdout."""
    import lightgbm

    manifest = {
        "model": MODEL_VERSION,
        "as_of": fit.as_of.isoformat(),
        # The final model is fitted on the holdout rows: features at holdout_as_of, labels up to as_of.
        "training_window": {
            "features_as_of": fit.holdout_as_of.isoformat(),
            "labels_from": fit.holdout_as_of.isoformat(),
            "labels_to": fit.as_of.isoformat(),
            "horizon_days": fit.horizon_days,
        },
        "holdout_check": {
            "trained_as_of": fit.train_as_of.isoformat(),
            "holdout_as_of": fit.holdout_as_of.isoformat(),
            "auc": fit.auc,
            "baseline_auc": fit.baseline_auc,
            "per_game": [asdict(metric) for metric in fit.per_game],
        },
        "rows": {"train": fit.train_rows, "holdout": fit.holdout_rows},
        "games": fit.games,
        "features": list(FEATURES),
        "versions": {"lightgbm": lightgbm.__version__},
    }
    text = fit.model.booster_.model_to_string()  # type: ignore[attr-defined]
    return STORE.save(STORE.models_dir(data_dir), model_text=text, manifest=manifest, created_at=created_at)


@dataclass(frozen=True)
class PropensityModel:
    """A loaded, hash-checked propensity model: what ``score_propensity`` needs to score an as-of date."""

    version: str
    as_of: dt.date
    horizon_days: int
    games: list[int]
    booster: object

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        return self.booster.predict(matrix)  # type: ignore[attr-defined]


def load_model(data_dir: Path, version: str | None = None) -> PropensityModel:
    """The given version (default: the newest), refused if its file does not hash to its manifest."""
    import lightgbm

    artifact = STORE.load(STORE.models_dir(data_dir), version)
    manifest = artifact.manifest
    if manifest["features"] != list(FEATURES):
        raise PropensityArtifactError(
            f"model {artifact.version} was trained on other features ({', '.join(manifest['features'])}) "
            "than this version computes: refit it with `lottocrm propensity build`"
        )
    return PropensityModel(
        version=artifact.version,
        as_of=dt.date.fromisoformat(manifest["as_of"]),
        horizon_days=int(manifest["training_window"]["horizon_days"]),
        games=[int(g) for g in manifest["games"]],
        booster=lightgbm.Booster(model_str=artifact.model_text),
    )
