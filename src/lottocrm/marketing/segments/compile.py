"""A segment compiled to one SQL condition over :class:`~lottocrm.marketing.segments.sources.Frame`.

The meaning is :mod:`evaluate`'s, which the property test holds this to: a condition on an empty value is
false (so ``not`` keeps players whose value is unknown), dates are operator days, ages whole years. Relative
conditions (an age, "in the last 30 days") become constant bounds computed here from ``today``, so the
database compares a column with a constant and can use an index; nothing is computed per row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Float, and_, false, literal, not_, or_, true

from lottocrm import clock
from lottocrm.marketing.segments.conditions import All, Condition, Node, Not
from lottocrm.marketing.segments.fields import FieldSpec
from lottocrm.marketing.segments.sources import Frame

_WIDE = {"integer": BigInteger(), "money": BigInteger(), "number": Float()}


def where(node: Node, frame: Frame, today: dt.date) -> ColumnElement[bool]:
    if isinstance(node, Condition):
        return _condition(node, frame, today)
    if isinstance(node, Not):
        return not_(where(node.part, frame, today))
    parts = [where(part, frame, today) for part in node.parts]
    return and_(*parts) if isinstance(node, All) else or_(*parts)


def _condition(condition: Condition, frame: Frame, today: dt.date) -> ColumnElement[bool]:
    value = frame.value(condition)
    op = condition.op
    if op == "known":
        return value.is_not(None)
    if op == "unknown":
        return value.is_(None)
    spec = condition.spec
    if spec.kind == "bool":
        return value.is_(true() if op == "is_true" else false())
    if condition.field == "profile.age":
        test = _age(op, condition.value, value, today)
    elif spec.kind == "date":
        test = _day(op, condition.value, value, today, moment=spec.moment)
    else:
        test = _compare(op, _typed(condition.value, spec), value)
    # Two-valued: an empty value fails the test instead of making it unknown, so NOT means what it says.
    return and_(value.is_not(None), test)


def _typed(target: Any, spec: FieldSpec) -> Any:
    """The value as a bound constant of the field's kind, not of its column: a whole number compared with a
    SMALLINT column (an RFM level) may be any whole number without PostgreSQL refusing the parameter."""
    sql_type = _WIDE.get("integer" if spec.value_type is int else spec.kind)
    if sql_type is None:
        return target
    if isinstance(target, tuple):
        return tuple(literal(item, sql_type) for item in target)
    return literal(target, sql_type)


def _compare(op: str, target: Any, value: ColumnElement[Any]) -> ColumnElement[bool]:
    if op == "eq":
        return value == target
    if op == "ne":
        return value != target
    if op == "lt":
        return value < target
    if op == "le":
        return value <= target
    if op == "gt":
        return value > target
    if op == "ge":
        return value >= target
    if op == "between":
        return and_(value >= target[0], value <= target[1])
    if op == "in":
        return value.in_(list(target))
    if op == "not_in":
        return value.not_in(list(target))
    raise ValueError(f"operator {op!r} does not compile here")


def years_before(today: dt.date, years: int) -> dt.date:
    """The date ``years`` before ``today``; 29 February becomes 28 February in a common year."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def _age(op: str, target: Any, birth: ColumnElement[Any], today: dt.date) -> ColumnElement[bool]:
    """Age ≥ n ⇔ born on or before the date n years ago (evaluate.age_on, 29 February included)."""

    def at_least(years: int) -> ColumnElement[bool]:
        return birth <= years_before(today, years)

    def below(years: int) -> ColumnElement[bool]:
        return birth > years_before(today, years)

    if op == "ge":
        return at_least(target)
    if op == "gt":
        return at_least(target + 1)
    if op == "lt":
        return below(target)
    if op == "le":
        return below(target + 1)
    if op == "eq":
        return and_(at_least(target), below(target + 1))
    if op == "ne":
        return or_(below(target), at_least(target + 1))
    if op == "between":
        return and_(at_least(target[0]), below(target[1] + 1))
    raise ValueError(f"operator {op!r} does not apply to an age")


def _day(
    op: str, target: Any, value: ColumnElement[Any], today: dt.date, *, moment: bool
) -> ColumnElement[bool]:
    """Day comparisons as half-open bounds: ``day ≥ d`` and ``day < d``. On a moment column the day d
    starts at the operator's midnight, in UTC."""

    def start(day: dt.date) -> Any:
        return clock.day_bounds(day)[0] if moment else day

    def from_day(day: dt.date) -> ColumnElement[bool]:
        return value >= start(day)

    def before_day(day: dt.date) -> ColumnElement[bool]:
        return value < start(day)

    one = dt.timedelta(days=1)
    if op == "before":
        return before_day(target)
    if op == "after":
        return from_day(target + one)
    if op == "between":
        return and_(from_day(target[0]), before_day(target[1] + one))
    if op == "within_last_days":
        return from_day(today - dt.timedelta(days=target) + one)
    if op == "more_than_days_ago":
        return before_day(today - dt.timedelta(days=target) + one)
    raise ValueError(f"operator {op!r} does not apply to a date")
