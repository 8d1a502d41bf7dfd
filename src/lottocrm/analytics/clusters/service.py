"""``lottocrm clusters fit``: the analytical record as of a date, clustered, written back per as-of date."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, delete, insert
from sqlalchemy.orm import Session

from lottocrm.analytics.clusters.gmm import ClusterOptions, ClusterResult, FitProgress, cluster_players
from lottocrm.analytics.clusters.models import ClusterProfile, PlayerCluster
from lottocrm.analytics.mart.build import MartOptions, mart_builder
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings

CHUNK_ROWS = 20_000


def replace_clusters(session: Session, *, as_of: dt.date, result: ClusterResult) -> None:
    """Replace the as-of date's assignments and profiles. The caller commits."""
    for model in (PlayerCluster, ClusterProfile):
        table = model.__table__
        session.execute(delete(table).where(table.c.as_of == as_of))
    statement = insert(PlayerCluster.__table__)
    for batch in result.assignments.to_batches(max_chunksize=CHUNK_ROWS):
        rows = batch.to_pylist()
        for row in rows:
            row["as_of"] = as_of
        if rows:
            session.execute(statement, rows)
    bic = {str(k): value for k, value in result.bic_by_k.items()}
    session.execute(
        insert(ClusterProfile.__table__),
        [
            {
                "as_of": as_of,
                "cluster": p.cluster,
                "label": p.label,
                "traits": [list(trait) for trait in p.traits],
                "players": p.players,
                "share": p.share,
                "means": p.means,
                "bic_by_k": bic,
            }
            for p in result.profiles
        ],
    )


def build_clusters(
    settings: Settings,
    engine: Engine,
    as_of: dt.date,
    *,
    options: ClusterOptions,
    today: dt.date,
    on_fit: FitProgress | None = None,
) -> ClusterResult:
    with mart_builder(
        lake=Lake(settings.lake_path), engine=engine, options=MartOptions(timezone=settings.timezone)
    ) as builder:
        builder.check_as_of(as_of, today=today)
        mart = builder.build(as_of)
    result = cluster_players(mart, options, on_fit=on_fit)
    with transaction(engine) as session:
        replace_clusters(session, as_of=as_of, result=result)
    return result
