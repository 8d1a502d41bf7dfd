"""Banner placements (a slot of the website or app, with its default banner) and banner offers competing
for them. An offer's ``spent`` only grows, by one conditional UPDATE per impression, so concurrent
decisions can never take it past its ``budget`` (``service.charge``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice

OFFER_STATUSES = ("draft", "live", "paused", "ended")
# Who may see an offer: anyone, signed-in players only, or anonymous visitors only.
AUDIENCES = ("everyone", "players", "anonymous")
# A budget counts impressions, or money at a price per impression.
BUDGET_UNITS = ("impressions", "kopecks")


class Placement(Base):
    """A banner slot (``code`` is what the website sends) and the banner shown when no offer may be."""

    __tablename__ = "decision_placements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    default_title: Mapped[str] = mapped_column(String(200))
    default_text: Mapped[str] = mapped_column(Text)
    default_image_url: Mapped[str | None] = mapped_column(String(2000))
    default_link_url: Mapped[str] = mapped_column(String(2000))
    # At most this many offer impressions per player (or device) a rolling 24 hours in this slot.
    player_daily_cap: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class BannerOffer(Base):
    __tablename__ = "banner_offers"
    __table_args__ = (CheckConstraint("spent <= budget", name="within_budget"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Named in the banner_impression and banner_click events (``properties.offer``).
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    placement_id: Mapped[int] = mapped_column(ForeignKey("decision_placements.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(String(2000))
    link_url: Mapped[str] = mapped_column(String(2000))
    audience: Mapped[str] = mapped_column(choice("banner_offer_audience", AUDIENCES))
    # Regions (ISO 3166-2 codes) whose players may see it; empty: every region. Anonymous visitors have none.
    regions: Mapped[list[Any]] = mapped_column(JSON)
    # Arbitration: expected incremental value of 1 000 impressions (kopecks), times the weight in percent.
    value_per_mille_kopecks: Mapped[int] = mapped_column(BigInteger)
    weight_percent: Mapped[int] = mapped_column(Integer)
    budget_unit: Mapped[str] = mapped_column(choice("banner_offer_budget_unit", BUDGET_UNITS))
    budget: Mapped[int] = mapped_column(BigInteger)
    # What one impression costs the budget: 1 for an impression budget, the price in kopecks for money.
    cost_per_impression: Mapped[int] = mapped_column(Integer)
    spent: Mapped[int] = mapped_column(BigInteger)
    # At most this many impressions of this offer per player (or device) a rolling 24 hours.
    player_daily_cap: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(choice("banner_offer_status", OFFER_STATUSES), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
