"""Writing and searching the audit log. Rows are added in the caller's transaction, so a change and the
record of it commit or roll back together.

Services that change state take the acting :class:`Actor` and record their own audit row; handlers only
build the actor (who, from where) and pass it on.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, Select, and_, insert, or_, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.actions import READS
from lottocrm.audit.models import AuditEvent
from lottocrm.presentation.paging import MomentCursor as Cursor


@dataclass(frozen=True)
class Actor:
    """Who acts: ``user:ivanova``, ``apikey:3f9a…``, ``cli:root``, ``job:loyalty.expire_lots``; and from
    which address, when over the network."""

    name: str
    ip: str | None = None

    @property
    def is_person(self) -> bool:
        """A member of staff (in the UI or at the console), whose changes must say why."""
        return self.name.startswith(("user:", "cli:"))

    @classmethod
    def console(cls, by: str | None = None) -> Actor:
        """Someone at the server's command line: the name they give (``--by``), else the operating-system
        account they use."""
        if by is None or not by.strip():
            try:
                by = getpass.getuser()
            except (KeyError, OSError):
                by = "unknown"
        return cls(f"cli:{by.strip()[:95]}")

    @classmethod
    def job(cls, kind: str) -> Actor:
        return cls(f"job:{kind}")


def record(
    session: Session | Connection,
    *,
    actor: Actor,
    action: str,
    player_id: int | None = None,
    detail: dict | None = None,
) -> None:
    """Add one row in the caller's transaction (a Session, or the Connection of a bulk load)."""
    session.execute(
        insert(AuditEvent).values(
            occurred_at=clock.now(),
            actor=actor.name,
            action=action,
            player_id=player_id,
            detail=detail or {},
            ip=actor.ip,
        )
    )


@dataclass(frozen=True)
class AuditQuery:
    """Which rows: each filter given narrows the search. ``actors`` is who may have acted (none matched: an
    empty tuple finds nothing); ``reads`` keeps only looks (True) or only changes (False)."""

    actors: tuple[str, ...] | None = None
    player_id: int | None = None
    action: str | None = None
    reads: bool | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def filters(self) -> dict[str, object]:
        """The filters given, as the audit row of a search or an export records them."""
        given = {
            "actor": list(self.actors) if self.actors is not None else None,
            "player_id": self.player_id,
            "action": self.action,
            "scope": None if self.reads is None else "views" if self.reads else "changes",
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {name: value for name, value in given.items() if value is not None}


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    next: Cursor | None


PAGE_SIZE = 50


def _statement(query: AuditQuery) -> Select:
    stmt = select(AuditEvent)
    if query.actors is not None:
        stmt = stmt.where(AuditEvent.actor.in_(query.actors))
    if query.player_id is not None:
        stmt = stmt.where(AuditEvent.player_id == query.player_id)
    if query.action:
        stmt = stmt.where(AuditEvent.action == query.action)
    if query.reads is not None:
        stmt = stmt.where(AuditEvent.action.in_(READS) if query.reads else AuditEvent.action.not_in(READS))
    if query.since:
        stmt = stmt.where(AuditEvent.occurred_at >= query.since)
    if query.until:
        stmt = stmt.where(AuditEvent.occurred_at < query.until)
    return stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def _older_than(stmt: Select, cursor: Cursor | None) -> Select:
    if cursor is None:
        return stmt
    return stmt.where(
        or_(
            AuditEvent.occurred_at < cursor.at,
            and_(AuditEvent.occurred_at == cursor.at, AuditEvent.id < cursor.id),
        )
    )


def search(
    session: Session, *, query: AuditQuery, after: Cursor | None = None, limit: int = PAGE_SIZE
) -> AuditPage:
    """One page of matching rows, newest first, and where the next (older) page starts."""
    rows = list(session.scalars(_older_than(_statement(query), after).limit(limit + 1)))
    page = rows[:limit]
    more = len(rows) > limit and page
    return AuditPage(events=page, next=Cursor(at=page[-1].occurred_at, id=page[-1].id) if more else None)


def search_audited(
    session: Session, *, actor: Actor, query: AuditQuery, after: Cursor | None = None, limit: int = PAGE_SIZE
) -> AuditPage:
    """Search the log and record the search in it (who looked for what)."""
    page = search(session, query=query, after=after, limit=limit)
    detail = {**query.filters(), **({"after": after.encode()} if after else {})}
    record(session, actor=actor, action="audit.search", player_id=query.player_id, detail=detail)
    return page


EXPORT_BATCH = 1000


def export_audited(session: Session, *, actor: Actor, query: AuditQuery) -> Iterator[AuditEvent]:
    """Every matching row, newest first, read in batches as the caller consumes them in this transaction.
    The export is recorded at once, before any row is read (the function is not itself a generator)."""
    record(session, actor=actor, action="audit.export", player_id=query.player_id, detail=query.filters())
    return _batched(session, _statement(query))


def _batched(session: Session, statement: Select) -> Iterator[AuditEvent]:
    cursor: Cursor | None = None
    while True:
        batch = list(session.scalars(_older_than(statement, cursor).limit(EXPORT_BATCH)))
        yield from batch
        if len(batch) < EXPORT_BATCH:
            return
        cursor = Cursor(at=batch[-1].occurred_at, id=batch[-1].id)
