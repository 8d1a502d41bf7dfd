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
from lottocrm.players.profile import player_360, player_contacts, search_hits
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
            **_contacts_context(session, principal, player_id),
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


# --- replacing and removing a phone or e-mail --------------------------------------------------------------


def _contacts_context(session: Session, principal: Principal, player_id: int) -> dict[str, object]:
    editor = principal.can(Permission.PLAYER_EDIT)
    return {
        "changeable_kinds": players.CHANGEABLE_IDENTITY_KINDS if editor else (),
        # Former contacts are personal data too: shown to those who may edit contacts, never masked away.
        "former_identities": players.former_identities(session, player_id=player_id) if editor else [],
    }


def change_contact(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    player_id: int,
    identity_id: int,
    reason: str,
    new_value: str | None,
) -> None:
    """Replace (``new_value`` given) or remove one phone or e-mail, and audit it in the same transaction.
    Raises the services' errors unchanged; the caller turns them into a page or a JSON refusal."""
    if new_value is None:
        former = players.remove_identity(
            session, player_id=player_id, identity_id=identity_id, actor=principal.actor, reason=reason
        )
        detail: dict[str, object] = {}
    else:
        former, new = players.replace_identity(
            session,
            player_id=player_id,
            identity_id=identity_id,
            value=new_value,
            actor=principal.actor,
            reason=reason,
        )
        detail = {"new_value": mask_identity(new.kind, new.value)}
    audit.record(
        session,
        actor=principal.actor,
        action=f"player.identity.{former.change[:-1]}",
        player_id=player_id,
        ip=client_ip(request),
        detail={
            "kind": former.kind,
            "value": mask_identity(former.kind, former.value),
            **detail,
            "reason": former.reason,
            "history_id": former.id,
        },
    )


def _contacts_answer(
    request: Request,
    session: Session,
    principal: Principal,
    player_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """htmx swaps the contacts block in place; a browser without script gets the whole page back."""
    if request.headers.get("hx-request") != "true":
        if error is None:
            return RedirectResponse(f"/players/{player_id}?saved=1", status_code=303)
        return _player_page(request, session, principal, player_id, status_code=status_code, error=error)
    context = {
        "player_id": player_id,
        "identities": player_contacts(session, player_id=player_id, masked=principal.masked),
        "contact_error": error,
        "contact_saved": error is None,
        **_contacts_context(session, principal, player_id),
    }
    return render(request, "players/_contacts.html", context, status_code=status_code)


IdentityId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _contact_form_change(
    request: Request,
    session: Session,
    principal: Principal,
    player_id: int,
    identity_id: int,
    form: dict[str, str],
    *,
    replace: bool,
) -> Response:
    _ = gettext_for(request)
    new_value = form.get("value", "") if replace else None
    try:
        if new_value is not None and not 1 <= len(new_value) <= 254:
            raise ValueError("enter a new value of 1–254 characters")
        # A savepoint: a refusal after the first write (a race for the new value) leaves nothing behind.
        with session.begin_nested():
            change_contact(
                request,
                session,
                principal,
                player_id=player_id,
                identity_id=identity_id,
                reason=form.get("reason", ""),
                new_value=new_value,
            )
    except players.PlayerNotFoundError:
        raise HTTPException(status_code=404, detail="no such player") from None
    except players.IdentityNotFoundError:
        error, status_code = _("Not saved: this contact is no longer on the player's record."), 404
    except players.IdentityTakenError:
        error, status_code = _("Not saved: this contact already belongs to another player."), 409
    except (ValueError, players.PlayerServiceError) as exc:
        error, status_code = _("Not saved: %s") % exc, 400
    else:
        return _contacts_answer(request, session, principal, player_id)
    return _contacts_answer(request, session, principal, player_id, error=error, status_code=status_code)


@router.post("/players/{player_id}/identities/{identity_id}/replace")
def replace_contact(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_EDIT, hide=True)],
    session: Db,
    player_id: PlayerId,
    identity_id: IdentityId,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    return _contact_form_change(request, session, principal, player_id, identity_id, form, replace=True)


@router.post("/players/{player_id}/identities/{identity_id}/remove")
def remove_contact(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_EDIT, hide=True)],
    session: Db,
    player_id: PlayerId,
    identity_id: IdentityId,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    return _contact_form_change(request, session, principal, player_id, identity_id, form, replace=False)
