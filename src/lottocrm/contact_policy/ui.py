"""The contact policy's page: the caps and sending hours in force, their versions (paged), and for an admin
the form that puts a new version in force (audited by the service)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from lottocrm.auth.actors import describe_actors
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.contact_policy import form as policy_form
from lottocrm.contact_policy.models import PolicyVersion
from lottocrm.contact_policy.service import current_policy, save_policy
from lottocrm.errors import ServiceError
from lottocrm.web.deps import Db, acting, form_data, gettext_for, refusal_for, render, require

router = APIRouter(include_in_schema=False)
VERSIONS_PER_PAGE = 20


def _page(
    request: Request,
    session: Db,
    principal: Principal,
    *,
    grid: policy_form.Grid | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    version, policy = current_policy(session)
    text = request.query_params.get("page", "1")
    page = int(text) if text.isdigit() and 0 < len(text) <= 6 and int(text) > 0 else 1
    versions = session.scalars(
        select(PolicyVersion)
        .order_by(PolicyVersion.id.desc())
        .offset((page - 1) * VERSIONS_PER_PAGE)
        .limit(VERSIONS_PER_PAGE + 1)
    ).all()
    context = {
        "version": version,
        "grid": (grid or policy_form.to_grid(policy)).values,
        "versions": versions[:VERSIONS_PER_PAGE],
        "who": describe_actors(session, {row.created_by for row in versions}),
        "version_count": session.scalar(select(func.count()).select_from(PolicyVersion)),
        "page": page,
        "more": len(versions) > VERSIONS_PER_PAGE,
        "can_edit": principal.can(Permission.POLICY_EDIT),
        "cap_channels": policy_form.CAP_CHANNELS,
        "point_channels": policy_form.POINT_CAP_CHANNELS,
        "windows": policy_form.WINDOWS,
        "quiet_channels": policy_form.QUIET_CHANNELS,
        "quiet_classes": policy_form.QUIET_CLASSES,
        "cap_field": policy_form.cap_field,
        "hours_field": policy_form.hours_field,
        "saved": request.query_params.get("saved") == "1",
        "error": error,
    }
    return render(request, "contact_policy.html", context, status_code=status_code, principal=principal)


@router.get("/contact-policy")
def policy_page(
    request: Request, principal: Annotated[Principal, require(Permission.POLICY_VIEW)], session: Db
) -> Response:
    return _page(request, session, principal)


@router.post("/contact-policy")
def change_policy(
    request: Request,
    principal: Annotated[Principal, require(Permission.POLICY_EDIT)],
    session: Db,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    try:
        settings = policy_form.from_form(form)
        with session.begin_nested():
            save_policy(session, actor=acting(request), settings=settings, note=form.get("note", ""))
    except ServiceError as exc:
        error = gettext_for(request)("Not saved: %s") % refusal_for(request, exc)
        grid = policy_form.Grid({k: v for k, v in form.items() if k != "csrf_token"})
        return _page(request, session, principal, grid=grid, error=error, status_code=exc.http_status)
    return RedirectResponse("/contact-policy?saved=1", status_code=303)
