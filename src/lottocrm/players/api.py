"""JSON API for machine clients and UI scripts: search, the player 360, its timeline and older tickets and
wins, contact replacement and removal. Refusals of the services arrive as JSON with their code
(``lottocrm.web.errors``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.players import access
from lottocrm.players import service as players
from lottocrm.players.activity import Cursor as ActivityCursor
from lottocrm.players.params import IdentityId, PlayerId, lake_of
from lottocrm.players.profile import player_contacts
from lottocrm.players.schemas import IdentityOut, Player360, SearchResult, TicketOut, WinOut
from lottocrm.players.search import MAX_QUERY_LENGTH, SearchInputError
from lottocrm.players.timeline import DEFAULT_PAGE, MAX_PAGE, Cursor
from lottocrm.presentation.values import english
from lottocrm.web.deps import Db, acting, require
from lottocrm.web.errors import API_ERRORS

router = APIRouter(prefix="/players", tags=["players"], responses=API_ERRORS)


@router.get("", response_model=SearchResult)
def search(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_SEARCH)],
    session: Db,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_LENGTH)],
    page: Annotated[int, Query(ge=1, le=access.SEARCH_PAGES)] = 1,
) -> SearchResult:
    """Find players by phone (any format), e-mail, card number, name (Cyrillic, partial) or id; identity
    matches first, then names alphabetically, 50 a page. ``more``: ask for the next page; ``too_many``: more
    players match than the pages reach, so narrow the query."""
    try:
        found = access.search(session, actor=acting(request), query=q, masked=principal.masked, page=page)
    except SearchInputError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return SearchResult(query_kind=found.kind, hits=found.hits, more=found.more, too_many=found.too_many)


@router.get("/{player_id}", response_model=Player360)
def player(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_VIEW, hide=True)],
    session: Db,
    player_id: PlayerId,
) -> Player360:
    """Everything about one player; personal data masked for API keys and analysts."""
    return access.view_player(
        session,
        actor=acting(request),
        player_id=player_id,
        masked=principal.masked,
        lake=lake_of(request),
        panels=request.app.state.player_panels,
    )


class TimelineEntryOut(BaseModel):
    at: dt.datetime
    domain: str
    kind: str
    title: str
    detail: str | None
    link: str | None
    ref: str


class TimelineOut(BaseModel):
    entries: list[TimelineEntryOut]
    next: str | None = Field(description="Pass as `after` for the next (older) page; null on the last page.")
    failed_sources: list[str]


@router.get("/{player_id}/timeline", response_model=TimelineOut)
def timeline(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_VIEW, hide=True)],
    session: Db,
    player_id: PlayerId,
    after: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
) -> TimelineOut:
    """What happened to and with the player, newest first, from every domain: consents, contacts, loyalty."""
    try:
        cursor = Cursor.decode(after) if after else None
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    page = access.view_timeline(
        session,
        actor=acting(request),
        player_id=player_id,
        sources=request.app.state.timeline_sources,
        after=cursor,
        limit=limit,
    )
    return TimelineOut(
        entries=[
            TimelineEntryOut(
                at=entry.at,
                domain=entry.domain,
                kind=entry.kind,
                title=english(entry.title),
                detail=english(entry.detail) if entry.detail is not None else None,
                link=entry.link,
                ref=entry.key[1],
            )
            for entry in page.entries
        ],
        next=page.next.encode() if page.next else None,
        failed_sources=page.failed_sources,
    )


class OlderTickets(BaseModel):
    tickets: list[TicketOut]
    next: str | None = Field(description="Pass as `after` for the next (older) page; null on the last page.")


class OlderWins(BaseModel):
    wins: list[WinOut]
    next: str | None = Field(description="Pass as `after` for the next (older) page; null on the last page.")


@router.get("/{player_id}/activity/{table}", response_model=OlderTickets | OlderWins)
def older_activity(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_VIEW, hide=True)],
    session: Db,
    player_id: PlayerId,
    table: Literal["tickets", "wins"],
    after: Annotated[
        str,
        Query(
            max_length=60,
            description="`activity.older_tickets` (or `older_wins`) of the 360, or a page's `next`.",
        ),
    ],
) -> OlderTickets | OlderWins:
    """Older tickets or wins of the player than the 360 shows, 20 a page, newest first."""
    lake = lake_of(request)
    try:
        cursor = ActivityCursor.decode(after)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    if lake is None:
        raise HTTPException(status_code=404, detail="the fact lake is not available")
    rows, older = access.view_older_activity(
        session, actor=acting(request), player_id=player_id, lake=lake, table=table, before=cursor
    )
    following = older.encode() if older else None
    return (
        OlderTickets(tickets=rows, next=following)
        if table == "tickets"
        else OlderWins(wins=rows, next=following)
    )


class ContactChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=players.MIN_REASON, max_length=players.MAX_REASON)


class ContactReplacement(ContactChange):
    value: str = Field(min_length=1, max_length=254)


@router.put("/{player_id}/identities/{identity_id}", response_model=list[IdentityOut])
def replace_contact(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_EDIT, hide=True)],
    session: Db,
    player_id: PlayerId,
    identity_id: IdentityId,
    change: ContactReplacement,
) -> list[IdentityOut]:
    """Replace a phone or e-mail with a new one of the same kind (normalised); the old one goes to the
    contact history with who, when and why. Answers the player's contacts as they now are."""
    players.replace_identity(
        session,
        actor=acting(request),
        player_id=player_id,
        identity_id=identity_id,
        value=change.value,
        reason=change.reason,
    )
    return player_contacts(session, player_id=player_id, masked=principal.masked)


@router.delete("/{player_id}/identities/{identity_id}", response_model=list[IdentityOut])
def remove_contact(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_EDIT, hide=True)],
    session: Db,
    player_id: PlayerId,
    identity_id: IdentityId,
    change: ContactChange,
) -> list[IdentityOut]:
    """Remove a phone or e-mail (a reason in the body); it is kept in the contact history."""
    players.remove_identity(
        session, actor=acting(request), player_id=player_id, identity_id=identity_id, reason=change.reason
    )
    return player_contacts(session, player_id=player_id, masked=principal.masked)
