"""Contact-centre screens: search, the player 360 and its timeline, and the operator's edits of contact data
and consents. Handlers parse the form, call the players services (which audit and announce) and turn a
refusal into a page."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from lottocrm import clock, vocab
from lottocrm.audit import service as audit
from lottocrm.audit.service import Actor
from lottocrm.audit.ui import SCOPES, audit_rows
from lottocrm.auth.actors import describe_actors
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.errors import ServiceError
from lottocrm.players import access, consents
from lottocrm.players import service as players
from lottocrm.players.activity import Cursor as ActivityCursor
from lottocrm.players.params import IdentityId, PlayerId, lake_of
from lottocrm.players.profile import CONSENT_HISTORY_LIMIT, player_contacts
from lottocrm.players.search import SearchInputError
from lottocrm.players.timeline import Cursor
from lottocrm.web.deps import Db, acting, form_data, gettext_for, refusal_for, render, require

router = APIRouter(include_in_schema=False)
# The notice an operator reads out before recording a consent given over the phone.
CALL_CENTRE_NOTICE = "call-centre-script-1"
EDITABLE_IDENTITY_KINDS = ("phone", "email", "card")
MAX_VALUE = 254


@router.get("/players")
def search_page(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_SEARCH)],
    session: Db,
    q: str = "",
    page: str = "1",
) -> Response:
    partial = request.headers.get("hx-request") == "true"
    template = "players/_results.html" if partial else "players/search.html"
    if not q.strip():
        return render(request, template, {"q": "", "found": None, "error": None})
    number = int(page) if page.isdigit() and 0 < len(page) <= 3 else 1
    try:
        found = access.search(session, actor=acting(request), query=q, masked=principal.masked, page=number)
    except SearchInputError as exc:
        _ = gettext_for(request)
        error = _("Cannot search: %s") % refusal_for(request, exc)
        return render(request, template, {"q": q[:200], "found": None, "error": error}, status_code=400)
    context = {"q": q, "found": found, "page": min(number, access.SEARCH_PAGES), "error": None}
    return render(request, template, context)


def _player_page(
    request: Request,
    session: Session,
    principal: Principal,
    player_id: int,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        view, timeline = access.view_player_page(
            session,
            actor=acting(request),
            player_id=player_id,
            masked=principal.masked,
            lake=lake_of(request),
            panels=request.app.state.player_panels,
            timeline=request.app.state.timeline_sources,
        )
    except players.PlayerNotFoundError:
        raise HTTPException(status_code=404, detail="no such player") from None
    # Who changed the player and who looked: shown to those who may edit them, beside their colleagues' work.
    access_log = (
        _access_log(session, player_id, tuple(SCOPES)) if principal.can(Permission.PLAYER_EDIT) else {}
    )
    return render(
        request,
        "players/player.html",
        {
            "p": view,
            "timeline": timeline,
            "error": error,
            "notice": notice,
            "access_log": access_log,
            "consent_history_limit": CONSENT_HISTORY_LIMIT,
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
    notice = request.query_params.get("saved") and "ok"
    if notice and request.query_params.get("warn") == "self_excluded":
        notice = "self_excluded"
    return _player_page(request, session, principal, player_id, notice=notice)


@router.get("/players/{player_id}/timeline")
def timeline_part(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_VIEW, hide=True)],
    session: Db,
    player_id: PlayerId,
    after: str = "",
) -> Response:
    """The next (older) page of the timeline, swapped in by htmx under the entries already shown."""
    try:
        cursor = Cursor.decode(after[:300]) if after else None
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    try:
        page = access.view_timeline(
            session,
            actor=acting(request),
            player_id=player_id,
            sources=request.app.state.timeline_sources,
            after=cursor,
        )
    except players.PlayerNotFoundError:
        raise HTTPException(status_code=404, detail="no such player") from None
    return render(request, "players/_timeline.html", {"player_id": player_id, "timeline": page})


@router.get("/players/{player_id}/activity/{table}")
def activity_part(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_VIEW, hide=True)],
    session: Db,
    player_id: PlayerId,
    table: Literal["tickets", "wins"],
    after: str,
) -> Response:
    """An older page of the player's tickets or wins, swapped in by htmx under the rows already shown."""
    lake = lake_of(request)
    try:
        cursor = ActivityCursor.decode(after[:60])
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    if lake is None:
        raise HTTPException(status_code=404, detail="not found")
    rows, older = access.view_older_activity(
        session, actor=acting(request), player_id=player_id, lake=lake, table=table, before=cursor
    )
    context = {
        "player_id": player_id,
        "table": table,
        "rows": rows,
        "older": older.encode() if older else None,
    }
    return render(request, "players/_activity.html", context)


# --- who changed and who looked at the player --------------------------------------------------------------
ACCESS_ROWS = 10


def _access_log(
    session: Session,
    player_id: int,
    scopes: Sequence[str],
    *,
    after: audit.Cursor | None = None,
    actor: Actor | None = None,
) -> dict[str, dict[str, object]]:
    """A page of the player's changes and of the looks at them, apart, so page views never push an edit out
    of sight; who acted is looked up once for both. The 360's first pages come with its own audited look;
    an older page is a search of the log and recorded as one (``actor``)."""
    pages = {}
    for scope in scopes:
        query = audit.AuditQuery(player_id=player_id, reads=SCOPES[scope])
        pages[scope] = (
            audit.search(session, query=query, after=after, limit=ACCESS_ROWS)
            if actor is None
            else audit.search_audited(session, actor=actor, query=query, after=after, limit=ACCESS_ROWS)
        )
    rows = iter(audit_rows(session, [event for page in pages.values() for event in page.events]))
    return {
        scope: {"scope": scope, "rows": list(islice(rows, len(page.events))), "next": page.next}
        for scope, page in pages.items()
    }


