"""JSON API for campaigns: drafts, approval, cancel / pause / resume, launch now, and the runs with their
counts. Results are under ``/campaigns/{id}/results`` (``marketing.reporting``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.marketing.campaigns import service
from lottocrm.marketing.campaigns.approval import approve_campaign
from lottocrm.marketing.campaigns.models import Campaign, CampaignRun
from lottocrm.marketing.campaigns.offers import offer_spend
from lottocrm.web.deps import Db, acting, require
from lottocrm.web.errors import API_ERRORS

router = APIRouter(prefix="/campaigns", tags=["campaigns"], responses=API_ERRORS)
CampaignId = Annotated[int, Path(ge=1, le=2**63 - 1)]
PAGE = 50


class CampaignIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    segment_id: int = Field(ge=1, le=2**63 - 1)
    definition: dict[str, Any] = Field(
        description="channels, variants, schedule (once/cron/draw/jackpot), response, control_share, offer…"
    )


class CampaignPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    segment_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    definition: dict[str, Any] | None = None


class ApproveIn(BaseModel):
    accept_small_control: bool = Field(
        default=False, description="approve although the control cannot measure the expected effect"
    )


class RunOut(BaseModel):
    id: int
    occurrence: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    counts: dict[str, int]


class CampaignOut(BaseModel):
    id: int
    name: str
    kind: str
    status: str
    segment_id: int | None
    definition: dict[str, Any]
    created_by: str
    approved_by: str | None
    approved_audience: int | None
    next_run_at: dt.datetime | None


class OfferSpendOut(BaseModel):
    offer: dict[str, Any] | None = Field(description="the offer of the campaign's definition (None: none)")
    approved_cost_kopecks: int | None = Field(
        description="messages and the offer's worst case, as counted at approval"
    )
    credited_players: int = Field(description="treated responders credited with the offer's points so far")
    credited_points: int
    spend_kopecks: int = Field(description="what the credited offers are worth, kopecks")


class ApprovalOut(BaseModel):
    campaign: CampaignOut
    first_run_at: dt.datetime
    counts: dict[str, int]
    control: int
    four_eyes: bool
    minimum_detectable_effect: float | None


def _out(campaign: Campaign) -> CampaignOut:
    return CampaignOut(
        id=campaign.id,
        name=campaign.name,
        kind=campaign.kind,
        status=campaign.status,
        segment_id=campaign.segment_id,
        definition=campaign.definition,
        created_by=campaign.created_by,
        approved_by=campaign.approved_by,
        approved_audience=campaign.approved_audience,
        next_run_at=campaign.next_run_at,
    )


@router.get("", response_model=list[CampaignOut])
def list_campaigns(
    _: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)],
    session: Db,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> list[CampaignOut]:
    """Newest first, 50 a page."""
    found = session.scalars(
        select(Campaign).order_by(Campaign.id.desc()).offset((page - 1) * PAGE).limit(PAGE)
    )
    return [_out(campaign) for campaign in found]


@router.post("", response_model=CampaignOut, status_code=201)
def create(
    request: Request,
    _: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)],
    session: Db,
    body: CampaignIn,
) -> CampaignOut:
    return _out(
        service.create_campaign(
            session,
            actor=acting(request),
            name=body.name,
            segment_id=body.segment_id,
            definition=body.definition,
        )
    )


@router.get("/{campaign_id:int}", response_model=CampaignOut)
def one(
    _: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)], session: Db, campaign_id: CampaignId
) -> CampaignOut:
    return _out(service.get_campaign(session, campaign_id))


@router.patch("/{campaign_id:int}", response_model=CampaignOut)
def edit(
    request: Request,
    _: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)],
    session: Db,
    campaign_id: CampaignId,
    body: CampaignPatch,
) -> CampaignOut:
    return _out(
        service.update_campaign(
            session,
            actor=acting(request),
            campaign_id=campaign_id,
            name=body.name,
            segment_id=body.segment_id,
            definition=body.definition,
        )
    )


@router.post("/{campaign_id}/approve", response_model=ApprovalOut)
def approve(
    request: Request,
    _: Annotated[Principal, require(Permission.CAMPAIGN_APPROVE)],
    session: Db,
    campaign_id: CampaignId,
    body: ApproveIn,
) -> ApprovalOut:
    """Freeze and schedule the campaign; refused with the reason (see the campaign's approval rules)."""
    approval = approve_campaign(
        session,
        actor=acting(request),
        campaign_id=campaign_id,
        accept_small_control=body.accept_small_control,
    )
    return ApprovalOut(
        campaign=_out(service.get_campaign(session, campaign_id)),
        first_run_at=approval.first_run_at,
        counts=approval.counts,
        control=approval.control,
        four_eyes=approval.four_eyes,
        minimum_detectable_effect=approval.detectability.mde_absolute if approval.detectability else None,
    )


@router.post("/{campaign_id}/cancel", response_model=CampaignOut)
def cancel(
    request: Request,
    _: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)],
    session: Db,
    campaign_id: CampaignId,
) -> CampaignOut:
    return _out(service.cancel_campaign(session, actor=acting(request), campaign_id=campaign_id))


@router.post("/{campaign_id}/pause", response_model=CampaignOut)
def pause(
    request: Request,
    _: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)],
    session: Db,
    campaign_id: CampaignId,
) -> CampaignOut:
    return _out(service.pause_campaign(session, actor=acting(request), campaign_id=campaign_id))


@router.post("/{campaign_id}/resume", response_model=CampaignOut)
def resume(
    request: Request,
    _: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)],
    session: Db,
    campaign_id: CampaignId,
) -> CampaignOut:
    return _out(service.resume_campaign(session, actor=acting(request), campaign_id=campaign_id))


@router.get("/{campaign_id}/runs", response_model=list[RunOut])
def runs(
    _: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)], session: Db, campaign_id: CampaignId
) -> list[RunOut]:
    """The campaign's runs, newest first, with the waterfall and progress counts."""
    service.get_campaign(session, campaign_id)
    found = session.scalars(
        select(CampaignRun)
        .where(CampaignRun.campaign_id == campaign_id)
        .order_by(CampaignRun.id.desc())
        .limit(PAGE)
    )
    return [
        RunOut(
            id=run.id,
            occurrence=run.occurrence,
            status=run.status,
            started_at=run.started_at,
            finished_at=run.finished_at,
            counts=run.counts,
        )
        for run in found
    ]


@router.get("/{campaign_id}/offer", response_model=OfferSpendOut)
def offer(
    _: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)], session: Db, campaign_id: CampaignId
) -> OfferSpendOut:
    """The campaign's offer, its cost at approval and what it has cost so far over all runs."""
    campaign = service.get_campaign(session, campaign_id)
    run_ids = session.scalars(select(CampaignRun.id).where(CampaignRun.campaign_id == campaign.id)).all()
    spend = offer_spend(session, run_ids=run_ids)
    return OfferSpendOut(
        offer=campaign.definition.get("offer"),
        approved_cost_kopecks=(campaign.snapshot or {}).get("approved_cost_kopecks"),
        credited_players=spend["credited"],
        credited_points=spend["points"],
        spend_kopecks=spend["kopecks"],
    )
