"""The public unsubscribe page: no sign-in, the signed link is the authority.

GET shows what will stop and a button (mail scanners follow links: a GET never withdraws anything); POST
withdraws, from the button or from a mail client's RFC 8058 one-click request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select

from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.messaging import unsubscribe as links
from lottocrm.messaging.sandbox import GATEWAYS, SandboxMessage
from lottocrm.web.deps import Db, form_data, render, require

router = APIRouter(include_in_schema=False)
SANDBOX_PER_PAGE = 50


def _request(request: Request, token: str) -> links.Unsubscribe:
    return links.read_token(links.secret_key(request.app.state.settings), token[:200])


@router.get("/unsubscribe/{token}")
def unsubscribe_page(request: Request, token: str) -> Response:
    asked = _request(request, token)
    return render(request, "unsubscribe.html", {"channel": asked.channel, "token": token, "done": None})


@router.post("/unsubscribe/{token}")
def unsubscribe_now(
    request: Request, session: Db, token: str, form: Annotated[dict[str, str], Depends(form_data)]
) -> Response:
    asked = _request(request, token)
    changed = links.unsubscribe(session, asked)
    return render(request, "unsubscribe.html", {"channel": asked.channel, "token": token, "done": changed})


@router.get("/sandbox")
def sandbox_page(
    request: Request, principal: Annotated[Principal, require(Permission.POLICY_VIEW)], session: Db
) -> Response:
    """What the local gateways received, newest first, paged by id."""
    gateway = request.query_params.get("gateway", "")
    before = request.query_params.get("before", "")
    query = select(SandboxMessage).order_by(SandboxMessage.id.desc()).limit(SANDBOX_PER_PAGE + 1)
    if gateway in GATEWAYS:
        query = query.where(SandboxMessage.gateway == gateway)
    if before.isdigit() and len(before) <= 19:
        query = query.where(SandboxMessage.id < int(before))
    rows = session.scalars(query).all()
    context = {
        "rows": rows[:SANDBOX_PER_PAGE],
        "older": rows[SANDBOX_PER_PAGE - 1].id if len(rows) > SANDBOX_PER_PAGE else None,
        "gateway": gateway if gateway in GATEWAYS else "",
        "gateways": GATEWAYS,
    }
    return render(request, "sandbox.html", context, principal=principal)
