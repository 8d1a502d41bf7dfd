"""Writing and searching the audit log. Rows are added in the caller's transaction, so a change and the
record of it commit or roll back together.

Services that change state take the acting :class:`Actor` and record their own audit row; handlers only
build the actor (who, from where) and pass it on.
"""

from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.models import AuditEvent


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
    actor: str | None = None
    player_id: int | None = None
    action: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = 200


def search(session: Session, *, query: AuditQuery) -> list[AuditEvent]:
    stmt = select(AuditEvent)
    if query.actor:
        stmt = stmt.where(AuditEvent.actor == query.actor)
    if query.player_id is not None:
        stmt = stmt.where(AuditEvent.player_id == query.player_id)
    if query.action:
        stmt = stmt.where(AuditEvent.action == query.action)
    if query.since:
        stmt = stmt.where(AuditEvent.occurred_at >= query.since)
    if query.until:
        stmt = stmt.where(AuditEvent.occurred_at < query.until)
    stmt = stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(query.limit)
    return list(session.scalars(stmt))


def search_audited(session: Session, *, actor: Actor, query: AuditQuery) -> list[AuditEvent]:
    """Search the log and record the search in it (who looked for what)."""
    events = search(session, query=query)
    filters = {
        "actor": query.actor,
        "player_id": query.player_id,
        "action": query.action,
        "since": query.since.isoformat() if query.since else None,
        "until": query.until.isoformat() if query.until else None,
    }
    record(
        session,
        actor=actor,
        action="audit.search",
        player_id=query.player_id,
        detail={name: value for name, value in filters.items() if value is not None},
    )
    return events
