"""The churn model's versioned artifacts: the shared store (``lottocrm.analytics.artifacts``) under
``<data>/models/churn``, raising ``ChurnArtifactError`` so the churn commands report it in one line."""

from __future__ import annotations

from lottocrm.analytics.artifacts import MANIFEST_FILE, MODEL_FILE, Artifact, ArtifactStore
from lottocrm.analytics.churn.errors import ChurnArtifactError

STORE = ArtifactStore(
    kind="churn", train_command="lottocrm churn train --as-of DATE", error=ChurnArtifactError
)
models_dir = STORE.models_dir
save = STORE.save
load = STORE.load
list_versions = STORE.list_versions

__all__ = ["MANIFEST_FILE", "MODEL_FILE", "STORE", "Artifact", "list_versions", "load", "models_dir", "save"]
