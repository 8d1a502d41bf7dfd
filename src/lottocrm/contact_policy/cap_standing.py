"""The cap columns of the contactability rows, moved forward when the cap ledger takes places.

A reservation adds touches and changes nothing else, and an added touch can only move a cap's end later.
So the touched players' rows need no full recomputation (five reads of facts and a 66-column upsert, most of
a dispatcher's batch): for each channel whose caps the new touches count towards, the caps they count in are
solved again over the ledger the reservation has just read, and ``cap_ends`` and ``marketing_from`` become
the later of what they were and that. Giving places back (``ledger.release``) moves ends earlier and goes
through the full refresh.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from lottocrm.contact_policy.document import CapRule, PolicySettings
from lottocrm.contact_policy.models import contactability
from lottocrm.contact_policy.rules import Touch
from lottocrm.contact_policy.standing import (
    CHANNELS,
    IDENTITY_OF_CHANNEL,
    NEVER,
    cap_ends,
    cap_rules,
    web_point,
)

_COLUMNS = tuple(f"{channel}_{part}" for channel in CHANNELS for part in ("cap_ends", "marketing_from"))


def _counts(rule: CapRule, touch: Touch, point: str) -> bool:
    return (rule.channel == "all" or touch.channel == rule.channel) and (
        rule.per == "player" or touch.contact_point == point
    )


def _later(old: dt.datetime | None, new: dt.datetime | None) -> dt.datetime | None:
    if new is None:
        return old
    return new if old is None else max(old, new)


def advance(
    connection: Connection,
    written: Sequence[tuple[int, Touch]],
    *,
    own: Mapping[int, list[Touch]],
    on_point: Mapping[str, list[tuple[int, Touch]]],
    policy: PolicySettings,
) -> int:
    """Move the rows of the players in ``written`` (player, new touch) past their new touches. ``own`` and
    ``on_point`` are the ledger as the reservation read it, the new touches included (a cap per contact
    point counts only touches of the new touches' own points, and those are the points it read). Returns
    how many rows changed."""
    if not written or not policy.capped_classes:
        return 0
    new: dict[int, list[Touch]] = defaultdict(list)
    for player_id, touch in written:
        new[player_id].append(touch)
    columns = contactability.c
    rows = connection.execute(
        select(
            columns.player_id, columns.phone, columns.email, columns.device, *(columns[n] for n in _COLUMNS)
        ).where(columns.player_id.in_(sorted(new)))
    ).mappings()
    markets = "marketing" in policy.capped_classes
    changes: list[dict[str, Any]] = []
    for row in rows:
        player_id = row["player_id"]
        values = {name: row[name] for name in _COLUMNS}
        for channel in CHANNELS:
            kind = IDENTITY_OF_CHANNEL.get(channel)
            point = row[kind] if kind else web_point(player_id)
            rules = [
                rule
                for rule in cap_rules(policy, channel)
                if point is not None and any(_counts(rule, touch, point) for touch in new[player_id])
            ]
            if not rules:
                continue
            shared = [touch for owner, touch in on_point.get(point, []) if owner != player_id]
            ends = cap_ends(rules, own=own.get(player_id, []), shared=shared, channel=channel, point=point)
            values[f"{channel}_cap_ends"] = _later(values[f"{channel}_cap_ends"], ends)
            marketing_from = values[f"{channel}_marketing_from"]
            if markets and marketing_from is not None and marketing_from != NEVER:
                values[f"{channel}_marketing_from"] = _later(marketing_from, ends)
        if any(values[name] != row[name] for name in _COLUMNS):
            changes.append({"key": player_id, **{f"new_{name}": value for name, value in values.items()}})
    if changes:
        connection.execute(
            update(contactability)
            .where(columns.player_id == bindparam("key"))
            .values({name: bindparam(f"new_{name}") for name in _COLUMNS}),
            changes,
        )
    return len(changes)
