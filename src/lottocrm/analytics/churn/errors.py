"""Errors the churn commands turn into one readable line each."""

from __future__ import annotations


class ChurnInputError(ValueError):
    """The dates, window or data cannot give a meaningful churn model or score; the message says why."""


class ChurnArtifactError(ChurnInputError):
    """A saved model is unknown, incomplete or was changed after it was saved; it is never loaded."""
