"""Refused input of the propensity, rules and clustering commands."""

from __future__ import annotations


class AnalyticsInputError(ValueError):
    """An option or the data cannot give a meaningful result; the message says which and why."""
