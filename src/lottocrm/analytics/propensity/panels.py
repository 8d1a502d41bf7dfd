"""The propensity panel of the player 360: likeliest games, the next game to offer and why, micro-segment.

Found by ``lottocrm.players.panels``. Reads the player's latest stored rows (indexes on player_id, as_of);
labels are English message ids the page translates, values plain text.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm.analytics.clusters.models import ClusterProfile, PlayerCluster
from lottocrm.analytics.propensity.models import PlayerGamePropensity, PlayerNextGame, PropensityRun
from lottocrm.catalog.models import Game
from lottocrm.players.schemas import PanelOut


def _game_names(session: Session, game_ids: set[int]) -> dict[int, str]:
    if not game_ids:
        return {}
    found = session.execute(select(Game.id, Game.name).where(Game.id.in_(game_ids)))
    return {int(game_id): name for game_id, name in found}


def _latest(session: Session, model, player_id: int):  # type: ignore[no-untyped-def]
    return session.scalar(select(func.max(model.as_of)).where(model.player_id == player_id))


def player_panels(session: Session, *, player_id: int) -> list[PanelOut]:
    rows: list[tuple[str, str]] = []
    as_of = _latest(session, PlayerGamePropensity, player_id)
    if as_of is not None:
        likely = session.scalars(
            select(PlayerGamePropensity)
            .where(PlayerGamePropensity.as_of == as_of, PlayerGamePropensity.player_id == player_id)
            .order_by(PlayerGamePropensity.rank)
        ).all()
        offers = session.scalars(
            select(PlayerNextGame)
            .where(PlayerNextGame.as_of == as_of, PlayerNextGame.player_id == player_id)
            .order_by(PlayerNextGame.rank)
        ).all()
        horizon = session.scalar(select(PropensityRun.horizon_days).where(PropensityRun.as_of == as_of))
        names = _game_names(session, {row.game_id for row in likely} | {row.game_id for row in offers})

        def name(game_id: int) -> str:
            return names.get(game_id, str(game_id))

        rows.append(("Propensity as of", as_of.isoformat()))
        shares = " · ".join(f"{name(row.game_id)} {row.probability:.0%}" for row in likely)
        rows.append(("Most likely games", f"{shares} ({horizon} d)" if horizon else shares))
        if offers:
            best = offers[0]
            rows.append(("Next game to offer", name(best.game_id)))
            rows.append(("Why this game", best.reason))
            if len(offers) > 1:
                rows.append(("Also worth offering", " · ".join(name(row.game_id) for row in offers[1:])))
    cluster_as_of = _latest(session, PlayerCluster, player_id)
    if cluster_as_of is not None:
        label = session.scalar(
            select(ClusterProfile.label)
            .join(
                PlayerCluster,
                (PlayerCluster.as_of == ClusterProfile.as_of)
                & (PlayerCluster.cluster == ClusterProfile.cluster),
            )
            .where(PlayerCluster.as_of == cluster_as_of, PlayerCluster.player_id == player_id)
        )
        if label:
            rows.append(("Micro-segment", f"{label} ({cluster_as_of.isoformat()})"))
    if not rows:
        return []
    return [PanelOut(key="propensity", title="Games and offers", rows=rows)]
