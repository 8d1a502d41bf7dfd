"""A segment's audience in the database, and one player's verdict with the reasons.

``audience_select`` is one statement (players with the named sources joined, the compiled condition), to be
counted, grouped into a waterfall or fed into a campaign's selection; ``explain_player`` reads that player's
values through the same expressions and evaluates the tree in Python, condition by condition, so "why is
player N (not) in this audience" names the condition and the value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.marketing.segments import compile as compiled
from lottocrm.marketing.segments.conditions import Node, conditions
from lottocrm.marketing.segments.evaluate import Check, ValueKey, explain, holds, value_key
from lottocrm.marketing.segments.sources import Frame, Snapshot, latest_snapshot


def frame_at(session: Session, at: dt.datetime | None = None, snapshot: Snapshot | None = None) -> Frame:
    return Frame(snapshot=snapshot or latest_snapshot(session), at=at or clock.now())


def audience_select(node: Node, frame: Frame) -> Select[Any]:
    """``player_id`` of every player in the segment, in one statement."""
    today = clock.operator_day(frame.at)
    condition = compiled.where(node, frame, today)
    return select(frame.player_id.label("player_id")).select_from(frame.joined()).where(condition)


def count(session: Session, node: Node, frame: Frame) -> int:
    inner = audience_select(node, frame).subquery("audience")
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)


def values_for(session: Session, node: Node, frame: Frame, player_id: int) -> dict[ValueKey, Any] | None:
    """The player's value of every field the segment reads (None: no such player)."""
    leaves = list({value_key(leaf): leaf for leaf in conditions(node)}.values())
    columns = [frame.value(leaf).label(f"v{index}") for index, leaf in enumerate(leaves)]
    row = session.execute(
        select(frame.player_id, *columns).select_from(frame.joined()).where(frame.player_id == player_id)
    ).first()
    if row is None:
        return None
    return {value_key(leaf): row[index + 1] for index, leaf in enumerate(leaves)}


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
