"""Which player each history row names: by ``player_id``, or by a phone or e-mail among the players'
identities. Whole columns at a time: the distinct values are looked up in chunks, then spread back.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, select

from lottocrm.ingest.context import CheckContext, mask
from lottocrm.ingest.validate import Finding
from lottocrm.players.models import Player, PlayerIdentity

PROBE_CHUNK = 5_000
_IDENTITY_COLUMNS = ("phone", "email")


def resolve_players(data: pa.Table, ctx: CheckContext) -> tuple[pa.Array, list[Finding]]:
    """The player id of each row (null where it cannot be told) and what is wrong where it cannot."""
    findings: list[Finding] = []
    given = data["player_id"].combine_chunks()
    named = mask(pc.is_valid(given))
    known = ctx.store_has_ints(Player.__table__, "id", given)
    findings.append(Finding("player_id", "unknown player", named & ~known))
    resolved = pc.if_else(pa.array(known), given, pa.scalar(None, pa.int64()))
    anything = named.copy()
    for kind in _IDENTITY_COLUMNS:
        values = data[kind].combine_chunks()
        present = mask(pc.is_valid(values))
        anything |= present
        owners = _owners(ctx.connection, kind, values)
        findings.append(
            Finding(kind, f"no player has this {_label(kind)}", present & mask(pc.is_null(owners)))
        )
        disagree = mask(pc.and_(pc.is_valid(resolved), pc.not_equal(resolved, owners)))
        findings.append(Finding(kind, "names another player than the row's other identifiers", disagree))
        resolved = pc.coalesce(resolved, owners)
    findings.append(Finding("player_id", "no player named: give player_id, phone or email", ~anything))
    return resolved, findings


def _label(kind: str) -> str:
    return "e-mail" if kind == "email" else kind


def _owners(connection: Connection, kind: str, values: pa.Array) -> pa.Array:
    """The player whose ``kind`` identity each value is (null where none is), probing distinct values."""
    distinct = pc.unique(pc.drop_null(values)).to_pylist()
    found: dict[str, int] = {}
    for start in range(0, len(distinct), PROBE_CHUNK):
        chunk = distinct[start : start + PROBE_CHUNK]
        rows = connection.execute(
            select(PlayerIdentity.value, PlayerIdentity.player_id).where(
                PlayerIdentity.kind == kind, PlayerIdentity.value.in_(chunk)
            )
        )
        found.update({value: player for value, player in rows})
    if not found:
        return pa.nulls(len(values), pa.int64())
    keys = pa.array(list(found), pa.string())
    owners = pa.array(list(found.values()), pa.int64())
    at = pc.index_in(values, value_set=keys)
    return pc.take(owners, at)
