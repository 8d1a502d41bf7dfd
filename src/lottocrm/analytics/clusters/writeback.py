"""Micro-segments written back per as-of date: rerunning a date replaces its assignments and profiles."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from lottocrm.analytics.clusters.gmm import ClusterResult
from lottocrm.analytics.clusters.models import ClusterProfile, PlayerCluster

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
