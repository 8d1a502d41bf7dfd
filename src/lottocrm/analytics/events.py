"""What analytics announces (see :mod:`lottocrm.events`)."""

from __future__ import annotations

import datetime as dt

from lottocrm.events.model import EventPayload


class AnalyticalRecordWritten(EventPayload):
    """``player_analytics`` holds a new or replaced snapshot for ``as_of``."""

    name = "analytics.record_written"

    as_of: dt.date
    players: int


class ChurnRiskCrossed(EventPayload):
    """A churn scoring run moved players into or out of high risk; they are the rows of ``churn_crossings``
    for (``as_of``, ``model_version``)."""

    name = "analytics.churn_risk_crossed"

    as_of: dt.date
    model_version: str
    entered: int
    left: int
