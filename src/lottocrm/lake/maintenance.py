"""Lake upkeep that changes what is stored — compaction and vacuum — recorded in the audit log.

Each step works on the files first (the lake's own atomic commit), then writes its audit row in a short
transaction of its own: the record follows the change, it never claims one that did not happen.
"""

from __future__ import annotations

from sqlalchemy import Engine

from lottocrm.audit.service import Actor, record
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.lake.writer import BatchRecord


def compact(lake: Lake, *, engine: Engine, actor: Actor, table: str, target_rows: int) -> BatchRecord | None:
    """Merge the table's small batches; None when there was nothing to merge (and nothing is recorded)."""
    merged = lake.compact(table, target_rows=target_rows)
    if merged is not None:
        with transaction(engine) as session:
            record(
                session,
                actor=actor,
                action="lake.compact",
                detail={
                    "table": table,
                    "batches_merged": len(merged.supersedes),
                    "files": len(merged.files),
                    "rows": merged.rows,
                },
            )
    return merged


def vacuum(lake: Lake, *, engine: Engine, actor: Actor, table: str) -> int:
    """Delete the table's files no live batch lists; returns how many went."""
    removed = lake.vacuum(table)
    if removed:
        with transaction(engine) as session:
            record(session, actor=actor, action="lake.vacuum", detail={"table": table, "files": len(removed)})
    return len(removed)
