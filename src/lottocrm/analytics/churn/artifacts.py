"""The churn model's versioned artifacts: the shared store (``lottocrm.analytics.artifacts``) under
``<data>/models/churn``, raising ``ChurnArtifactError`` so the churn commands report it in one line."""

from __future__ import annotations

from lottocrm.analytics.artifacts import ArtifactError, ArtifactStore


class ChurnArtifactError(ArtifactError):
    """A saved churn model is unknown, incomplete or was changed after it was saved; it is never loaded."""


STORE = ArtifactStore(
    kind="churn", train_command="lottocrm churn train --as-of DATE", error=ChurnArtifactError
)
