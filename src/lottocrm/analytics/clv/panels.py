"""The lifetime-value panel of the player 360: the player's latest ``player_clv`` row.

Found by ``lottocrm.players.panels``. Labels are English message ids the page translates; values are typed
(``lottocrm.presentation.values``) so the page formats money and dates in the reader's locale.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.analytics.clv.models import PlayerClv
from lottocrm.presentation.values import Day, Money, Number, PanelOut, Share, Text, panel

MODEL_LABELS = {"bgnbd": "BG/NBD", "pareto": "Pareto/NBD"}


def latest_score(session: Session, player_id: int) -> PlayerClv | None:
    return session.scalars(
        select(PlayerClv).where(PlayerClv.player_id == player_id).order_by(PlayerClv.as_of.desc()).limit(1)
    ).first()


def player_panels(session: Session, *, player_id: int) -> list[PanelOut]:
    score = latest_score(session, player_id)
    if score is None:
        return []
    rows = [
        ("Probability alive", Share(score.probability_alive)),
        ("Expected purchases", Number(score.expected_purchases, digits=1)),
        ("Horizon, days", Number(score.horizon_days)),
        ("Expected spend per purchase", Money(score.expected_spend_kopecks)),
        ("Lifetime value (discounted)", Money(score.clv_kopecks)),
        ("Model", Text(MODEL_LABELS.get(score.model, score.model))),
        ("As of", Day(score.as_of)),
    ]
    return [panel("clv", "Lifetime value", rows)]
