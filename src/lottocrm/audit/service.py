"""Writing and searching the audit log. Rows are added in the caller's transaction, so a change and the
record of it commit or roll back together."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.audit.models import AuditEvent


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    player_id: int | None = None,
    detail: dict | None = None,
    ip: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        occurred_at=dt.datetime.now(dt.UTC),
        actor=actor,
        action=action,
        player_id=player_id,
        detail=detail or {},
        ip=ip,
    )
    session.add(event)
    return event


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
