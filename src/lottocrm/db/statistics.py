"""Fresh planner statistics for tables a bulk step has just filled, and planner settings for bulk steps.

PostgreSQL plans from statistics that autovacuum refreshes later, in its own time: a statement that reads
100 000 rows written a second ago is planned as if there were one, and a nested loop over a sequential scan
that is right for one row takes minutes for 100 000 (a campaign launch did exactly that). SQLite plans from
its indexes and needs nothing here.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

# For the statements of one bulk transaction (a campaign's choice, a chunk of its queueing): the sorts and
# window functions over 10^5–10^6 rows fit in memory instead of spilling to temporary files (4 MB, the
# server's default, spilled every one of them: 1.5–2.5 s of a 200 000-player launch), and JIT, which
# compiles each large statement anew for a tenth of a second or more, stays off as in standing_sql.py.
BULK_SETTINGS = {"work_mem": "128MB", "jit": "off"}


def refresh_statistics(session: Session, *tables: str) -> None:
    """ANALYZE ``tables`` on PostgreSQL (it samples a fixed number of rows: cheap on big tables too)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(text(f'ANALYZE "{table}"'))


def plan_for_bulk(session: Session) -> None:
    """``BULK_SETTINGS`` on PostgreSQL until the end of the session's transaction (SET LOCAL)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for name, value in BULK_SETTINGS.items():
        session.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})
