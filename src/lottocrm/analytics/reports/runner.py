"""One runner for every report: builds the DuckDB connection over the lake and the Arrow extracts, runs the
Ibis expression, caches the result under a key that changes whenever the inputs can have changed."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa
from sqlalchemy import Engine, func, select

from lottocrm.analytics.extracts import games_extract, players_extract
from lottocrm.analytics.reports import queries
from lottocrm.lake.store import Lake
from lottocrm.players.models import Player

# Bump when a report's definition changes, so cached results from the old definition are never served.
REPORTS_VERSION = 1


@dataclass(frozen=True)
class Inputs:
    tickets: ir.Table
    players: ir.Table
    games: ir.Table


REPORTS: dict[str, Callable[[Inputs], ir.Table]] = {
    "kpi": lambda i: queries.kpi_monthly(i.tickets, i.players),
    "cohorts": lambda i: queries.cohort_retention(i.tickets, i.players),
    "funnel": lambda i: queries.funnel(i.tickets, i.players),
    "sales-by-game": lambda i: queries.sales_by(i.tickets, "game_id", i.games),
    "sales-by-channel": lambda i: queries.sales_by(i.tickets, "channel"),
    "sales-by-region": lambda i: queries.sales_by(i.tickets, "region"),
}


class UnknownReport(KeyError):
    pass


_cache: dict[str, pa.Table] = {}
_cache_lock = threading.Lock()


def _version_key(name: str, lake: Lake, engine: Engine) -> str:
    with engine.connect() as connection:
        players_state = connection.execute(select(func.count(), func.max(Player.id))).one()
    batches = ",".join(r.batch_id for r in lake.live_records("tickets"))
    raw = f"{REPORTS_VERSION}|{name}|{engine.url}|{lake.root}|{tuple(players_state)}|{batches}"
    return hashlib.sha256(raw.encode()).hexdigest()


def run_reports(names: list[str], *, lake: Lake, engine: Engine) -> dict[str, pa.Table]:
    """Several reports over one connection and one set of extracts (the dashboard asks for all at once)."""
    unknown = [name for name in names if name not in REPORTS]
    if unknown:
        raise UnknownReport(f"unknown report {unknown[0]!r}; reports: {', '.join(REPORTS)}")
    keys = {name: _version_key(name, lake, engine) for name in names}
    with _cache_lock:
        results = {name: _cache[key] for name, key in keys.items() if key in _cache}
    missing = [name for name in names if name not in results]
    if missing:
        con = lake.connect(duckdb.connect())
        try:
            con.register("players", players_extract(engine))
            con.register("games", games_extract(engine))
            backend = ibis.duckdb.from_connection(con)
            inputs = Inputs(
                tickets=backend.table("tickets"),
                players=backend.table("players"),
                games=backend.table("games"),
            )
            fresh = {name: REPORTS[name](inputs).to_pyarrow() for name in missing}
        finally:
            con.close()
        with _cache_lock:
            if len(_cache) > 64:
                _cache.clear()
            _cache.update({keys[name]: table for name, table in fresh.items()})
        results.update(fresh)
    return {name: results[name] for name in names}


def run_report(name: str, *, lake: Lake, engine: Engine) -> pa.Table:
    return run_reports([name], lake=lake, engine=engine)[name]
