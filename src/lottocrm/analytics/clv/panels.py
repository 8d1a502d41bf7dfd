"""The lifetime-value panel of the player 360: the player's latest ``player_clv`` row.

Found by ``lottocrm.players.panels``. Labels and model names are English message ids the page translates;
values are plain text because a provider has no locale.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.analytics.clv.models import PlayerClv
from lottocrm.players.schemas import PanelOut

MODEL_LABELS = {"bgnbd": "BG/NBD", "pareto": "Pareto/NBD"}


def latest_score(session: Session, player_id: int) -> PlayerClv | None:
    return session.scalars(
        select(PlayerClv).where(PlayerClv.player_id == player_id).order_by(PlayerClv.as_of.desc()).limit(1)
    ).first()


def _rubles(kopecks: int) -> str:
    # A non-breaking thousands separator reads right in both languages and never wraps inside a number.
    return f"{kopecks / 100:,.2f} ₽".replace(",", "\u00a0")


def player_panels(session: Session, *, player_id: int) -> list[PanelOut]:
    score = latest_score(session, player_id)
    if score is None:
        return []
    rows = [
        ("Probability alive", f"{score.probability_alive:.0%}"),
        ("Expected purchases", f"{score.expected_purchases:.1f}"),
        ("Horizon, days", str(score.horizon_days)),
        ("Expected spend per purchase", _rubles(score.expected_spend_kopecks)),
        ("Lifetime value (discounted)", _rubles(score.clv_kopecks)),
        ("Model", MODEL_LABELS.get(score.model, score.model)),
        ("As of", score.as_of.isoformat()),
    ]
    return [PanelOut(key="clv", title="Lifetime value", rows=rows)]
