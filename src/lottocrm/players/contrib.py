"""The slots of the player 360 that other domains fill: panels and timeline sources.

Players owns the screen and defines these shapes; a domain implements them and lists its implementation in
its ``wiring.py``; the composition root hands the resolved list to the 360. Players never imports a
contributor, so the arrows point one way: contributors → ``players.contrib``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from lottocrm.presentation.values import PanelOut, PanelValue


class PanelProvider(Protocol):
    """Panels about one player, or none when the domain has nothing on them. One query, ideally."""

    def __call__(self, session: Session, *, player_id: int) -> list[PanelOut]: ...


@dataclass(frozen=True)
class TimelineEntry:
    """One dated thing that happened to or with the player.

    ``ref`` is unique within its domain (``"operation:812"``), so paging never shows an entry twice;
    ``title`` and ``detail`` are typed values the page renders in the reader's language.
    """

    at: dt.datetime
    domain: str
    kind: str
    title: PanelValue
    ref: str
    detail: PanelValue | None = None
    link: str | None = None

    @property
    def key(self) -> tuple[dt.datetime, str]:
        """Newest first, ties broken by domain and reference: the order the timeline is paged in."""
        return (self.at, f"{self.domain}:{self.ref}")


class TimelineSource(Protocol):
    """Entries at or before ``before`` (all when None), newest first, at most ``limit`` of them.

    Inclusive of ``before`` on purpose: the timeline pages by (moment, reference), and entries sharing the
    moment of a page's last entry must still be offered for the next page.
    """

    name: str

    def entries(
        self, session: Session, *, player_id: int, before: dt.datetime | None, limit: int
    ) -> list[TimelineEntry]: ...
