"""The segment language: a tree of all / any / not over typed conditions, parsed from JSON and checked.

A segment is saved as JSON, so a marketer's form, the API and a journey's branch step all write the same
document::

    {"all": [
        {"field": "record.segment", "op": "in", "value": ["active", "vip"]},
        {"field": "propensity.probability", "params": {"game": 3}, "op": "ge", "value": 0.2},
        {"not": {"field": "churn.band", "op": "eq", "value": "high"}}
    ]}

``parse`` turns it into frozen nodes, checking every field, operator, parameter and value against the
catalogue (``fields.py``) and saying where the fault is ("all[1].value: …"). The same tree is compiled to SQL
for an audience (``compile.py``) and evaluated in Python for one player (``evaluate.py``); both read a
condition on an unknown value (an empty field) as false, so ``not`` means "not known to be".
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from lottocrm.errors import Param, ServiceError, Term
from lottocrm.marketing.segments.fields import FIELDS, MAX_WINDOW_DAYS, FieldSpec
from lottocrm.marketing.segments.fields import Param as FieldParam

# Operators per kind of field. "known" / "unknown" test for an empty value; every other operator is false on
# one. Day operators count whole operator days back from the day the audience is taken.
NUMERIC_OPS = ("eq", "ne", "lt", "le", "gt", "ge", "between", "known", "unknown")
OPERATORS: dict[str, tuple[str, ...]] = {
    "integer": NUMERIC_OPS,
    "number": NUMERIC_OPS,
    "money": NUMERIC_OPS,
    "choice": ("eq", "ne", "in", "not_in", "known", "unknown"),
    "bool": ("is_true", "is_false", "known", "unknown"),
    "date": ("before", "after", "between", "within_last_days", "more_than_days_ago", "known", "unknown"),
}
NO_VALUE = frozenset({"known", "unknown", "is_true", "is_false"})
# The longest look-back a day operator takes: a century covers any registration or birth date.
MAX_DAYS = 36_600
EARLIEST_DAY, LATEST_DAY = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
MAX_DEPTH = 12
MAX_CONDITIONS = 200
MAX_CHOICES = 1_000


class SegmentError(ServiceError):
    """A segment document that cannot be used; the message says where (``segment.all[2].op``) and why.
    ``detail`` is the why alone (an English template and its values), for a form that shows it beside the
    row at fault."""

    code, http_status = "segment_invalid", 422

    def __init__(self, where: str, message: str, **params: Param) -> None:
        super().__init__("%(where)s: " + message, where=where, **params)
        self.detail_template, self.detail_params = message, params


def _keys(keys: set[str]) -> str:
    return ", ".join(sorted(map(str, keys)))[:120]


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any = None
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def spec(self) -> FieldSpec:
        return FIELDS[self.field]

    def param(self, name: str) -> Any:
        return dict(self.params)[name]


@dataclass(frozen=True)
class All:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Any_:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node: TypeAlias = Condition | All | Any_ | Not


def parse(document: Any) -> Node:
    """The checked tree of a segment document; :class:`SegmentError` names the first fault and its place."""
    counter = [0]
    return _node(document, "segment", 0, counter)


def conditions(node: Node) -> list[Condition]:
    """Every condition of the tree, left to right."""
    if isinstance(node, Condition):
        return [node]
    if isinstance(node, Not):
        return conditions(node.part)
    return [leaf for part in node.parts for leaf in conditions(part)]


def to_document(node: Node) -> dict[str, Any]:
    """The JSON form of a tree: ``parse(to_document(tree)) == tree``."""
    if isinstance(node, Condition):
        document: dict[str, Any] = {"field": node.field, "op": node.op}
        if node.params:
            document["params"] = {name: _plain(value) for name, value in node.params}
        if node.op not in NO_VALUE:
            value = node.value
            document["value"] = _plain(value)
        return document
    if isinstance(node, Not):
        return {"not": to_document(node.part)}
    return {"all" if isinstance(node, All) else "any": [to_document(part) for part in node.parts]}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def _node(document: Any, where: str, depth: int, counter: list[int]) -> Node:
    if depth > MAX_DEPTH:
        raise SegmentError(where, "nested deeper than %(depth)s levels", depth=MAX_DEPTH)
    if not isinstance(document, Mapping):
        raise SegmentError(where, "expected an object with all, any, not or field")
    keys = set(document)
    for group, make in (("all", All), ("any", Any_)):
        if group in keys:
            if keys != {group}:
                raise SegmentError(
                    where,
                    "'%(key)s' stands alone, found also %(others)s",
                    key=group,
                    others=_keys(keys - {group}),
                )
            parts = document[group]
            if not isinstance(parts, list) or not parts:
                raise SegmentError(f"{where}.{group}", "expected a non-empty list of conditions")
            return make(
                tuple(
                    _node(part, f"{where}.{group}[{index}]", depth + 1, counter)
                    for index, part in enumerate(parts)
                )
            )
    if "not" in keys:
        if keys != {"not"}:
            raise SegmentError(
                where,
                "'%(key)s' stands alone, found also %(others)s",
                key="not",
                others=_keys(keys - {"not"}),
            )
        return Not(_node(document["not"], f"{where}.not", depth + 1, counter))
    if "field" not in keys:
        raise SegmentError(
            where, "expected one of all, any, not or field; found %(others)s", others=_keys(keys)
        )
    counter[0] += 1
    if counter[0] > MAX_CONDITIONS:
        raise SegmentError(where, "a segment holds at most %(limit)s conditions", limit=MAX_CONDITIONS)
    return _condition(document, where)


def _condition(document: Mapping[str, Any], where: str) -> Condition:
    unknown_keys = set(document) - {"field", "op", "value", "params"}
    if unknown_keys:
        raise SegmentError(where, "unknown keys %(others)s", others=_keys(unknown_keys))
    name = document["field"]
    spec = FIELDS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise SegmentError(f"{where}.field", "unknown field %(name)s", name=repr(name)[:60])
    op = document.get("op")
    if op not in OPERATORS[spec.kind]:
        raise SegmentError(
            f"{where}.op",
            "%(op)s does not apply to %(field)s (%(kind)s); use one of %(choices)s",
            op=repr(op)[:40],
            field=str(name),
            kind=Term(spec.kind),
            choices=", ".join(OPERATORS[spec.kind]),
        )
    params = _params(spec, document.get("params"), f"{where}.params")
    if op in NO_VALUE:
        if document.get("value") is not None:
            raise SegmentError(f"{where}.value", "%(op)s takes no value", op=repr(op))
        return Condition(name, op, None, params)
    if "value" not in document:
        raise SegmentError(f"{where}.value", "%(op)s needs a value", op=repr(op))
    return Condition(name, op, _value(spec, op, document["value"], f"{where}.value"), params)


def _params(spec: FieldSpec, given: Any, where: str) -> tuple[tuple[str, Any], ...]:
    given = {} if given is None else given
    if not isinstance(given, Mapping):
        raise SegmentError(where, "expected an object")
    expected = {param.name: param for param in spec.params}
    extra = set(given) - set(expected)
    if extra:
        raise SegmentError(
            where, "%(field)s takes no parameter %(others)s", field=spec.name, others=_keys(extra)
        )
    out = []
    for name, param in expected.items():
        if name not in given:
            if param.optional:
                continue
            raise SegmentError(
                f"{where}.{name}",
                "%(field)s needs it (%(what)s)",
                field=spec.name,
                what=Term(param.description),
            )
        out.append((name, _param(param, given[name], f"{where}.{name}")))
    if spec.param_rule is not None:
        _combined(spec, dict(out), where)
    return tuple(out)


def _param(param: FieldParam, value: Any, where: str) -> Any:
    if param.choices is not None:
        if value not in param.choices:
            raise SegmentError(
                where,
                "%(value)s is not one of %(choices)s",
                value=repr(value)[:60],
                choices=", ".join(param.choices),
            )
        return value
    if param.kind == "date":
        return _day(value, where)
    if not _is_int(value) or not 1 <= value <= param.maximum:
        raise SegmentError(where, "expected a whole number from 1 to %(limit)s", limit=param.maximum)
    return value


def _combined(spec: FieldSpec, given: dict[str, Any], where: str) -> None:
    """A window is the last ``days`` or ``from``–``to`` (not both, not neither); a draw is picked by its
    ``number`` or by the day it was held ``on``."""
    if spec.param_rule == "window":
        dated = "from" in given or "to" in given
        if ("days" in given) == dated:
            raise SegmentError(where, "give either days or from and to")
        if dated:
            for end in ("from", "to"):
                if end not in given:
                    raise SegmentError(f"{where}.{end}", "a window between dates needs both from and to")
            if given["from"] > given["to"]:
                raise SegmentError(
                    f"{where}.from",
                    "the window starts %(low)s, after its end %(high)s",
                    low=given["from"].isoformat(),
                    high=given["to"].isoformat(),
                )
            if (given["to"] - given["from"]).days + 1 > MAX_WINDOW_DAYS:
                raise SegmentError(
                    f"{where}.to", "a window spans at most %(limit)s days", limit=MAX_WINDOW_DAYS
                )
    elif ("number" in given) == ("on" in given):
        raise SegmentError(where, "pick the draw by its number or by the day it was held, one of them")


def _value(spec: FieldSpec, op: str, raw: Any, where: str) -> Any:
    if op == "between":
        if not isinstance(raw, list) or len(raw) != 2:
            raise SegmentError(where, "'between' needs [low, high]")
        low, high = (_scalar(spec, item, f"{where}[{index}]") for index, item in enumerate(raw))
        if low > high:
            raise SegmentError(
                where, "low %(low)s is above high %(high)s", low=repr(raw[0]), high=repr(raw[1])
            )
        return (low, high)
    if op in ("in", "not_in"):
        if not isinstance(raw, list) or not raw:
            raise SegmentError(where, "%(op)s needs a non-empty list", op=repr(op))
        if len(raw) > MAX_CHOICES:
            raise SegmentError(where, "at most %(limit)s values", limit=MAX_CHOICES)
        return tuple(sorted({_scalar(spec, item, f"{where}[{index}]") for index, item in enumerate(raw)}))
    if op in ("within_last_days", "more_than_days_ago"):
        if not _is_int(raw) or not 1 <= raw <= MAX_DAYS:
            raise SegmentError(where, "expected a number of days from 1 to %(limit)s", limit=MAX_DAYS)
        return raw
    return _scalar(spec, raw, where)


def _day(raw: Any, where: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        day = None
    if day is None:
        raise SegmentError(where, "%(value)s is not a date (YYYY-MM-DD)", value=repr(raw)[:60])
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise SegmentError(
            where,
            "%(value)s is outside %(low)s–%(high)s",
            value=raw,
            low=EARLIEST_DAY.year,
            high=LATEST_DAY.year,
        )
    return day


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _scalar(spec: FieldSpec, raw: Any, where: str) -> Any:
    kind = spec.kind
    if kind in ("integer", "money"):
        if not _is_int(raw) or abs(raw) >= 2**62:
            unit = " (kopecks)" if kind == "money" else ""
            raise SegmentError(
                where,
                "%(field)s takes a whole number%(unit)s, got %(value)s",
                field=spec.name,
                unit=unit,
                value=repr(raw)[:60],
            )
        if spec.bounds and not spec.bounds[0] <= raw <= spec.bounds[1]:
            raise SegmentError(
                where,
                "%(field)s takes %(low)s–%(high)s, got %(value)s",
                field=spec.name,
                low=spec.bounds[0],
                high=spec.bounds[1],
                value=raw,
            )
        return raw
    if kind == "number":
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise SegmentError(
                where, "%(field)s takes a number, got %(value)s", field=spec.name, value=repr(raw)[:60]
            )
        return float(raw)
    if kind == "date":
        if not isinstance(raw, str):
            raise SegmentError(
                where,
                "%(field)s takes a date as YYYY-MM-DD, got %(value)s",
                field=spec.name,
                value=repr(raw)[:60],
            )
        return _day(raw, where)
    # choice
    if spec.choices is not None:
        if raw not in spec.choices:
            raise SegmentError(
                where,
                "%(value)s is not one of %(choices)s",
                value=repr(raw)[:60],
                choices=", ".join(spec.choices),
            )
        return raw
    if spec.value_type is int:
        if not _is_int(raw) or not 0 <= raw < 2**31:
            raise SegmentError(
                where,
                "%(field)s takes a whole number%(unit)s, got %(value)s",
                field=spec.name,
                unit="",
                value=repr(raw)[:60],
            )
        return raw
    if not isinstance(raw, str) or not raw or len(raw) > 100:
        raise SegmentError(
            where,
            "%(field)s takes a text of 1–100 characters, got %(value)s",
            field=spec.name,
            value=repr(raw)[:60],
        )
    return raw
