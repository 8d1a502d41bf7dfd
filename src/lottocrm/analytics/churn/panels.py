"""The churn panel of the player 360: the player's latest score (newest as-of date, then newest model).

Found by ``lottocrm.players.panels``. Labels and band names are English message ids the page translates;
values are typed (``lottocrm.presentation.values``) so the page formats them in the reader's locale.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.analytics.churn.models import ChurnScore
from lottocrm.presentation.values import Day, Message, PanelOut, Share, Text, panel

BAND_LABELS = {"high": "High", "medium": "Medium", "low": "Low"}


def latest_score(session: Session, player_id: int) -> ChurnScore | None:
    # Versions start with their UTC creation time, so the greatest version of a date is its newest model.
    return session.scalars(
        select(ChurnScore)
        .where(ChurnScore.player_id == player_id)
        .order_by(ChurnScore.as_of.desc(), ChurnScore.model_version.desc())
        .limit(1)
    ).first()


def player_panels(session: Session, *, player_id: int) -> list[PanelOut]:
    score = latest_score(session, player_id)
    if score is None:
        return []
    rows = [
        ("Churn probability", Share(score.probability)),
        ("Risk band", Message(BAND_LABELS.get(score.risk_band, score.risk_band))),
        ("Model version", Text(score.model_version)),
        ("As of", Day(score.as_of)),
    ]
    return [panel("churn", "Churn risk", rows)]
