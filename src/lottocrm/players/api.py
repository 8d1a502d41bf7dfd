"""JSON API for machine clients and the UI's scripts: search and the player 360."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.players.schemas import Player360, SearchResult
from lottocrm.players.search import MAX_QUERY_LENGTH, SearchInputError
from lottocrm.players.ui import PlayerId, load_player_view, run_search
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
