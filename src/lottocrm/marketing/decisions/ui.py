"""The banner pages: the offers, paged, with a form to add or edit one (the marketer's), and the example
page: a website's banner slot filled by the decision API through the vendored snippet
(``/static/decisions-snippet.js``) for a player or a device id."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from lottocrm import clock
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.errors import ServiceError
from lottocrm.marketing.decisions import offers
from lottocrm.marketing.decisions.models import (
    AUDIENCES,
    BUDGET_UNITS,
    OFFER_STATUSES,
    BannerOffer,
    Placement,
)
from lottocrm.marketing.decisions.state import for_session
from lottocrm.web.deps import Db, acting, form_data, page_number, refusal_for, render, require

router = APIRouter(include_in_schema=False)
PER_PAGE = 20
WHOLE = (
    "value_per_mille_kopecks",
    "weight_percent",
    "budget",
    "cost_per_impression",
    "player_daily_cap",
    "placement_id",
)
TEXT = (
    "code",
    "name",
    "title",
    "text",
    "image_url",
    "link_url",
    "audience",
    "regions",
    "budget_unit",
    "status",
)
MOMENTS = ("starts_at", "ends_at")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def _whole(form: dict[str, str], field: str) -> int:
    text = form.get(field, "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 15):
        raise offers.OfferInputError(field, "enter a whole number")
    return int(text)


def _moment(form: dict[str, str], field: str) -> dt.datetime:
    try:
        local = dt.datetime.fromisoformat(form.get(field, "").strip())
    except ValueError:
        raise offers.OfferInputError(field, "enter a date and time") from None
    if local.tzinfo is not None:
        raise offers.OfferInputError(field, "enter a date and time")
    return local.replace(tzinfo=clock.operator_zone()).astimezone(dt.UTC)


def _draft(form: dict[str, str]) -> offers.OfferDraft:
    numbers = {field: _whole(form, field) for field in WHOLE}
    regions = tuple(part.strip().upper() for part in form.get("regions", "").split(",") if part.strip())
    image = form.get("image_url", "").strip() or None
    return offers.OfferDraft(
        code=form.get("code", "").strip(),
        name=form.get("name", ""),
        title=form.get("title", "").strip(),
        text=form.get("text", "").strip(),
        image_url=image,
        link_url=form.get("link_url", "").strip(),
        audience=form.get("audience", ""),
        regions=regions,
        budget_unit=form.get("budget_unit", ""),
        status=form.get("status", ""),
        starts_at=_moment(form, "starts_at"),
        ends_at=_moment(form, "ends_at"),
        **numbers,
    )


def _values_of(offer: BannerOffer) -> dict[str, str]:
    values = {field: str(getattr(offer, field)) for field in WHOLE}
    values |= {field: getattr(offer, field) or "" for field in TEXT if field != "regions"}
    values["regions"] = ", ".join(offer.regions)
    values |= {field: clock.local(getattr(offer, field)).strftime(LOCAL_FORMAT) for field in MOMENTS}
    return values


def _blank() -> dict[str, str]:
    start = clock.local(clock.now()).replace(second=0, microsecond=0)
    return {
        "audience": "everyone",
        "budget_unit": "impressions",
        "cost_per_impression": "1",
        "weight_percent": "100",
        "player_daily_cap": "3",
        "status": "draft",
        "starts_at": start.strftime(LOCAL_FORMAT),
        "ends_at": (start + dt.timedelta(days=30)).strftime(LOCAL_FORMAT),
    }


@router.get("/banners")
def banners_page(
    request: Request, principal: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)], session: Db
) -> Response:
    page = page_number(request)
    rows, total = offers.offers_page(session, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    placements = list(session.scalars(select(Placement).order_by(Placement.code)))
    context: dict[str, Any] = {
        "offers": rows,
        "total": total,
        "page": page,
        "more": page * PER_PAGE < total,
        "placements": placements,
        "placement_codes": {placement.id: placement.code for placement in placements},
    }
    return render(request, "marketing/banners.html", context, principal=principal)


def _form(
    request: Request,
    session: Db,
    principal: Principal,
    *,
    offer: BannerOffer | None,
    values: dict[str, str],
    error: str | None = None,
    error_field: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "offer": offer,
        "values": values,
        "error": error,
        "error_field": error_field,
        "placements": list(session.scalars(select(Placement).order_by(Placement.code))),
        "audiences": AUDIENCES,
        "budget_units": BUDGET_UNITS,
        "statuses": OFFER_STATUSES,
    }
    return render(
        request, "marketing/banner_form.html", context, status_code=status_code, principal=principal
    )


@router.get("/banners/new")
def new_offer_page(
    request: Request, principal: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)], session: Db
) -> Response:
    return _form(request, session, principal, offer=None, values=_blank())


@router.get("/banners/{offer_id:int}")
def offer_page(
    request: Request,
    principal: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)],
    session: Db,
    offer_id: int,
) -> Response:
    try:
        offer = offers.get_offer(session, offer_id)
    except ServiceError as error:
        return render(
            request, "error.html", {"status": 404, "detail": refusal_for(request, error)}, status_code=404
        )
    return _form(request, session, principal, offer=offer, values=_values_of(offer))


def _save(
    request: Request, session: Db, principal: Principal, form: dict[str, str], offer_id: int | None
) -> Response:
    values = {field: form.get(field, "")[:2000] for field in (*WHOLE, *TEXT, *MOMENTS)}
    offer = session.get(BannerOffer, offer_id) if offer_id is not None else None
    try:
        draft = _draft(form)
        with session.begin_nested():
            if offer_id is None:
                saved = offers.create_offer(session, actor=acting(request), draft=draft)
            else:
                saved = offers.update_offer(session, actor=acting(request), offer_id=offer_id, draft=draft)
    except ServiceError as error:
        field = error.field if isinstance(error, offers.OfferInputError) else None
        status = 404 if isinstance(error, offers.OfferNotFound) else 422
        return _form(
            request,
            session,
            principal,
            offer=offer,
            values=values,
            error=refusal_for(request, error),
            error_field=field,
            status_code=status,
        )
    for_session(session).offers_changed()
    return RedirectResponse(f"/banners/{saved.id}?saved=1", status_code=303)


@router.post("/banners/new")
def create_offer(
    request: Request,
    principal: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)],
    session: Db,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    return _save(request, session, principal, form, None)


@router.post("/banners/{offer_id:int}")
def edit_offer(
    request: Request,
    principal: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)],
    session: Db,
    offer_id: int,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    return _save(request, session, principal, form, offer_id)


@router.get("/banners/example")
def example_page(
    request: Request, principal: Annotated[Principal, require(Permission.DECISIONS_ASK)], session: Db
) -> Response:
    """A website's page with one banner slot, asking for the player or device given in the address."""
    placements = list(session.scalars(select(Placement).order_by(Placement.code)))
    query = request.query_params
    chosen = query.get("placement") or (placements[0].code if placements else "")
    player = query.get("player_id", "").strip()
    context = {
        "placements": placements,
        "placement": chosen[:64],
        "player_id": player if player.isascii() and player.isdigit() and len(player) <= 18 else "",
        "device_id": query.get("device_id", "").strip()[:128],
    }
    return render(request, "marketing/banner_example.html", context, principal=principal)
