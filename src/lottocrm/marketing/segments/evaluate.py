"""A segment evaluated for one player in Python: the meaning the SQL compiler must reproduce.

Values come keyed by :func:`value_key` (a field and its parameters), as ``audience.values_for`` reads them
or as a journey knows them from an event. An empty value (None) makes every condition false but "unknown";
dates are the operator's calendar days, and a moment (a registration time) counts on the operator's day it
fell on.
Ages are whole years on ``today``, a 29 February birthday counting from 1 March in common years.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lottocrm import clock
from lottocrm.marketing.segments.conditions import All, Condition, Node, Not

ValueKey = tuple[str, tuple[tuple[str, Any], ...]]


def value_key(condition: Condition) -> ValueKey:
    return (condition.field, condition.params)


def age_on(birth_date: dt.date, today: dt.date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def as_day(value: Any) -> dt.date:
    """A moment as the operator's calendar day; a date as itself."""
    if isinstance(value, dt.datetime):
        return clock.local(value).date()
    return value


def holds(node: Node, values: Mapping[ValueKey, Any], today: dt.date) -> bool:
    if isinstance(node, Condition):
        return condition_holds(node, values.get(value_key(node)), today)
    if isinstance(node, Not):
        return not holds(node.part, values, today)
    if isinstance(node, All):
        return all(holds(part, values, today) for part in node.parts)
    return any(holds(part, values, today) for part in node.parts)


def condition_holds(condition: Condition, value: Any, today: dt.date) -> bool:
    op = condition.op
    if op == "known":
        return value is not None
    if op == "unknown":
        return value is None
    if value is None:
        return False
    kind = condition.spec.kind
    if condition.field == "profile.age":
        value = age_on(value, today)
    elif kind == "date":
        value = as_day(value)
    if kind == "bool":
        return bool(value) is (op == "is_true")
    return _compare(op, value, condition.value, today)


def _compare(op: str, value: Any, target: Any, today: dt.date) -> bool:
    if op in ("eq", "ne"):
        return (value == target) is (op == "eq")
    if op in ("lt", "before"):
        return bool(value < target)
    if op == "le":
        return bool(value <= target)
    if op in ("gt", "after"):
        return bool(value > target)
    if op == "ge":
        return bool(value >= target)
    if op == "between":
        return bool(target[0] <= value <= target[1])
    if op in ("in", "not_in"):
        return (value in target) is (op == "in")
    if op == "within_last_days":
        return bool(value > today - dt.timedelta(days=target))
    if op == "more_than_days_ago":
        return bool(value <= today - dt.timedelta(days=target))
    raise ValueError(f"unknown operator {op!r}")


@dataclass(frozen=True)
class Check:
    """One condition's verdict for a player: "why is / isn't this player in the audience"."""

    condition: Condition
    value: Any
    holds: bool


def explain(node: Node, values: Mapping[ValueKey, Any], today: dt.date) -> list[Check]:
    """Every condition of the tree with the player's value and whether it holds, left to right."""
    if isinstance(node, Condition):
        value = values.get(value_key(node))
        return [Check(node, value, condition_holds(node, value, today))]
    if isinstance(node, Not):
        return explain(node.part, values, today)
    return [check for part in node.parts for check in explain(part, values, today)]
