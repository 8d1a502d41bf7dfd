"""The player's campaigns on the 360 timeline: each run that chose the player, in which arm — sent (with the
channel and the A/B variant) or held back as control — so an operator can answer "why did I get this" and
"why did my neighbour get an offer I did not"."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.marketing.campaigns.models import Campaign, CampaignMember, CampaignRun
from lottocrm.players.contrib import TimelineEntry
from lottocrm.presentation.values import Message, Sentence, Text


class CampaignTimeline:
    name = "marketing.campaigns"

    def entries(
        self, session: Session, *, player_id: int, before: dt.datetime | None, limit: int
    ) -> list[TimelineEntry]:
        query = (
            select(
                CampaignMember.run_id,
                CampaignMember.arm,
                CampaignMember.channel,
                CampaignMember.variant,
                CampaignMember.message_id,
                CampaignMember.assigned_at,
                Campaign.id.label("campaign_id"),
                Campaign.name,
            )
            .join(CampaignRun, CampaignRun.id == CampaignMember.run_id)
            .join(Campaign, Campaign.id == CampaignRun.campaign_id)
            .where(CampaignMember.player_id == player_id)
            .order_by(CampaignMember.assigned_at.desc(), CampaignMember.run_id.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(CampaignMember.assigned_at <= before)
        return [_entry(row) for row in session.execute(query)]


def _entry(row) -> TimelineEntry:  # type: ignore[no-untyped-def]
    if row.arm == "control":
        title, detail = (
            Message("Campaign: held back as control"),
            Sentence(
                "«%(campaign)s»: chosen but deliberately not sent, to measure the campaign",
                (("campaign", Text(row.name)),),
            ),
        )
    elif row.message_id is None:
        title, detail = (
            Message("Campaign: stopped by the contact policy"),
            Sentence(
                "«%(campaign)s»: the policy stopped the message before it was queued",
                (("campaign", Text(row.name)),),
            ),
        )
    else:
        title, detail = (
            Message("Campaign message"),
            Sentence(
                "«%(campaign)s» by %(channel)s, variant %(variant)s",
                (
                    ("campaign", Text(row.name)),
                    ("channel", Message(row.channel or "")),
                    ("variant", Text(row.variant or "A")),
                ),
            ),
        )
    return TimelineEntry(
        at=row.assigned_at,
        domain="marketing",
        kind=f"campaign_{row.arm}",
        title=title,
        detail=detail,
        ref=f"run:{row.run_id:020d}",
        link=f"/campaigns/{row.campaign_id}",
    )


CAMPAIGN_TIMELINE = CampaignTimeline()
