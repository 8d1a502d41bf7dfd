"""The analytical-record panel of the player 360: the player's latest ``player_analytics`` row and
micro-segment.

Listed in analytics' wiring as a 360 panel provider (``player_panels(session, *, player_id)``). Labels and
segment names are English message ids that the page translates; values are typed
(``lottocrm.presentation.values``) so the page formats money and dates in the reader's locale. The
micro-segment is read from its traits (data), so it reads in Russian too; rows stored before traits existed
show their English label.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, Select, and_, select, true
from sqlalchemy.orm import Session

from lottocrm.analytics.clusters import labels
from lottocrm.analytics.clusters.models import ClusterProfile, PlayerCluster
from lottocrm.analytics.mart.models import PlayerAnalytics
from lottocrm.analytics.mart.segments import SEGMENT_LABELS
from lottocrm.catalog.models import Game
from lottocrm.players.models import Player
from lottocrm.presentation.values import (
    NO_VALUE,
    Day,
    Joined,
    Message,
    Money,
    Number,
    PanelOut,
    PanelValue,
    Phrase,
    Text,
    panel,
)


def _latest_of_player(player_id: int) -> Select[Any]:
    """One query: the player's latest analytical record (its favourite game's name) beside their latest
    micro-segment; a row of NULLs where either is missing, none for an unknown player."""
    record = (
        select(PlayerAnalytics)
        .where(PlayerAnalytics.player_id == player_id)
        .order_by(PlayerAnalytics.as_of.desc())
        .limit(1)
        .subquery("record")
    )
    cluster = (
        select(PlayerCluster.as_of, PlayerCluster.cluster)
        .where(PlayerCluster.player_id == player_id)
        .order_by(PlayerCluster.as_of.desc())
        .limit(1)
        .subquery("cluster")
    )
    return (
        select(
            record,
            Game.name.label("favourite_game_name"),
            ClusterProfile.label.label("segment_label"),
            ClusterProfile.traits.label("segment_traits"),
            cluster.c.as_of.label("segment_as_of"),
        )
        .select_from(Player)
        .outerjoin(record, true())
        .outerjoin(Game, Game.id == record.c.favourite_game_id)
        .outerjoin(cluster, true())
        .outerjoin(
            ClusterProfile,
            and_(ClusterProfile.as_of == cluster.c.as_of, ClusterProfile.cluster == cluster.c.cluster),
        )
        .where(Player.id == player_id)
    )


def _levels(record: Row[Any]) -> PanelValue:
    return Joined(
        tuple(
            Joined((Text(name), Number(level)), separator="")
            for name, level in (("R", record.r_level), ("F", record.f_level), ("M", record.m_level))
        )
    )


def _micro_segment(found: Row[Any]) -> PanelValue:
    name = (
        Phrase(labels.words([tuple(trait) for trait in found.segment_traits]), context=labels.MESSAGE_CONTEXT)
        if found.segment_traits
        else Message(found.segment_label)
    )
    return Joined(
        (name, Joined((Text("("), Day(found.segment_as_of), Text(")")), separator="")), separator=" "
    )


def player_panels(session: Session, *, player_id: int) -> list[PanelOut]:
    found = session.execute(_latest_of_player(player_id)).first()
    if found is None:
        return []
    rows: list[tuple[str, PanelValue]] = []
    if found.as_of is not None:
        favourite = found.favourite_game_name or (
            NO_VALUE if found.favourite_game_id is None else str(found.favourite_game_id)
        )
        rows = [
            ("As of", Day(found.as_of)),
            ("Lifecycle segment", Message(SEGMENT_LABELS.get(found.segment, found.segment))),
            ("RFM levels", _levels(found)),
            ("Days since last purchase", Number(found.recency_days)),
            ("Purchase days", Number(found.frequency)),
            ("Spend", Money(found.monetary_kopecks)),
            ("Average check", Money(found.average_check_kopecks)),
            ("Favourite game", Text(favourite)),
            ("Spend trend, 30 days", Number(found.spend_trend_30d, digits=2, prefix="×")),
        ]
    if found.segment_label is not None:
        rows.append(("Micro-segment", _micro_segment(found)))
    if not rows:
        return []
    return [panel("analytics", "Analytical record", rows)]
