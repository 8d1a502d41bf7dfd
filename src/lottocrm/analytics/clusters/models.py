"""Stored micro-segments per as-of date: each player's cluster and each cluster's profile."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Date, Float, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base


class PlayerCluster(Base):
    __tablename__ = "player_clusters"
    __table_args__ = (Index("ix_player_clusters_player_id_as_of", "player_id", "as_of"),)

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    player_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    cluster: Mapped[int] = mapped_column(SmallInteger)
    probability: Mapped[float] = mapped_column(Float)


class ClusterProfile(Base):
    __tablename__ = "cluster_profiles"

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    cluster: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    # English, for the CLI and exports; ``traits`` is the same name as data the 360 page translates.
    label: Mapped[str] = mapped_column(String(200))
    # [[feature, level], ...] as in ``lottocrm.analytics.clusters.labels``; null for rows stored before it.
    traits: Mapped[list | None] = mapped_column(JSON, nullable=True)
    players: Mapped[int] = mapped_column(Integer)
    share: Mapped[float] = mapped_column(Float)
    # Mean of each feature in its own units (days, purchase days, kopecks, shares).
    means: Mapped[dict] = mapped_column(JSON)
    # BIC of every k tried with the chosen covariance type, so the choice of k can be checked later.
    bic_by_k: Mapped[dict] = mapped_column(JSON)
