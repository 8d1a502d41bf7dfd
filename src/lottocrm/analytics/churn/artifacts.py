"""The churn model's versioned artifacts: the shared store (``lottocrm.analytics.artifacts``) under
``<data>/models/churn``, raising ``ChurnArtifactError`` so the churn commands report it in one line."""

from __future__ import annotations

from lottocrm.analytics.artifacts import ArtifactStore
from lottocrm.analytics.churn.errors import ChurnArtifactError

STORE = ArtifactStore(
    kind="churn", train_command="lottocrm churn train --as-of DATE", error=ChurnArtifactError
)
