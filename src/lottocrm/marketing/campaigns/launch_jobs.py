"""The durable job that launches a campaign's occurrence at its moment, enqueued in the transaction that
schedules it (approval, a finished run of a recurring campaign, a resume), and its handler.

The job names its occurrence; a job that finds its campaign paused, cancelled or rescheduled to another
occurrence does nothing (the resume or the approval enqueued the right one), so stale jobs are harmless.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from lottocrm.jobs import service as jobs
from lottocrm.jobs.registry import JobContext
from lottocrm.marketing.campaigns.definition import CampaignDefinition
from lottocrm.marketing.campaigns.models import Campaign
from lottocrm.marketing.campaigns.schedule import Occurrence, due_key

LAUNCH_JOB = "marketing.launch_campaign"
log = logging.getLogger(__name__)


def schedule_launch(session: Session, campaign: Campaign, occurrence: Occurrence) -> None:
    """A durable job that launches ``occurrence`` at its moment, in the caller's transaction. More valuable
    campaigns due at the same moment are launched first (the job queue takes higher priorities first)."""
    definition = CampaignDefinition.model_validate((campaign.snapshot or {})["definition"])
    if definition.schedule.kind == "jackpot":
        # No moment to launch at: the jackpot watcher launches it when the jackpot is high enough.
        return
    value = definition.expected_value()
    priority = definition.priority if value is None else 1_000 + max(0, min(round(value), 10**8))
    jobs.enqueue(
        session,
        kind=LAUNCH_JOB,
        payload={"campaign_id": campaign.id, "occurrence": occurrence.key},
        run_at=occurrence.at,
        priority=priority,
        dedupe_key=f"campaign:{campaign.id}:{occurrence.key}",
    )


def launch_campaign(context: JobContext) -> None:
    """The job's handler: launch the named occurrence if the campaign is still waiting for it."""
    from lottocrm.marketing.campaigns.launch import launch

    payload = context.job.payload
    campaign_id, occurrence = int(payload["campaign_id"]), str(payload["occurrence"])
    with Session(context.engine) as session:
        campaign = session.get(Campaign, campaign_id)
        waiting = (
            campaign is not None
            and campaign.status == "scheduled"
            and campaign.snapshot is not None
            and due_key(
                session,
                CampaignDefinition.model_validate(campaign.snapshot["definition"]).schedule,
                due=campaign.next_run_at,
            )
            == occurrence
        )
    if not waiting:
        log.info("campaign %s does not wait for occurrence %s: not launched", campaign_id, occurrence)
        return
    launch(context.engine, campaign_id=campaign_id, occurrence=occurrence)
