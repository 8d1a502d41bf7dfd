"""What a run's offer gave: a promo code per treated member (made at launch), and the bonus points credited to
each treated member who responded (one row per run and player: the credit job's record that it is done,
and the run's spend so far)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, UtcDateTime


class CampaignPromoCode(Base):
    __tablename__ = "campaign_promo_codes"

    run_id: Mapped[int] = mapped_column(ForeignKey("campaign_runs.id", ondelete="CASCADE"), primary_key=True)
    player_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("players.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    code: Mapped[str] = mapped_column(String(16), unique=True)


class CampaignOfferCredit(Base):
    __tablename__ = "campaign_offer_credits"

    run_id: Mapped[int] = mapped_column(ForeignKey("campaign_runs.id", ondelete="CASCADE"), primary_key=True)
    player_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("players.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    points: Mapped[int] = mapped_column(BigInteger)
    # The loyalty operation that moved the points (its source key is the same pair).
    operation_id: Mapped[int] = mapped_column(BigInteger)
    value_kopecks: Mapped[int] = mapped_column(BigInteger)
    credited_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
