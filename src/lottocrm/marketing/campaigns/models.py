"""Campaigns, their runs and their members.

A campaign is a draft a marketer edits (``definition``: channels, variants, response, schedule…), then
approved: the approval freezes ``snapshot`` — the definition, the segment version's document and the
policy version — and every run reads the snapshot, never the draft. A run is one send: a one-off campaign
has one, a recurring campaign one per occurrence, and ``(campaign_id, occurrence)`` is unique, so the same
occurrence can never be launched twice. A member is one player of a run's audience in one arm: treated (a
message was queued) or control (chosen and deliberately not sent), each with the channel the campaign would
use; the report compares the arms over the same response window. Imported history (a campaign run by
another system) carries its response and revenue on the member row instead of reading them from the lake.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lottocrm.db.base import Base, BigId, UtcDateTime
from lottocrm.db.types import choice

CAMPAIGN_KINDS = ("one_off", "recurring", "imported")
CAMPAIGN_STATUSES = ("draft", "approved", "scheduled", "running", "paused", "done", "cancelled")
RUN_STATUSES = ("selecting", "queued", "done", "failed")
ARMS = ("treatment", "control")


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(choice("campaign_kind", CAMPAIGN_KINDS))
    status: Mapped[str] = mapped_column(choice("campaign_status", CAMPAIGN_STATUSES))
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="RESTRICT"))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Frozen at approval: what every run sends (definition, the segment version's document, its ids).
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    # The audience counted when the campaign was approved (what four-eyes was decided on).
    approved_audience: Mapped[int | None] = mapped_column(Integer)
    next_run_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class CampaignRun(Base):
    __tablename__ = "campaign_runs"
    __table_args__ = (UniqueConstraint("campaign_id", "occurrence"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"), index=True)
    # "once", or the occurrence's moment (ISO, UTC) for a recurring campaign.
    occurrence: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(choice("campaign_run_status", RUN_STATUSES))
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # Counts for the progress bar and the waterfall: the segment, those the gate lets through on a channel,
    # the global holdout, those another campaign took today, then the two arms and the messages queued.
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(String(500))


class CampaignMember(Base):
    __tablename__ = "campaign_members"
    __table_args__ = (Index("ix_campaign_members_player", "player_id", "assigned_at"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("campaign_runs.id", ondelete="CASCADE"), primary_key=True)
    player_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("players.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    arm: Mapped[str] = mapped_column(choice("campaign_arm", ARMS))
    variant: Mapped[str | None] = mapped_column(String(40))
    # Lifecycle segment and value decile, "active:7": the control is drawn within each.
    stratum: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str | None] = mapped_column(String(10))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    assigned_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # Imported history only: what the other system measured.
    responded: Mapped[bool | None] = mapped_column(Boolean)
    revenue_kopecks: Mapped[int | None] = mapped_column(BigInteger)
