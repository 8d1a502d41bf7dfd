"""The cap columns of the contactability rows, moved forward when the cap ledger takes places.

A reservation adds touches and changes nothing else, and an added touch can only move a cap's end later.
So the touched players' rows need no full recomputation (five reads of facts and a 66-column upsert, most of
a dispatcher's batch): for each channel whose caps the new touches count towards, the caps they count in are
solved again over the ledger the reservation has just read, and ``cap_ends`` and ``marketing_from`` become
the later of what they were and that. Giving places back (``ledger.release``) moves ends earlier and goes
through the full refresh.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, literal, or_, true, update

from lottocrm.contact_policy.document import PolicySettings
from lottocrm.contact_policy.models import contactability
from lottocrm.contact_policy.rules import Touch, counts_toward
from lottocrm.contact_policy.standing import (
    CHANNELS,
    IDENTITY_OF_CHANNEL,
    NEVER,
    cap_ends,
    cap_rules,
    web_point,
)


def _later_in_sql(column: Any, value: Any) -> Any:
    """The later of ``column`` and the bound ``value`` (either may be NULL: the other wins)."""
    return case(
        (value.is_(None), column),
        (or_(column.is_(None), column < value), value),
        else_=column,
    )


def _statement(markets: bool) -> Any:
    """One UPDATE for every row: each channel's columns move to the later of what they hold and the bound
    end, unless the player has no contact point on it (its cap_ends stays NULL, as a refresh leaves it)."""
    columns = contactability.c
    values: dict[str, Any] = {}
    for channel in CHANNELS:
        ends = bindparam(f"new_{channel}", type_=columns[f"{channel}_cap_ends"].type)
        kind = IDENTITY_OF_CHANNEL.get(channel)
        reachable = columns[kind].is_not(None) if kind else true()
        cap_ends_column = columns[f"{channel}_cap_ends"]
        values[cap_ends_column.name] = case(
            (reachable, _later_in_sql(cap_ends_column, ends)), else_=cap_ends_column
        )
        if markets:
            marketing_from = columns[f"{channel}_marketing_from"]
            values[marketing_from.name] = case(
                (and_(reachable, marketing_from != literal(NEVER, marketing_from.type)),
                 _later_in_sql(marketing_from, ends)),
                else_=marketing_from,
            )  # fmt: skip
    return update(contactability).where(columns.player_id == bindparam("key")).values(values)


def advance(
    connection: Connection,
    written: Sequence[tuple[int, Touch]],
    *,
    own: Mapping[int, list[Touch]],
    on_point: Mapping[str, list[tuple[int, Touch]]],
    policy: PolicySettings,
) -> int:
    """Move the rows of the players in ``written`` (player, new touch) past their new touches, without
    reading them. ``own`` and ``on_point`` are the ledger as the reservation read it, the new touches
    included. A channel's contact point is the touched one when it is the same kind of address (SMS and
    calls share the phone); otherwise only caps per player can count the new touches there. Returns how
    many players' rows were written."""
    if not written or not policy.capped_classes:
        return 0
    new: dict[int, list[Touch]] = defaultdict(list)
    for player_id, touch in written:
        new[player_id].append(touch)
    rules = {channel: cap_rules(policy, channel) for channel in CHANNELS}
    changes: list[dict[str, Any]] = []
    for player_id, touches in new.items():
        values: dict[str, Any] = {"key": player_id}
        for channel in CHANNELS:
            kind = IDENTITY_OF_CHANNEL.get(channel)
            same_kind = [
                touch.contact_point for touch in touches if IDENTITY_OF_CHANNEL.get(touch.channel) == kind
            ]
            # The channel's own address, or any other address (which no per-address cap counts here).
            point = web_point(player_id) if kind is None else (same_kind[0] if same_kind else "")
            counted = [
                rule for rule in rules[channel] if any(counts_toward(rule, touch, point) for touch in touches)
            ]
            shared = [touch for owner, touch in on_point.get(point, []) if owner != player_id]
            values[f"new_{channel}"] = (
                cap_ends(counted, own=own.get(player_id, []), shared=shared, channel=channel, point=point)
                if counted
                else None
            )
        changes.append(values)
    connection.execute(_statement("marketing" in policy.capped_classes), changes)
    return len(changes)
