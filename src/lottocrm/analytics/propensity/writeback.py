"""Propensities, next games and the run record written back per as-of date.

Rerunning an as-of date replaces its rows (delete, then insert in chunks, in the caller's transaction), so a
failure keeps the previous version and a rerun never duplicates.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from lottocrm.analytics.propensity.first_game import DEFAULT_DAYS as FIRST_GAME_DAYS
from lottocrm.analytics.propensity.models import PlayerGamePropensity, PlayerNextGame, PropensityRun
from lottocrm.analytics.propensity.offers import FIRST_GAME, RULE

CHUNK_ROWS = 20_000


def _insert(session: Session, table, rows: pa.Table, as_of: dt.date, shape=None) -> None:  # type: ignore[no-untyped-def]
    statement = insert(table)
    for batch in rows.to_batches(max_chunksize=CHUNK_ROWS):
        values = batch.to_pylist() if shape is None else [shape(row) for row in batch.to_pylist()]
        for row in values:
            row["as_of"] = as_of
        if values:
            session.execute(statement, values)


def _offer_row(row: dict) -> dict:
    """A ``next_games`` row as a ``player_next_game`` row: the rule's antecedent and confidence as detail."""
    antecedent, confidence = row.pop("rule_antecedent"), row.pop("rule_confidence")
    row["reason_detail"] = (
        {"antecedent": antecedent, "confidence": confidence} if row["reason_kind"] == RULE else None
    )
    return row


def _first_game_row(row: dict) -> dict:
    """A ``first_game_offers`` row as a ``player_next_game`` row: the peer group as detail."""
    return {
        "player_id": row["player_id"],
        "rank": row["rank"],
        "game_id": row["game_id"],
        "score": row["share"],
        "propensity": row["share"],
        "lift": None,
        "reason_kind": FIRST_GAME,
        "reason_detail": {
            "scope": row["scope"],
            "channel": row["channel"],
            "region": row["region"],
            "buyers": row["buyers"],
            "share": row["share"],
            "days": FIRST_GAME_DAYS,
        },
    }


def replace_offers(
    session: Session,
    *,
    as_of: dt.date,
    propensities: pa.Table,
    offers: pa.Table,
    run: dict,
    first_games: pa.Table | None = None,
) -> None:
    """Replace the as-of date's propensities, offers and run record. The caller commits.

    ``offers`` has ``next_games``' columns, ``first_games`` those of ``first_game_offers``.
    """
    for model in (PlayerGamePropensity, PlayerNextGame, PropensityRun):
        table = model.__table__
        session.execute(delete(table).where(table.c.as_of == as_of))
    _insert(
        session,
        PlayerGamePropensity.__table__,
        propensities.select(["player_id", "rank", "game_id", "probability", "played_before"]),
        as_of,
    )
    _insert(session, PlayerNextGame.__table__, offers, as_of, _offer_row)
    if first_games is not None:
        _insert(session, PlayerNextGame.__table__, first_games, as_of, _first_game_row)
    session.execute(insert(PropensityRun.__table__), [{**run, "as_of": as_of}])
