"""Fresh planner statistics for tables a bulk step has just filled.

PostgreSQL plans from statistics that autovacuum refreshes later, in its own time: a statement that reads
100 000 rows written a second ago is planned as if there were one, and a nested loop over a sequential scan
that is right for one row takes minutes for 100 000 (a campaign launch did exactly that). SQLite plans from
its indexes and needs nothing here.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def refresh_statistics(session: Session, *tables: str) -> None:
    """ANALYZE ``tables`` on PostgreSQL (it samples a fixed number of rows: cheap on big tables too)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(text(f'ANALYZE "{table}"'))
