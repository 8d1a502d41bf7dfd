"""The public unsubscribe page: no sign-in, the signed link is the authority.

GET shows what will stop and a button (mail scanners follow links: a GET never withdraws anything); POST
withdraws, from the button or from a mail client's RFC 8058 one-click request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from lottocrm.messaging import unsubscribe as links
from lottocrm.web.deps import Db, form_data, render

router = APIRouter()


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
