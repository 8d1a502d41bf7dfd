"""Bonus points of a campaign's offer, credited to the treated players who responded.

A response is read exactly as the results read it (``analytics.campaign_response``: the same window, game and
kind for both arms), so the points go to responders by the rule the lift is measured with, and the control —
measured alike — gets nothing. The job runs while the windows are open (a responder is paid soon after the
lake holds the purchase) and for ``GRACE`` after they end (late-loaded retail sales). Each credit is one
transaction: the loyalty operation (source key ``campaign-offer:<run>:<player>``, unique in the ledger) and
the run's credit row, so a job run twice, or killed halfway, pays nobody twice. A responder without a loyalty
account is not paid (there is nowhere to put the points) and is counted as such.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import pyarrow.compute as pc
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.analytics.campaign_response import campaign_responses
from lottocrm.audit.service import record
from lottocrm.db.engine import transaction
from lottocrm.jobs.registry import JobContext
from lottocrm.lake.store import Lake
from lottocrm.loyalty.programme.bonuses import grant_bonus, member_accounts
from lottocrm.marketing.campaigns.definition import CampaignDefinition
from lottocrm.marketing.campaigns.launch import LAUNCHER
from lottocrm.marketing.campaigns.models import Campaign, CampaignRun
from lottocrm.marketing.campaigns.offer_models import CampaignOfferCredit
from lottocrm.marketing.reporting.members import read_members
from lottocrm.settings import get_settings

CREDIT_JOB = "marketing.credit_offer_points"
# Credited after the window ends, for sales the lake receives late (retail terminals report the next day).
GRACE = dt.timedelta(days=3)
# Credits per transaction: each locks one member account, so a chunk keeps the write lock briefly.
CHUNK = 500
log = logging.getLogger(__name__)


@dataclass
class Credited:
    runs: int = 0
    credited: int = 0
    without_account: int = 0
    by_run: dict[int, int] = field(default_factory=dict)


def source_key(run_id: int, player_id: int) -> str:
    return f"campaign-offer:{run_id}:{player_id}"


def credit_responders(engine: Engine, *, lake: Lake, now: dt.datetime | None = None) -> Credited:
    """Credit every responder of every run whose offer gives points and whose window (plus the grace) has
    not passed; what was credited."""
    moment = now or clock.now()
    done = Credited()
    with Session(engine) as session:
        runs = _open_runs(session, moment)
    if not runs or lake.row_count("tickets") == 0:
        return done
    for run_id, campaign_id, definition in runs:
        done.runs += 1
        responders = _treated_responders(engine, lake, run_id, definition)
        credited, missing = _credit(engine, run_id, campaign_id, definition, responders, moment)
        done.credited += credited
        done.without_account += missing
        done.by_run[run_id] = credited
    return done


def _open_runs(session: Session, moment: dt.datetime) -> list[tuple[int, int, CampaignDefinition]]:
    rows = session.execute(
        select(CampaignRun.id, CampaignRun.started_at, Campaign.id, Campaign.snapshot)
        .join(Campaign, Campaign.id == CampaignRun.campaign_id)
        .where(CampaignRun.status.in_(("queued", "done")), Campaign.snapshot.is_not(None))
        .order_by(CampaignRun.id)
    ).all()
    found = []
    for run_id, started_at, campaign_id, snapshot in rows:
        definition = CampaignDefinition.model_validate(snapshot["definition"])
        offer = definition.offer
        if offer is None or offer.bonus_points is None:
            continue
        if started_at + dt.timedelta(days=definition.response.window_days) + GRACE < moment:
            continue
        found.append((run_id, campaign_id, definition))
    return found


def _treated_responders(engine: Engine, lake: Lake, run_id: int, definition: CampaignDefinition) -> list[int]:
    response = definition.response
    with Session(engine) as session:
        members = read_members(session, run_ids=[run_id], with_enrolment=response.kind == "loyalty_enrolment")
    treated = members.filter(members["treated"])
    if treated.num_rows == 0:
        return []
    found = campaign_responses(
        lake=lake,
        members=treated,
        window_days=response.window_days,
        game_id=response.game_id,
        response_kind=response.kind,
    )
    responded = pc.is_in(treated["member"], found.filter(found["responded"])["member"])
    return [int(player) for player in treated.filter(responded)["player_id"].to_pylist()]


def _credit(
    engine: Engine,
    run_id: int,
    campaign_id: int,
    definition: CampaignDefinition,
    responders: list[int],
    moment: dt.datetime,
) -> tuple[int, int]:
    offer = definition.offer
    assert offer is not None and offer.bonus_points is not None
    with Session(engine) as session:
        paid = set(
            session.scalars(select(CampaignOfferCredit.player_id).where(CampaignOfferCredit.run_id == run_id))
        )
    waiting = [player for player in responders if player not in paid]
    credited = missing = 0
    for first in range(0, len(waiting), CHUNK):
        with transaction(engine) as session:
            chunk = waiting[first : first + CHUNK]
            accounts = member_accounts(session, chunk)
            missing += len(chunk) - len(accounts)
            in_chunk = 0
            for player_id in sorted(accounts):
                result = grant_bonus(
                    session,
                    account_id=accounts[player_id],
                    points=offer.bonus_points,
                    source_key=source_key(run_id, player_id),
                    actor=LAUNCHER.name,
                    reason=f"campaign {campaign_id} offer (run {run_id})",
                    now=moment,
                )
                if result is None:
                    continue
                session.add(
                    CampaignOfferCredit(
                        run_id=run_id,
                        player_id=player_id,
                        points=offer.bonus_points,
                        operation_id=result.operation_id,
                        value_kopecks=offer.value_kopecks,
                        credited_at=moment,
                    )
                )
                in_chunk += 1
            credited += in_chunk
            if in_chunk:
                record(
                    session,
                    actor=LAUNCHER,
                    action="campaign.offer_points",
                    detail={
                        "campaign_id": campaign_id,
                        "run_id": run_id,
                        "players": in_chunk,
                        "points": in_chunk * offer.bonus_points,
                    },
                )
    return credited, missing


def credit_offer_points(context: JobContext) -> None:
    """The job's handler (a cron schedule made at approval runs it every hour)."""
    done = credit_responders(context.engine, lake=Lake(get_settings().lake_path))
    log.info("offer points: %s runs, %s players credited", done.runs, done.credited)
