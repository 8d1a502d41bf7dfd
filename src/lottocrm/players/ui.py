"""Contact-centre screens: search, the player 360, and the operator's edits of contact data and consents."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from lottocrm import vocab
from lottocrm.audit import service as audit
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.lake.store import Lake
from lottocrm.players import service as players
from lottocrm.players.profile import player_360, search_hits
from lottocrm.players.schemas import Player360, SearchHit, mask_identity
from lottocrm.players.search import SearchInputError, search_players
from lottocrm.web.deps import Db, form_data, gettext_for, render, require
from lottocrm.web.security import client_ip

router = APIRouter(include_in_schema=False)
PlayerId = Annotated[int, Path(ge=1, le=2**63 - 1)]
# The notice an operator reads out before recording a consent given over the phone.
CALL_CENTRE_NOTICE = "call-centre-script-1"
EDITABLE_IDENTITY_KINDS = ("phone", "email", "card")
MAX_REASON = 500


def lake_of(request: Request) -> Lake | None:
    path = request.app.state.settings.lake_path
    return Lake(path) if path.is_dir() else None


def run_search(
    request: Request, session: Session, principal: Principal, query: str
) -> tuple[str, list[SearchHit]]:
    """Search, audit which players were shown to whom, return (kind, hits)."""
    criteria, ids = search_players(session, query=query)
    hits = search_hits(session, player_ids=ids, masked=principal.masked)
    kind = "email" if criteria.email else "name" if criteria.name_words else "number"
    # The query itself is personal data; the log keeps what kind it was and which players it revealed.
    audit.record(
        session,
        actor=principal.actor,
        action="player.search",
        ip=client_ip(request),
        detail={"kind": kind, "shown": [h.player_id for h in hits]},
    )
    return kind, hits


@router.get("/players")
def search_page(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_SEARCH)],
    session: Db,
    q: str = "",
) -> Response:
    partial = request.headers.get("hx-request") == "true"
    template = "players/_results.html" if partial else "players/search.html"
    if not q.strip():
        return render(request, template, {"q": "", "hits": None, "error": None})
    try:
        _kind, hits = run_search(request, session, principal, q)
    except SearchInputError as exc:
        _ = gettext_for(request)
        return render(
            request,
            template,
            {"q": q[:200], "hits": None, "error": _("Cannot search: %s") % exc},
            status_code=400,
        )
    return render(request, template, {"q": q, "hits": hits, "error": None})


def load_player_view(request: Request, session: Session, principal: Principal, player_id: int) -> Player360:
    view = player_360(session, player_id=player_id, masked=principal.masked, lake=lake_of(request))
    if view is None:
        raise HTTPException(status_code=404, detail="no such player")
    audit.record(
        session,
        actor=principal.actor,
        action="player.view",
        player_id=player_id,
        ip=client_ip(request),
        detail={"masked": principal.masked},
    )
    return view


def _player_page(
    request: Request,
    session,
    principal: Principal,
    player_id: int,
    *,  # type: ignore[no-untyped-def]
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    view = load_player_view(request, session, principal, player_id)
    recent_audit = (
        audit.search(session, query=audit.AuditQuery(player_id=player_id, limit=10))
        if principal.can(Permission.AUDIT_VIEW) or principal.can(Permission.PLAYER_EDIT)
        else []
    )
    return render(
        request,
        "players/player.html",
        {
            "p": view,
            "error": error,
            "notice": notice,
            "recent_audit": recent_audit,
            "consent_purposes": vocab.CONSENT_PURPOSES,
            "consent_channels": vocab.CONSENT_CHANNELS,
            "identity_kinds": EDITABLE_IDENTITY_KINDS,
        },
        status_code=status_code,
    )


@router.get("/players/{player_id}")
def player_page(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_VIEW, hide=True)],
    session: Db,
    player_id: PlayerId,
) -> Response:
    return _player_page(
        request, session, principal, player_id, notice=request.query_params.get("saved") and "ok"
    )


def _reason(form: dict[str, str]) -> str:
    reason = form.get("reason", "").strip()
    if not 3 <= len(reason) <= MAX_REASON:
        raise ValueError(f"a reason of 3–{MAX_REASON} characters is required")
    return reason


@router.post("/players/{player_id}/consents")
def change_consent(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_EDIT, hide=True)],
    session: Db,
    player_id: PlayerId,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    _ = gettext_for(request)
    try:
        reason = _reason(form)
        purpose, channel = form.get("purpose", ""), form.get("channel", "")
        if form.get("granted") not in ("yes", "no"):
            raise ValueError("granted must be yes or no")
        granted = form["granted"] == "yes"
        players.record_consent(
            session,
            player_id=player_id,
            purpose=purpose,
            channel=channel,
            granted=granted,
            source="call_centre",
            notice_version=CALL_CENTRE_NOTICE,
            occurred_at=dt.datetime.now(dt.UTC),
        )
    except players.PlayerNotFoundError:
        raise HTTPException(status_code=404, detail="no such player") from None
    except (ValueError, players.PlayerServiceError) as exc:
        return _player_page(
            request, session, principal, player_id, status_code=400, error=_("Not saved: %s") % exc
        )
    audit.record(
        session,
        actor=principal.actor,
        action="player.consent.change",
        player_id=player_id,
        ip=client_ip(request),
        detail={"purpose": purpose, "channel": channel, "granted": granted, "reason": reason},
    )
    return RedirectResponse(f"/players/{player_id}?saved=1", status_code=303)


@router.post("/players/{player_id}/identities")
def add_identity(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_EDIT, hide=True)],
    session: Db,
    player_id: PlayerId,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    _ = gettext_for(request)
    try:
        reason = _reason(form)
        kind, value = form.get("kind", ""), form.get("value", "")
        if kind not in EDITABLE_IDENTITY_KINDS or not 1 <= len(value) <= 254:
            raise ValueError("choose phone, e-mail or card and enter a value of at most 254 characters")
        identity = players.add_identity(session, player_id=player_id, kind=kind, value=value)
    except players.PlayerNotFoundError:
        raise HTTPException(status_code=404, detail="no such player") from None
    except players.IdentityTakenError:
        return _player_page(
            request,
            session,
            principal,
            player_id,
            status_code=409,
            error=_("Not saved: this contact already belongs to another player."),
        )
    except (ValueError, players.PlayerServiceError) as exc:
        return _player_page(
            request, session, principal, player_id, status_code=400, error=_("Not saved: %s") % exc
        )
    audit.record(
        session,
        actor=principal.actor,
        action="player.identity.add",
        player_id=player_id,
        ip=client_ip(request),
        detail={"kind": kind, "value": mask_identity(kind, identity.value), "reason": reason},
    )
    return RedirectResponse(f"/players/{player_id}?saved=1", status_code=303)
