"""The version of each source a query reads: cheap to read, and different whenever the data can differ.

- tickets: the lake's live batch ids (a batch is immutable once committed; an import adds one, a
  compaction replaces some), with the lake's folder;
- players: how many there are and the highest id (registrations and erasures change them);
- games: the catalogue itself (a handful of rows: a rename shows at once);
- record: the log of write-backs kept by the mart (:func:`~lottocrm.analytics.mart.writeback.record_version`),
  written in the same transaction as the rows it describes.

Read versions *before* reading the data: a result is then at least as new as the version it is stored
under, so a newer version can never be served an older result.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, func, select

from lottocrm.analytics.mart.writeback import record_version
from lottocrm.analytics.queries.base import Source
from lottocrm.catalog.models import Game
from lottocrm.lake.store import Lake
from lottocrm.players.models import Player


def _tickets(lake: Lake | None) -> str:
    if lake is None:
        raise ValueError("a query over the lake's tickets needs a lake")
    return f"{lake.root}|" + ",".join(record.batch_id for record in lake.live_records("tickets"))


def _players(connection: Connection) -> str:
    count, highest = connection.execute(select(func.count(), func.max(Player.id))).one()
    return f"{count}|{highest}"


def _games(connection: Connection) -> str:
    rows = connection.execute(select(Game.id, Game.name).order_by(Game.id)).all()
    return ";".join(f"{game_id}={name}" for game_id, name in rows)


def source_versions(
    sources: Iterable[Source], *, connection: Connection, lake: Lake | None
) -> dict[Source, str]:
    readers = {
        Source.TICKETS: lambda: _tickets(lake),
        Source.PLAYERS: lambda: _players(connection),
        Source.GAMES: lambda: _games(connection),
        Source.RECORD: lambda: record_version(connection),
    }
    return {source: readers[source]() for source in sorted(set(sources))}
