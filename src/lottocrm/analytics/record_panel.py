"""The analytical-record panel of the player 360: the player's latest ``player_analytics`` row and
micro-segment.

Listed in analytics' wiring as a 360 panel provider (``player_panels(session, *, player_id)``). Labels and
segment names are English message ids that the page translates; values are typed
(``lottocrm.presentation.values``) so the page formats money and dates in the reader's locale. The
micro-segment is read from its traits (data), so it reads in Russian too; rows stored before traits existed
show their English label.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.analytics.clusters import labels
from lottocrm.analytics.clusters.models import ClusterProfile, PlayerCluster
from lottocrm.analytics.mart.models import PlayerAnalytics
from lottocrm.analytics.mart.segments import SEGMENT_LABELS
from lottocrm.catalog.models import Game
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


def latest_record(session: Session, player_id: int) -> PlayerAnalytics | None:
    return session.scalars(
        select(PlayerAnalytics)
        .where(PlayerAnalytics.player_id == player_id)
        .order_by(PlayerAnalytics.as_of.desc())
        .limit(1)
    ).first()


def _levels(record: PlayerAnalytics) -> PanelValue:
    return Joined(
        tuple(
            Joined((Text(name), Number(level)), separator="")
            for name, level in (("R", record.r_level), ("F", record.f_level), ("M", record.m_level))
        )
    )


def _game_name(session: Session, game_id: int | None) -> PanelValue:
    if game_id is None:
        return Text(NO_VALUE)
    return Text(session.scalar(select(Game.name).where(Game.id == game_id)) or str(game_id))


def micro_segment(session: Session, player_id: int) -> PanelValue | None:
    """The player's latest micro-segment and its date, or None before clustering."""
    found = session.execute(
        select(ClusterProfile.label, ClusterProfile.traits, PlayerCluster.as_of)
        .join(
            ClusterProfile,
            (PlayerCluster.as_of == ClusterProfile.as_of) & (PlayerCluster.cluster == ClusterProfile.cluster),
        )
        .where(PlayerCluster.player_id == player_id)
        .order_by(PlayerCluster.as_of.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    label, traits, as_of = found
    name = (
        Phrase(labels.words([tuple(trait) for trait in traits]), context=labels.MESSAGE_CONTEXT)
        if traits
        else Message(label)
    )
    return Joined((name, Joined((Text("("), Day(as_of), Text(")")), separator="")), separator=" ")


def player_panels(session: Session, *, player_id: int) -> list[PanelOut]:
    record = latest_record(session, player_id)
    segment = micro_segment(session, player_id)
    rows: list[tuple[str, PanelValue]] = []
    if record is not None:
        rows = [
            ("As of", Day(record.as_of)),
            ("Lifecycle segment", Message(SEGMENT_LABELS.get(record.segment, record.segment))),
            ("RFM levels", _levels(record)),
            ("Days since last purchase", Number(record.recency_days)),
            ("Purchase days", Number(record.frequency)),
            ("Spend", Money(record.monetary_kopecks)),
            ("Average check", Money(record.average_check_kopecks)),
            ("Favourite game", _game_name(session, record.favourite_game_id)),
            ("Spend trend, 30 days", Number(record.spend_trend_30d, digits=2, prefix="×")),
        ]
    if segment is not None:
        rows.append(("Micro-segment", segment))
    if not rows:
        return []
    return [panel("analytics", "Analytical record", rows)]
