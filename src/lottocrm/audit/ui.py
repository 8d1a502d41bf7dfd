"""The admin's audit search. Every search of the log is itself written to the log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lottocrm import clock
from lottocrm.audit import service as audit
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.web.deps import Db, acting, gettext_for, render, require

router = APIRouter(include_in_schema=False)


def _query(actor: str, player_id: str, action: str, since: str, until: str) -> audit.AuditQuery:
    """Form values → query; raises ValueError with a message naming the bad field."""
    if len(actor) > 100 or len(action) > 60:
        raise ValueError("actor or action too long")
    pid = None
    if player_id.strip():
        if not player_id.strip().isdigit() or len(player_id.strip()) > 18:
            raise ValueError("player id must be a number")
        pid = int(player_id)

    def day(text: str, name: str) -> dt.date | None:
        if not text.strip():
            return None
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(f"{name}: a date like 2026-11-22") from None

    # Dates are the operator's days, as the page shows times: "since 22 November" starts at local midnight.
    since_day, until_day = day(since, "since"), day(until, "until")
    return audit.AuditQuery(
        actor=actor.strip() or None,
        player_id=pid,
        action=action.strip() or None,
        since=clock.day_bounds(since_day)[0] if since_day else None,
        until=clock.day_bounds(until_day)[1] if until_day else None,
    )


@router.get("/audit")
def audit_page(
    request: Request,
    principal: Annotated[Principal, require(Permission.AUDIT_VIEW)],
    session: Db,
    actor: str = "",
    player_id: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    filters = {
        "actor": actor[:100],
        "player_id": player_id[:20],
        "action": action[:60],
        "since": since[:10],
        "until": until[:10],
    }
    try:
        query = _query(actor, player_id, action, since, until)
    except ValueError as exc:
        _ = gettext_for(request)
        return render(
            request,
            "audit.html",
            {"events": [], "filters": filters, "error": _("Cannot search: %s") % exc},
            status_code=400,
        )
    events = audit.search_audited(session, actor=acting(request), query=query)
    return render(request, "audit.html", {"events": events, "filters": filters, "error": None})