@router.get("/players/{player_id}/access/{scope}")
def access_part(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_EDIT, hide=True)],
    session: Db,
    player_id: PlayerId,
    scope: Literal["changes", "views"],
    after: str = "",
) -> Response:
    """An older page of the player's changes or views, swapped in by htmx under the rows already shown."""
    try:
        cursor = audit.Cursor.decode(after[:60]) if after else None
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    players.require_player(session, player_id)
    log = _access_log(session, player_id, (scope,), after=cursor, actor=acting(request))
    return render(request, "players/_access.html", {"player_id": player_id, "log": log[scope]})


def _refused(request: Request, exc: ServiceError) -> str:
    """A refusal as the operator reads it; a missing player is a 404 page, not a form error."""
    if isinstance(exc, players.PlayerNotFoundError):
        raise HTTPException(status_code=404, detail="no such player") from None
    _ = gettext_for(request)
    if isinstance(exc, players.IdentityTakenError):
        return _("Not saved: this contact already belongs to another player.")
    if isinstance(exc, players.IdentityNotFoundError):
        return _("Not saved: this contact is no longer on the player's record.")
    return _("Not saved: %s") % refusal_for(request, exc)


@router.post("/players/{player_id}/consents")
def change_consent(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_EDIT, hide=True)],
    session: Db,
    player_id: PlayerId,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    try:
        if form.get("granted") not in ("yes", "no"):
            raise players.PlayerServiceError("granted must be yes or no")
        # A savepoint: a refusal leaves nothing of the change behind in the page's own transaction.
        with session.begin_nested():
            consents.record_consent(
                session,
                actor=acting(request),
                player_id=player_id,
                purpose=form.get("purpose", ""),
                channel=form.get("channel", ""),
                granted=form["granted"] == "yes",
                source="call_centre",
                notice_version=CALL_CENTRE_NOTICE,
                occurred_at=clock.now(),
                reason=form.get("reason", ""),
            )
    except ServiceError as exc:
        error = _refused(request, exc)
        return _player_page(request, session, principal, player_id, status_code=exc.http_status, error=error)
    # The player's word is recorded, but the operator must know it changes nothing while they are excluded.
    excluded = form.get("purpose") == "advertising" and form["granted"] == "yes"
    if excluded and consents.self_exclusion_warning(session, player_id=player_id):
        return RedirectResponse(f"/players/{player_id}?saved=1&warn=self_excluded", status_code=303)
    return RedirectResponse(f"/players/{player_id}?saved=1", status_code=303)


@router.post("/players/{player_id}/identities")
def add_identity(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_EDIT, hide=True)],
    session: Db,
    player_id: PlayerId,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    kind, value = form.get("kind", ""), form.get("value", "")
    try:
        if kind not in EDITABLE_IDENTITY_KINDS or not 1 <= len(value) <= MAX_VALUE:
            raise players.PlayerServiceError(
                "choose phone, e-mail or card and enter a value of at most 254 characters"
            )
        with session.begin_nested():
            players.add_identity(
                session,
                actor=acting(request),
                player_id=player_id,
                kind=kind,
                value=value,
                reason=form.get("reason", ""),
            )
    except ServiceError as exc:
        error = _refused(request, exc)
        return _player_page(request, session, principal, player_id, status_code=exc.http_status, error=error)
    return RedirectResponse(f"/players/{player_id}?saved=1", status_code=303)


# --- replacing and removing a phone or e-mail --------------------------------------------------------------


def _contacts_context(session: Session, principal: Principal, player_id: int) -> dict[str, object]:
    editor = principal.can(Permission.PLAYER_EDIT)
    # Former contacts are personal data too: shown to those who may edit contacts, never masked away.
    former = players.former_identities(session, player_id=player_id) if editor else []
    return {
        "changeable_kinds": players.CHANGEABLE_IDENTITY_KINDS if editor else (),
        "former_identities": former,
        "former_limit": players.FORMER_IDENTITIES_SHOWN,
        "former_by": describe_actors(session, {f.changed_by for f in former}) if former else {},
    }


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
    new_value = form.get("value", "") if replace else None
    try:
        if new_value is not None and not 1 <= len(new_value) <= MAX_VALUE:
            raise players.InvalidIdentityError("enter a new value of 1–254 characters")
        # A savepoint: a refusal after the first write (a race for the new value) leaves nothing behind.
        with session.begin_nested():
            if new_value is None:
                players.remove_identity(
                    session,
                    actor=acting(request),
                    player_id=player_id,
                    identity_id=identity_id,
                    reason=form.get("reason", ""),
                )
            else:
                players.replace_identity(
                    session,
                    actor=acting(request),
                    player_id=player_id,
                    identity_id=identity_id,
                    value=new_value,
                    reason=form.get("reason", ""),
                )
    except ServiceError as exc:
        error = _refused(request, exc)
        return _contacts_answer(
            request, session, principal, player_id, error=error, status_code=exc.http_status
        )
    return _contacts_answer(request, session, principal, player_id)


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
