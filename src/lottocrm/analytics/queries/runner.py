"""The one way a report is run: look it up in the cache under the current versions of its sources, compute
what is missing, store it.

Every caller — the API, the dashboard, ``lottocrm report``, the worker's refresh after a write-back — goes
through :class:`ReportRunner`, so they share one cache (``report_cache``, in the operational store, seen by
every web worker) and one rule: a stored result is served only while its sources are unchanged. A miss
computes outside any write transaction (readers keep reading), then stores each result in a short
transaction of its own: the runner takes an Engine and owns those transactions.

Lake queries run on one DuckDB connection over the lake, with the store's players and games moved in as
Arrow (never through DuckDB's sqlite/postgres extensions); store queries read through a SQLAlchemy
connection.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from weakref import WeakValueDictionary

import duckdb
import ibis
import pyarrow as pa
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from lottocrm.analytics.extracts import games_extract, players_extract
from lottocrm.analytics.queries import cache
from lottocrm.analytics.queries.base import LakeQuery, LakeTables, ReportQuery, StoreQuery
from lottocrm.analytics.queries.sources import source_versions
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake

# One lock per result being computed in this process; a lock is dropped once no request holds or awaits it.
_locks: WeakValueDictionary[cache.CacheKey, threading.Lock] = WeakValueDictionary()
_locks_guard = threading.Lock()


@contextmanager
def _computing(keys: Sequence[cache.CacheKey]) -> Iterator[None]:
    """Hold the locks of ``keys``, taken in one order so two requests never wait for each other."""
    with _locks_guard:
        ordered = sorted(set(keys), key=lambda key: (key.query, key.inputs))
        locks = [_locks.setdefault(key, threading.Lock()) for key in ordered]
    with ExitStack() as held:
        for lock in locks:
            held.enter_context(lock)
        yield


class ReportRunner:
    """Runs report queries against one store (``engine``) and, for queries over tickets, one ``lake``."""

    def __init__(self, engine: Engine, *, lake: Lake | None = None) -> None:
        self.engine = engine
        self.lake = lake

    def run(self, query: ReportQuery) -> pa.Table:
        return self.run_all([query])[0]

    def stored(self, queries: Sequence[ReportQuery]) -> list[pa.Table | None]:
        """The stored results for the sources as they stand, None where one is missing: never computes, so
        a page can answer at once and let what is missing load on its own."""
        keys, stored = self._look_up(queries)
        return [stored.get(key) for key in keys]

    def run_all(self, queries: Sequence[ReportQuery]) -> list[pa.Table]:
        """Results in the order asked; the sources are versioned once and opened at most once for all.

        Missing results are computed under a lock per document and version held by this process: requests
        that miss the same result at once (the dashboard's first load by several people, a chart's reload)
        wait for the first to store it and read it from the cache, instead of each computing it again.
        """
        keys, stored = self._look_up(queries)
        missing = [(query, key) for query, key in zip(queries, keys, strict=True) if key not in stored]
        if missing:
            with _computing([key for _, key in missing]):
                with self.engine.connect() as connection:
                    stored.update(cache.lookup(connection, [key for _, key in missing]))
                missing = [(query, key) for query, key in missing if key not in stored]
                if missing:
                    computed = self._calculate([query for query, _ in missing])
                    for (query, key), table in zip(missing, computed, strict=True):
                        self._store(query, key, table)
                        stored[key] = table
        return [stored[key] for key in keys]

    def _look_up(
        self, queries: Sequence[ReportQuery]
    ) -> tuple[list[cache.CacheKey], dict[cache.CacheKey, pa.Table]]:
        """The queries' keys under their sources' current versions, and the results stored under them."""
        with self.engine.connect() as connection:
            versions = source_versions(
                (source for query in queries for source in query.sources),
                connection=connection,
                lake=self.lake,
            )
            keys = [cache.cache_key(query, versions) for query in queries]
            return keys, cache.lookup(connection, keys)

    def _store(self, query: ReportQuery, key: cache.CacheKey, table: pa.Table) -> None:
        """One transaction per result, so results stored at once by two processes cost one of them only that
        result: the slower insert loses, quietly."""
        try:
            with transaction(self.engine) as session:
                cache.store(session, kind=query.kind, key=key, table=table)
        except IntegrityError:
            pass  # another process stored this document's result first

    def _calculate(self, queries: Sequence[ReportQuery]) -> list[pa.Table]:
        # The lake queries' results come back in the order they were asked, so they can be taken in turn.
        on_lake = iter(self._on_lake([query for query in queries if isinstance(query, LakeQuery)]))
        with self.engine.connect() as connection:
            return [
                query.calculate(connection) if isinstance(query, StoreQuery) else next(on_lake)
                for query in queries
            ]

    def _on_lake(self, queries: Sequence[LakeQuery]) -> list[pa.Table]:
        if not queries:
            return []
        if self.lake is None:
            raise ValueError("queries over the lake's tickets need a ReportRunner with a lake")
        connection = self.lake.connect(duckdb.connect())
        try:
            connection.register("players", players_extract(self.engine))
            connection.register("games", games_extract(self.engine))
            backend = ibis.duckdb.from_connection(connection)
            tables = LakeTables(
                tickets=backend.table("tickets"),
                players=backend.table("players"),
                games=backend.table("games"),
            )
            return [query.expression(tables).to_pyarrow() for query in queries]
        finally:
            connection.close()
