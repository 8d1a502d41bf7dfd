"""The marketer's and the approver's campaign pages: the list (paged), the calendar of a month, the approvals
queue (paged), a new campaign and a draft's edit form, the campaign page with its approval, cancel / pause /
resume, and its runs with their waterfall."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from lottocrm import clock
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.errors import ServiceError
from lottocrm.marketing.campaigns import service
from lottocrm.marketing.campaigns.approval import approve_campaign
from lottocrm.marketing.campaigns.calendar import month_calendar, parse_month
from lottocrm.marketing.campaigns.form import CHANNELS, CampaignFormError, parse_form, to_form
from lottocrm.marketing.campaigns.models import CAMPAIGN_STATUSES, Campaign, CampaignRun
from lottocrm.marketing.campaigns.offers import offer_spend
from lottocrm.marketing.campaigns.review import review_draft, waiting
from lottocrm.marketing.segments.models import Segment
from lottocrm.messaging.templates.models import MessageTemplate, MessageTemplateVersion
from lottocrm.web.deps import Db, acting, form_data, page_number, refusal_for, render, require

router = APIRouter(include_in_schema=False)
PER_PAGE = 20
# Each draft in the queue counts its audience as approval would: a page is a few of them.
QUEUE_PER_PAGE = 10
# The choices a form offers (an operator has tens of segments and marketing templates, not thousands).
CHOICES = 500
CampaignId = Annotated[int, Path(ge=1, le=2**63 - 1)]
RUN_COUNTS = (
    "segment",
    "not_reachable",
    "global_holdout",
    "taken_by_other_campaigns",
    "treatment",
    "control",
    "queued",
    "stopped_at_queueing",
)


@router.get("/campaigns")
def campaign_list(
    request: Request, principal: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)], session: Db
) -> Response:
    page = page_number(request)
    rows = session.execute(
        select(Campaign, Segment.name)
        .outerjoin(Segment, Segment.id == Campaign.segment_id)
        .order_by(Campaign.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    ).all()
    context = {
        "rows": rows[:PER_PAGE],
        "page": page,
        "more": len(rows) > PER_PAGE,
        "total": session.scalar(select(func.count()).select_from(Campaign)),
        "can_edit": principal.can(Permission.CAMPAIGN_EDIT),
    }
    return render(request, "marketing/campaigns.html", context, principal=principal)


def _shifted(year: int, month: int, by: int) -> str:
    index = year * 12 + month - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@router.get("/campaigns/calendar")
def calendar_page(
    request: Request, principal: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)], session: Db
) -> Response:
    today = clock.local(clock.now())
    month = request.query_params.get("month") or f"{today.year:04d}-{today.month:02d}"
    state = request.query_params.get("state") or None
    context: dict[str, Any] = {"month": month[:40], "state": state, "states": CAMPAIGN_STATUSES}
    try:
        year, number = parse_month(month)
        found = month_calendar(session, year=year, month=number, status=state)
    except ServiceError as error:
        context["error"] = refusal_for(request, error)
        return render(request, "marketing/calendar.html", context, status_code=422, principal=principal)
    context.update(
        calendar=found,
        month_start=dt.date(year, number, 1),
        previous=_shifted(year, number, -1),
        following=_shifted(year, number, 1),
        weekdays=[dt.date(2026, 11, 30) + dt.timedelta(days=offset) for offset in range(7)],
    )
    return render(request, "marketing/calendar.html", context, principal=principal)


@router.get("/campaigns/approvals")
def approvals_page(
    request: Request, principal: Annotated[Principal, require(Permission.CAMPAIGN_APPROVE)], session: Db
) -> Response:
    page = page_number(request)
    drafts, total = waiting(session, page=page, per_page=QUEUE_PER_PAGE)
    viewer = acting(request).name
    reviews = [review_draft(session, campaign=campaign, viewer=viewer) for campaign in drafts]
    context = {
        "reviews": reviews,
        "review_problems": [[refusal_for(request, problem) for problem in r.problems] for r in reviews],
        "page": page,
        "more": page * QUEUE_PER_PAGE < total,
        "total": total,
    }
    return render(request, "marketing/approvals.html", context, principal=principal)


def _choices(session: Db) -> dict[str, Any]:
    segments = session.execute(
        select(Segment.id, Segment.name)
        .where(Segment.archived_at.is_(None))
        .order_by(Segment.name)
        .limit(CHOICES)
    ).all()
    published = select(MessageTemplateVersion.template_id).where(MessageTemplateVersion.status == "published")
    templates = session.execute(
        select(MessageTemplate.id, MessageTemplate.name, MessageTemplate.code)
        .where(MessageTemplate.message_class == "marketing", MessageTemplate.id.in_(published))
        .order_by(MessageTemplate.name)
        .limit(CHOICES)
    ).all()
    return {"segments": segments, "templates": templates, "channels": CHANNELS}


def _form_page(
    request: Request,
    session: Db,
    principal: Principal,
    *,
    values: dict[str, str],
    campaign: Campaign | None = None,
    error: str | None = None,
    error_field: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {"values": values, "campaign": campaign, "error": error, "error_field": error_field}
    context.update(_choices(session))
    return render(
        request, "marketing/campaign_form.html", context, status_code=status_code, principal=principal
    )


def _default_values() -> dict[str, str]:
    return to_form(
        "", None, {"channels": ["sms"], "schedule": {"kind": "once"}, "response": {"window_days": 14}}
    )


@router.get("/campaigns/new")
def new_campaign(
    request: Request, principal: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)], session: Db
) -> Response:
    values = _default_values()
    segment = request.query_params.get("segment", "")
    if segment.isdigit() and len(segment) <= 18:
        values["segment_id"] = segment
    return _form_page(request, session, principal, values=values)


@router.post("/campaigns/new")
def create_campaign(
    request: Request,
    principal: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)],
    session: Db,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    try:
        parsed = parse_form(form)
        # A savepoint: a refusal undoes only this, and the page can still read the store to show itself.
        with session.begin_nested():
            campaign = service.create_campaign(
                session,
                actor=acting(request),
                name=parsed.name,
                segment_id=parsed.segment_id,
                definition=parsed.definition,
            )
    except ServiceError as error:
        field = error.field if isinstance(error, CampaignFormError) else None
        return _form_page(
            request,
            session,
            principal,
            values=dict(form),
            error=refusal_for(request, error),
            error_field=field,
            status_code=422,
        )
    return RedirectResponse(f"/campaigns/{campaign.id}", status_code=303)


@router.get("/campaigns/{campaign_id}/edit")
def edit_campaign(
    request: Request,
    principal: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)],
    session: Db,
    campaign_id: CampaignId,
) -> Response:
    campaign = service.get_campaign(session, campaign_id)
    values = to_form(campaign.name, campaign.segment_id, campaign.definition)
    return _form_page(request, session, principal, values=values, campaign=campaign)


@router.post("/campaigns/{campaign_id}/edit")
def save_campaign(
    request: Request,
    principal: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)],
    session: Db,
    campaign_id: CampaignId,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    try:
        parsed = parse_form(form)
        with session.begin_nested():
            service.update_campaign(
                session,
                actor=acting(request),
                campaign_id=campaign_id,
                name=parsed.name,
                segment_id=parsed.segment_id,
                definition=parsed.definition,
            )
    except ServiceError as error:
        field = error.field if isinstance(error, CampaignFormError) else None
        campaign = service.get_campaign(session, campaign_id)
        return _form_page(
            request,
            session,
            principal,
            values=dict(form),
            campaign=campaign,
            error=refusal_for(request, error),
            error_field=field,
            status_code=422,
        )
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


def _campaign_page(
    request: Request,
    session: Db,
    principal: Principal,
    campaign_id: int,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    campaign = service.get_campaign(session, campaign_id)
    segment = session.get(Segment, campaign.segment_id) if campaign.segment_id else None
    runs = session.scalars(
        select(CampaignRun)
        .where(CampaignRun.campaign_id == campaign_id)
        .order_by(CampaignRun.id.desc())
        .limit(PER_PAGE)
    ).all()
    template_ids = [variant["template_id"] for variant in campaign.definition.get("variants", ())]
    templates = dict(
        session.execute(
            select(MessageTemplate.id, MessageTemplate.name).where(MessageTemplate.id.in_(template_ids))
        )
        .tuples()
        .all()
    )
    schedule = campaign.definition.get("schedule", {})
    at = dt.datetime.fromisoformat(schedule["at"]) if schedule.get("at") else None
    context = {
        "campaign": campaign,
        "segment": segment,
        "runs": runs,
        # Only a campaign with an offer can leave players out to fit its budget.
        "run_counts": RUN_COUNTS + (("offer_capped",) if campaign.definition.get("offer") else ()),
        "templates": templates,
        "at": at,
        "spend": offer_spend(
            session,
            run_ids=session.scalars(
                select(CampaignRun.id).where(CampaignRun.campaign_id == campaign_id)
            ).all(),
        ),
        "notice": notice,
        "error": error,
        "can_edit": principal.can(Permission.CAMPAIGN_EDIT),
        "can_approve": principal.can(Permission.CAMPAIGN_APPROVE),
    }
    return render(request, "marketing/campaign.html", context, status_code=status_code, principal=principal)


@router.get("/campaigns/{campaign_id:int}")
def campaign_page(
    request: Request,
    principal: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)],
    session: Db,
    campaign_id: CampaignId,
) -> Response:
    return _campaign_page(request, session, principal, campaign_id)


@router.post("/campaigns/{campaign_id}/approve")
def approve(
    request: Request,
    principal: Annotated[Principal, require(Permission.CAMPAIGN_APPROVE)],
    session: Db,
    campaign_id: CampaignId,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    try:
        with session.begin_nested():
            approve_campaign(
                session,
                actor=acting(request),
                campaign_id=campaign_id,
                accept_small_control=form.get("accept_small_control") == "on",
            )
    except ServiceError as error:
        return _campaign_page(
            request, session, principal, campaign_id, error=refusal_for(request, error), status_code=422
        )
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


_ACTIONS = {
    "cancel": service.cancel_campaign,
    "pause": service.pause_campaign,
    "resume": service.resume_campaign,
}


@router.post("/campaigns/{campaign_id}/{action}")
def change_state(
    request: Request,
    principal: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)],
    session: Db,
    campaign_id: CampaignId,
    action: Annotated[str, Path(pattern="^(cancel|pause|resume)$")],
) -> Response:
    try:
        with session.begin_nested():
            _ACTIONS[action](session, actor=acting(request), campaign_id=campaign_id)
    except ServiceError as error:
        return _campaign_page(
            request, session, principal, campaign_id, error=refusal_for(request, error), status_code=409
        )
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)
