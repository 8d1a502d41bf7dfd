"""Every look at player data goes through here, and each look leaves an audit row in the caller's
transaction: who searched (what kind of query, which players it revealed), who opened which 360, who paged
back through a player's timeline, tickets or wins. The UI and the API call the same functions, so neither
can forget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor
from lottocrm.audit.service import record as audit
from lottocrm.catalog.models import Game
from lottocrm.lake.store import Lake
from lottocrm.players.activity import Cursor as ActivityCursor
from lottocrm.players.activity import older_activity
from lottocrm.players.contrib import PanelProvider, TimelineSource
from lottocrm.players.models import Player
from lottocrm.players.profile import player_360, search_hits
from lottocrm.players.schemas import Player360, SearchHit, TicketOut, WinOut
from lottocrm.players.search import DEFAULT_LIMIT as SEARCH_PAGE
from lottocrm.players.search import MAX_RESULTS, search_players
from lottocrm.players.service import PlayerNotFoundError
from lottocrm.players.timeline import DEFAULT_PAGE, Cursor, TimelinePage, timeline_page

SEARCH_PAGES = MAX_RESULTS // SEARCH_PAGE


@dataclass(frozen=True)
class SearchPage:
    kind: str
    hits: list[SearchHit]
    # A next page exists; or more players match than a person can page through (they narrow the query).
    more: bool
    too_many: bool


def search(session: Session, *, actor: Actor, query: str, masked: bool, page: int = 1) -> SearchPage:
    """One page (1…SEARCH_PAGES) of a search; raises SearchInputError on a query that cannot mean anything."""
    offset = (min(max(page, 1), SEARCH_PAGES) - 1) * SEARCH_PAGE
    criteria, ids = search_players(session, query=query, limit=SEARCH_PAGE + 1, offset=offset)
    hits = search_hits(session, player_ids=ids[:SEARCH_PAGE], masked=masked)
    kind = "email" if criteria.email else "name" if criteria.name_words else "number"
    # The query itself is personal data; the log keeps what kind it was and which players it revealed.
    detail: dict[str, object] = {"kind": kind, "shown": [hit.player_id for hit in hits]}
    if offset:
        detail["page"] = offset // SEARCH_PAGE + 1
    audit(session, actor=actor, action="player.search", detail=detail)
    beyond, at_the_end = len(ids) > SEARCH_PAGE, offset + SEARCH_PAGE >= MAX_RESULTS
    return SearchPage(kind=kind, hits=hits, more=beyond and not at_the_end, too_many=beyond and at_the_end)


def view_player(
    session: Session,
    *,
    actor: Actor,
    player_id: int,
    masked: bool,
    lake: Lake | None,
    panels: Sequence[PanelProvider],
) -> Player360:
    view = player_360(session, player_id=player_id, masked=masked, lake=lake, panels=panels)
    if view is None:
        raise PlayerNotFoundError("no player with id %(player_id)s", player_id=player_id)
    audit(session, actor=actor, action="player.view", player_id=player_id, detail={"masked": masked})
    return view


def view_player_page(
    session: Session,
    *,
    actor: Actor,
    player_id: int,
    masked: bool,
    lake: Lake | None,
    panels: Sequence[PanelProvider],
    timeline: Sequence[TimelineSource],
) -> tuple[Player360, TimelinePage]:
    """The 360 with the first page of its timeline: one look, one audit row."""
    view = view_player(session, actor=actor, player_id=player_id, masked=masked, lake=lake, panels=panels)
    return view, timeline_page(session, player_id=player_id, sources=timeline)


def view_timeline(
    session: Session,
    *,
    actor: Actor,
    player_id: int,
    sources: Sequence[TimelineSource],
    after: Cursor | None = None,
    limit: int = DEFAULT_PAGE,
) -> TimelinePage:
    """An older page of the timeline, looked at after the 360 itself."""
    if session.get(Player, player_id) is None:
        raise PlayerNotFoundError("no player with id %(player_id)s", player_id=player_id)
    page = timeline_page(session, player_id=player_id, sources=sources, after=after, limit=limit)
    audit(
        session,
        actor=actor,
        action="player.timeline",
        player_id=player_id,
        detail={"after": after.encode() if after else None, "shown": len(page.entries)},
    )
    return page


def view_older_activity(
    session: Session, *, actor: Actor, player_id: int, lake: Lake, table: str, before: ActivityCursor
) -> tuple[list[TicketOut] | list[WinOut], ActivityCursor | None]:
    """An older page of the player's tickets or wins, looked at after the 360 itself."""
    if session.get(Player, player_id) is None:
        raise PlayerNotFoundError("no player with id %(player_id)s", player_id=player_id)
    game_names = {gid: name for gid, name in session.execute(select(Game.id, Game.name))}
    rows, older = older_activity(lake, player_id=player_id, table=table, before=before, game_names=game_names)
    audit(
        session,
        actor=actor,
        action="player.tickets" if table == "tickets" else "player.wins",
        player_id=player_id,
        detail={"after": before.encode(), "shown": len(rows)},
    )
    return rows, older
