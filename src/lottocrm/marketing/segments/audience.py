"""A segment's audience in the database, and one player's verdict with the reasons.

``audience_select`` is one statement (players with the named sources joined, the compiled condition; lake
behaviour staged first, ``behaviour.py``), to be counted, grouped into a waterfall or fed into a campaign's
selection; ``explain_player`` reads that player's values through the same expressions (behaviour from the lake
directly) and evaluates the tree in Python, condition by condition, so "why is
player N (not) in this audience" names the condition and the value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.lake.store import Lake
from lottocrm.marketing.segments import compile as compiled
from lottocrm.marketing.segments.behaviour import player_values
from lottocrm.marketing.segments.conditions import Node, conditions
from lottocrm.marketing.segments.evaluate import Check, ValueKey, explain, holds, value_key
from lottocrm.marketing.segments.sources import Frame, Snapshot, latest_snapshot

# Sources read from the fact lake: one player's values come from it directly, not from the staged rows.
LAKE_SOURCES = ("behaviour", "responses")


def frame_at(
    session: Session,
    at: dt.datetime | None = None,
    snapshot: Snapshot | None = None,
    lake: Lake | None = None,
) -> Frame:
    """The frame an audience is taken in; behaviour conditions read ``lake`` (default: the settings', looked
    up only when a segment names one)."""
    return Frame(
        snapshot=snapshot or latest_snapshot(session), at=at or clock.now(), session=session, lake=lake
    )


def audience_select(node: Node, frame: Frame) -> Select[Any]:
    """``player_id`` of every player in the segment, in one statement."""
    today = clock.operator_day(frame.at)
    frame.prepare(node)
    condition = compiled.where(node, frame, today)
    return select(frame.player_id.label("player_id")).select_from(frame.joined()).where(condition)


def count(session: Session, node: Node, frame: Frame) -> int:
    inner = audience_select(node, frame).subquery("audience")
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)


def values_for(session: Session, node: Node, frame: Frame, player_id: int) -> dict[ValueKey, Any] | None:
    """The player's value of every field the segment reads (None: no such player)."""
    every = list({value_key(leaf): leaf for leaf in conditions(node)}.values())
    from_lake = [leaf for leaf in every if leaf.spec.source in LAKE_SOURCES]
    leaves = [leaf for leaf in every if leaf.spec.source not in LAKE_SOURCES]
    columns = [frame.value(leaf).label(f"v{index}") for index, leaf in enumerate(leaves)]
    row = session.execute(
        select(frame.player_id, *columns).select_from(frame.joined()).where(frame.player_id == player_id)
    ).first()
    if row is None:
        return None
    values = {value_key(leaf): row[index + 1] for index, leaf in enumerate(leaves)}
    if from_lake:
        values.update(player_values(session, frame.lake_of(), from_lake, player_id, frame.today))
    return values


@dataclass(frozen=True)
class Verdict:
    player_id: int
    known: bool
    member: bool
    checks: tuple[Check, ...]


def explain_player(session: Session, node: Node, frame: Frame, player_id: int) -> Verdict:
    values = values_for(session, node, frame, player_id)
    if values is None:
        return Verdict(player_id, known=False, member=False, checks=())
    today = clock.operator_day(frame.at)
    return Verdict(
        player_id, known=True, member=holds(node, values, today), checks=tuple(explain(node, values, today))
    )
