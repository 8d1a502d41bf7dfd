"""``INSERT … ON CONFLICT DO NOTHING`` on both dialects: SQLAlchemy has the construct per dialect only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_insert(session: Session | Connection, table: Any) -> Any:
    """The dialect's own INSERT of ``table`` (a mapped class or a table), which knows ON CONFLICT."""
    name = session.get_bind().dialect.name if isinstance(session, Session) else session.dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(table)


def insert_ignoring_conflicts(
    session: Session | Connection, table: Any, index_elements: Sequence[str] | None = None
) -> Any:
    """An INSERT that skips rows conflicting on ``index_elements`` (any unique constraint if None) instead of
    failing: a duplicate must not abort the caller's transaction as an IntegrityError would."""
    return dialect_insert(session, table).on_conflict_do_nothing(index_elements=index_elements)
