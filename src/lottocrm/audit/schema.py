"""Schema changes of the operational store, recorded in the audit log like any other change of state.

The audit table is itself part of the schema, so each change is recorded after it is made, when the table
is there to hold the record (a downgrade past the audit log's creation leaves no one to tell).
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from lottocrm.audit.models import AuditEvent
from lottocrm.audit.service import Actor, record
from lottocrm.db import migrate
from lottocrm.db.engine import transaction


def _revisions(engine: Engine) -> list[str]:
    return sorted(migrate.current_revisions(engine))


def _record(engine: Engine, *, actor: Actor, action: str, before: list[str]) -> None:
    after = _revisions(engine)
    if after == before or not inspect(engine).has_table(AuditEvent.__tablename__):
        return
    with transaction(engine) as session:
        record(session, actor=actor, action=action, detail={"from": before, "to": after})


def upgrade(engine: Engine, *, actor: Actor, revision: str = "heads") -> None:
    """Create the schema or migrate it forward; recorded when a revision was applied."""
    before = _revisions(engine)
    migrate.upgrade(engine, revision)
    _record(engine, actor=actor, action="db.upgrade", before=before)


def downgrade(engine: Engine, *, actor: Actor, revision: str) -> None:
    before = _revisions(engine)
    migrate.downgrade(engine, revision)
    _record(engine, actor=actor, action="db.downgrade", before=before)
