"""The data steward's review queue: a page of pairs (20 at a time) with the two registrations side by side
and the evidence per field, and the three decisions. The service audits the look and each decision."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response

from lottocrm.auth.actors import describe_actors
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.errors import ServiceError
from lottocrm.identity.models import REVIEW_STATUSES
from lottocrm.identity.review import DECISION_LABELS, DECISIONS, FIELD_LABELS, decide, review_page
from lottocrm.web.deps import Db, acting, form_data, gettext_for, refusal_for, render, require

router = APIRouter(include_in_schema=False)
CanReview = Annotated[Principal, require(Permission.IDENTITY_REVIEW)]
ItemId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _status(text: str | None) -> str:
    return text if text in REVIEW_STATUSES else "pending"


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and len(text) <= 6 and int(text) > 0 else 1


def _show(
    request: Request,
    session: Db,
    principal: Principal,
    *,
    status: str,
    page: int,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    found = review_page(session, actor=acting(request), status=status, page=page, masked=principal.masked)
    context = {
        "queue": found,
        "statuses": REVIEW_STATUSES,
        "decisions": [(code, DECISION_LABELS[code]) for code in DECISIONS],
        "field_labels": FIELD_LABELS,
        "who": describe_actors(session, {c.item.decided_by for c in found.cards if c.item.decided_by}),
        "decided": request.query_params.get("decided") == "1",
        "error": error,
    }
    return render(request, "identity_review.html", context, status_code=status_code, principal=principal)


@router.get("/identity/review")
def review_queue(request: Request, principal: CanReview, session: Db) -> Response:
    status = _status(request.query_params.get("status"))
    return _show(
        request, session, principal, status=status, page=_page_number(request.query_params.get("page"))
    )


@router.post("/identity/review/{item_id}")
def review_decision(
    request: Request,
    item_id: ItemId,
    principal: CanReview,
    session: Db,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    status, page = _status(form.get("status")), _page_number(form.get("page"))
    try:
        with session.begin_nested():
            decide(
                session,
                actor=acting(request),
                item_id=item_id,
                decision=form.get("decision", ""),
                reason=form.get("reason"),
            )
    except ServiceError as exc:
        error = gettext_for(request)("Not saved: %s") % refusal_for(request, exc)
        return _show(
            request, session, principal, status=status, page=page, error=error, status_code=exc.http_status
        )
    return RedirectResponse(f"/identity/review?status={status}&page={page}&decided=1", status_code=303)
