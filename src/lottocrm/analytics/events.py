"""What analytics announces (see :mod:`lottocrm.events`)."""

from __future__ import annotations

import datetime as dt

from lottocrm.events.model import EventPayload


class AnalyticalRecordWritten(EventPayload):
    """``player_analytics`` holds a new or replaced snapshot for ``as_of``."""

    name = "analytics.record_written"

    as_of: dt.date
    players: int
