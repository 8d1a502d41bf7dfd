"""The boost windows page: the windows not yet over (or all, on request), paged; the approver adds one from a
form and removes one with a button. Adding and removing take the approver's permission, as in the API: a
boost raises contact pressure."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.errors import ServiceError
from lottocrm.marketing.boosts import service as boosts
from lottocrm.marketing.segments.models import Segment
from lottocrm.web.deps import Db, acting, form_data, page_number, refusal_for, render, require

router = APIRouter(include_in_schema=False)
PER_PAGE = 20
# The segments the form offers (an operator has tens of them, not thousands).
CHOICES = 500
FIELDS = ("name", "first_day", "last_day", "extra_per_day", "segment_id")


class BoostFormError(boosts.BoostInputError):
    """A field of the form that is not a date or a number: named, so the page marks it."""

    def __init__(self, field: str, message: str, **params: object) -> None:
        super().__init__(message, **params)
        self.field = field


def _date(form: dict[str, str], field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(form.get(field, "").strip())
    except ValueError:
        raise BoostFormError(field, "enter a date as YYYY-MM-DD") from None


def _whole(form: dict[str, str], field: str) -> int:
    text = form.get(field, "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise BoostFormError(field, "enter a whole number")
    return int(text)


def _page(
    request: Request,
    session: Db,
    principal: Principal,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    error_field: str | None = None,
    status_code: int = 200,
) -> Response:
    page = page_number(request)
    past = request.query_params.get("past") == "1"
    rows = boosts.windows(session, include_past=past, offset=(page - 1) * PER_PAGE, limit=PER_PAGE + 1)
    shown = {window.segment_id for window in rows}
    segment_names = dict(session.execute(select(Segment.id, Segment.name).where(Segment.id.in_(shown))).all())
    live = select(Segment.id, Segment.name).where(Segment.archived_at.is_(None))
    choices = session.execute(live.order_by(Segment.name).limit(CHOICES)).all()
    context: dict[str, Any] = {
        "windows": rows[:PER_PAGE],
        "segment_names": segment_names,
        "segments": choices,
        "page": page,
        "more": len(rows) > PER_PAGE,
        "past": past,
        "values": values or {"extra_per_day": "1"},
        "error": error,
        "error_field": error_field,
        "max_extra": boosts.MAX_EXTRA,
        "max_days": boosts.MAX_DAYS,
    }
    return render(request, "marketing/boosts.html", context, status_code=status_code, principal=principal)


@router.get("/campaigns/boosts")
def boosts_page(
    request: Request, principal: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)], session: Db
) -> Response:
    return _page(request, session, principal)


@router.post("/campaigns/boosts")
def add_boost(
    request: Request,
    principal: Annotated[Principal, require(Permission.CAMPAIGN_APPROVE)],
    session: Db,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    values = {field: form.get(field, "")[:200] for field in FIELDS}
    try:
        first_day, last_day = _date(form, "first_day"), _date(form, "last_day")
        extra, segment_id = _whole(form, "extra_per_day"), _whole(form, "segment_id")
        # A savepoint: a refusal undoes only this, and the page can still read the store to show itself.
        with session.begin_nested():
            boosts.add_window(
                session,
                actor=acting(request),
                name=form.get("name", ""),
                first_day=first_day,
                last_day=last_day,
                extra_per_day=extra,
                segment_id=segment_id,
            )
    except ServiceError as error:
        field = error.field if isinstance(error, BoostFormError) else None
        return _page(
            request,
            session,
            principal,
            values=values,
            error=refusal_for(request, error),
            error_field=field,
            status_code=422,
        )
    return RedirectResponse("/campaigns/boosts?saved=1", status_code=303)


@router.post("/campaigns/boosts/{window_id}/remove")
def remove_boost(
    request: Request,
    principal: Annotated[Principal, require(Permission.CAMPAIGN_APPROVE)],
    session: Db,
    window_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    _form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    try:
        with session.begin_nested():
            boosts.remove_window(session, actor=acting(request), window_id=window_id)
    except ServiceError as error:
        return _page(request, session, principal, error=refusal_for(request, error), status_code=404)
    return RedirectResponse("/campaigns/boosts?removed=1", status_code=303)
