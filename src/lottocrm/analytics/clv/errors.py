"""The one error the CLV package raises for input it cannot model, so callers can turn it into a message."""

from __future__ import annotations


class ClvDataError(ValueError):
    """The data cannot identify the model: empty, malformed, or degenerate (e.g. no repeat buyers)."""
