"""Looking after the contactability rows from the console: find the ones a writer left stale, recompute
them, or recompute all. Changes are audited under the person at the console."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from lottocrm.audit.service import Actor, record
from lottocrm.contact_policy import standing
from lottocrm.contact_policy.service import policy_in_force
from lottocrm.players.models import Player


@dataclass
class Checked:
    players: int = 0
    drifted: list[int] = field(default_factory=list)
    repaired: bool = False


def check_rows(connection: Connection, *, actor: Actor, repair: bool, batch: int = 2_000) -> Checked:
    """Compare every player's row with the row their facts give now; with ``repair``, recompute those that
    differ (audited)."""
    policy = policy_in_force(connection)[1]
    result, after = Checked(), 0
    while ids := list(
        connection.scalars(select(Player.id).where(Player.id > after).order_by(Player.id).limit(batch))
    ):
        result.drifted += standing.drifted(connection, ids, policy=policy)
        result.players += len(ids)
        after = ids[-1]
    if repair and result.drifted:
        standing.refresh(connection, result.drifted, policy=policy)
        detail = {"how": "repair", "drifted": len(result.drifted), "checked": result.players}
        record(connection, actor=actor, action="contact_policy.rows_rebuilt", detail=detail)
        result.repaired = True
    return result


def rebuild_rows(
    connection: Connection, *, actor: Actor, progress: Callable[[int, int], None] | None = None
) -> int:
    """Recompute every player's row (audited); how many were written. ``progress(done, total)`` after each
    range of players."""
    written = standing.rebuild(connection, policy=policy_in_force(connection)[1], progress=progress)
    record(
        connection,
        actor=actor,
        action="contact_policy.rows_rebuilt",
        detail={"how": "rebuild", "rows": written},
    )
    return written
