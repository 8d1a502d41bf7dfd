"""The analytical-record panel of the player 360: the player's latest ``player_analytics`` row.

Found by ``lottocrm.players.panels`` (``player_panels(session, *, player_id)``). Labels and segment names are
English message ids that the page translates; values are plain text because a provider has no locale.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.analytics.mart.models import PlayerAnalytics
from lottocrm.analytics.mart.segments import SEGMENTS
from lottocrm.catalog.models import Game
from lottocrm.players.schemas import PanelOut

SEGMENT_LABELS = dict(
    zip(
        SEGMENTS,
        (
            "Registered, no purchase",
            "New",
            "Active",
            "VIP",
            "At risk",
            "Sleeping",
            "Churned",
            "Deep churn",
        ),
        strict=True,
    )
)
NO_VALUE = "—"


def latest_record(session: Session, player_id: int) -> PlayerAnalytics | None:
    return session.scalars(
        select(PlayerAnalytics)
        .where(PlayerAnalytics.player_id == player_id)
        .order_by(PlayerAnalytics.as_of.desc())
        .limit(1)
    ).first()


def _rubles(kopecks: int | None) -> str:
    if kopecks is None:
        return NO_VALUE
    # A non-breaking thousands separator reads right in both languages and never wraps inside a number.
    return f"{kopecks / 100:,.2f} ₽".replace(",", "\u00a0")


def _or_dash(value: object | None) -> str:
    return NO_VALUE if value is None else str(value)


def _levels(record: PlayerAnalytics) -> str:
    return " · ".join(
        f"{name}{_or_dash(level)}"
        for name, level in (("R", record.r_level), ("F", record.f_level), ("M", record.m_level))
    )


def _game_name(session: Session, game_id: int | None) -> str:
    if game_id is None:
        return NO_VALUE
    return session.scalar(select(Game.name).where(Game.id == game_id)) or str(game_id)


def player_panels(session: Session, *, player_id: int) -> list[PanelOut]:
    record = latest_record(session, player_id)
    if record is None:
        return []
    trend = record.spend_trend_30d
    rows = [
        ("As of", record.as_of.isoformat()),
        ("Lifecycle segment", SEGMENT_LABELS.get(record.segment, record.segment)),
        ("RFM levels", _levels(record)),
        ("Days since last purchase", _or_dash(record.recency_days)),
        ("Purchase days", str(record.frequency)),
        ("Spend", _rubles(record.monetary_kopecks)),
        ("Average check", _rubles(record.average_check_kopecks)),
        ("Favourite game", _game_name(session, record.favourite_game_id)),
        ("Spend trend, 30 days", NO_VALUE if trend is None else f"×{trend:.2f}"),
    ]
    return [PanelOut(key="analytics", title="Analytical record", rows=rows)]
