"""The jackpot trigger: a campaign scheduled "when the jackpot of game G's next draw exceeds X" is launched by
this watcher, a job a cron schedule runs every few minutes (made at approval of the first such campaign).

Each time it looks at every scheduled jackpot campaign: the game's next scheduled draw, and its jackpot now.
Above the threshold, the occurrence "jackpot:<draw id>" is launched — unless that draw was launched for
already (the run's unique occurrence), so a jackpot that stays high, rises further, or is seen by two workers
at once sends once per draw. After ``until`` the campaign is done.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.catalog.models import Draw
from lottocrm.jobs.models import JobSchedule
from lottocrm.jobs.registry import JobContext
from lottocrm.jobs.schedules import save_schedule
from lottocrm.marketing.campaigns.definition import CampaignDefinition
from lottocrm.marketing.campaigns.launch import LAUNCHER, CampaignAlreadyLaunched, launch
from lottocrm.marketing.campaigns.models import Campaign, CampaignRun
from lottocrm.marketing.campaigns.service import CampaignStateConflict

WATCH_JOB = "marketing.watch_jackpots"
log = logging.getLogger(__name__)


def due_draws(session: Session, *, now: dt.datetime) -> list[tuple[int, str]]:
    """(campaign, occurrence) for each scheduled jackpot campaign whose game's next draw has a jackpot
    above the threshold and was not launched for yet."""
    found = []
    campaigns = session.execute(
        select(Campaign.id, Campaign.snapshot).where(Campaign.status == "scheduled").order_by(Campaign.id)
    ).all()
    for campaign_id, snapshot in campaigns:
        schedule = CampaignDefinition.model_validate((snapshot or {})["definition"]).schedule
        if schedule.kind != "jackpot" or (schedule.until is not None and now > schedule.until):
            continue
        draw = session.execute(
            select(Draw.id, Draw.jackpot_kopecks)
            .where(Draw.game_id == schedule.game_id, Draw.status == "scheduled", Draw.draw_at > now)
            .order_by(Draw.draw_at)
            .limit(1)
        ).first()
        assert schedule.jackpot_above_kopecks is not None
        if draw is None or draw.jackpot_kopecks <= schedule.jackpot_above_kopecks:
            continue
        key = f"jackpot:{draw.id}"
        launched = session.scalar(
            select(CampaignRun.id).where(
                CampaignRun.campaign_id == campaign_id, CampaignRun.occurrence == key
            )
        )
        if launched is None:
            found.append((campaign_id, key))
    return found


def watch(engine: Engine, *, now: dt.datetime | None = None) -> list[int]:
    """Launch every jackpot campaign whose draw is due; the runs launched."""
    moment = now or clock.now()
    with Session(engine) as session:
        due = due_draws(session, now=moment)
    runs = []
    for campaign_id, key in due:
        try:
            runs.append(launch(engine, campaign_id=campaign_id, occurrence=key, actor=LAUNCHER).run_id)
        except (CampaignAlreadyLaunched, CampaignStateConflict) as refused:
            # Another worker launched it in between, or it was paused or cancelled: nothing to do.
            log.info("jackpot campaign %s not launched for %s: %s", campaign_id, key, refused)
    return runs


def ensure_watch_schedule(session: Session, *, kind: str, name: str, cron: str) -> None:
    """The cron schedule that runs ``kind``, made once (an operator's change to it is kept)."""
    if session.scalar(select(JobSchedule.id).where(JobSchedule.name == name)) is None:
        save_schedule(session, actor=LAUNCHER, name=name, cron=cron, kind=kind)


def watch_jackpots(context: JobContext) -> None:
    runs = watch(context.engine)
    if runs:
        log.info("jackpot campaigns launched: runs %s", runs)
