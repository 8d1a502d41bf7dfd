"""Micro-segments as of a date: the analytical record built, clustered and written back (``lottocrm clusters
fit`` and the demo). Owns its transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from lottocrm import clock
from lottocrm.analytics.clusters.gmm import ClusterOptions, ClusterResult, FitProgress, cluster_players
from lottocrm.analytics.clusters.writeback import replace_clusters
from lottocrm.analytics.mart.build import MartOptions, mart_builder
from lottocrm.audit import service as audit
from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings


def build_clusters(
    settings: Settings,
    engine: Engine,
    as_of: dt.date,
    *,
    options: ClusterOptions,
    actor: Actor,
    today: dt.date | None = None,
    on_fit: FitProgress | None = None,
) -> ClusterResult:
    """Cluster the buyers of the record as of ``as_of`` and replace that date's micro-segments."""
    with mart_builder(
        lake=Lake(settings.lake_path), engine=engine, options=MartOptions(timezone=settings.timezone)
    ) as builder:
        builder.check_as_of(as_of, today=today or clock.operator_day())
        mart = builder.build(as_of)
    result = cluster_players(mart, options, on_fit=on_fit)
    with transaction(engine) as session:
        replace_clusters(session, as_of=as_of, result=result)
        audit.record(
            session,
            actor=actor,
            action="analytics.clusters.fit",
            detail={"as_of": as_of.isoformat(), "clusters": result.k},
        )
    return result
