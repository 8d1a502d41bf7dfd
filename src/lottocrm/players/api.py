"""JSON API for machine clients and UI scripts: search, the player 360, contact replacement and removal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.players import service as players
from lottocrm.players.profile import player_contacts
from lottocrm.players.schemas import IdentityOut, Player360, SearchResult
from lottocrm.players.search import MAX_QUERY_LENGTH, SearchInputError
from lottocrm.players.ui import IdentityId, PlayerId, change_contact, load_player_view, run_search
from lottocrm.web.deps import Db, require

router = APIRouter(prefix="/players", tags=["players"])


@router.get("", response_model=SearchResult)
def search(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_SEARCH)],
    session: Db,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_LENGTH)],
) -> SearchResult:
    """Find players by phone (any format), e-mail, card number, name (Cyrillic, partial) or id."""
    try:
        kind, hits = run_search(request, session, principal, q)
    except SearchInputError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return SearchResult(query_kind=kind, hits=hits)


@router.get("/{player_id}", response_model=Player360)
def player(
    request: Request,
    principal: Annotated[Principal, require(Permission.PLAYER_VIEW, hide=True)],
    session: Db,
    player_id: PlayerId,
) -> Player360:
    """Everything about one player; personal data masked for API keys and analysts."""
    return load_player_view(request, session, principal, player_id)


class ContactChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=players.MIN_REASON, max_length=players.MAX_REASON)


class ContactReplacement(ContactChange):
    value: str = Field(min_length=1, max_length=254)


def _change(
    request: Request,
    session: Session,
    principal: Principal,
    player_id: int,
    identity_id: int,
    change: ContactChange,
) -> list[IdentityOut]:
    try:
        with session.begin_nested():
            change_contact(
                request,
                session,
                principal,
                player_id=player_id,
                identity_id=identity_id,
                reason=change.reason,
                new_value=change.value if isinstance(change, ContactReplacement) else None,
            )
    except (players.PlayerNotFoundError, players.IdentityNotFoundError) as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except players.IdentityTakenError:
        raise HTTPException(
            status_code=409, detail="this contact already belongs to another player"
        ) from None
    except players.PlayerServiceError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return player_contacts(session, player_id=player_id, masked=principal.masked)


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
    return _change(request, session, principal, player_id, identity_id, change)


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
    return _change(request, session, principal, player_id, identity_id, change)
