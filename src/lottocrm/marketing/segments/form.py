"""The segment builder's form: rows of conditions joined by "all" or "any", each with an optional "not", to
and from the segment document.

A row is a field, an operator, a value (and a second one for "between"), and the field's parameter (a game, a
channel, a campaign); a behaviour field also takes its window (the last N days, or from … to) and a draw its
number or day (the same three boxes). Money is typed in roubles and stored in kopecks; a list ("one of") is
typed with commas. A segment whose tree is deeper than one level is edited as its JSON document instead (the
API accepts any tree).
Faults are refused by the document's own checker, which names the row: "row 2: …".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from lottocrm.errors import Param, Term
from lottocrm.marketing.segments.conditions import NO_VALUE, Node, SegmentError, parse
from lottocrm.marketing.segments.fields import FIELDS

MAX_ROWS = 30
BLANK_ROWS = 3


class RowError(SegmentError):
    """A fault in one row of the builder: ``row`` (from 1) and the why, shown beside that row."""

    def __init__(self, row: int, message: str, **params: Param) -> None:
        super().__init__(f"row {row}", message, **params)
        self.row = row


@dataclass(frozen=True)
class Row:
    field: str = ""
    op: str = ""
    value: str = ""
    value2: str = ""
    param: str = ""
    negated: bool = False
    # A behaviour window: days, or start and end (YYYY-MM-DD); a draw: its number (days) or its day (start).
    days: str = ""
    start: str = ""
    end: str = ""


@dataclass(frozen=True)
class Builder:
    join: str  # "all" | "any" | "json"
    rows: tuple[Row, ...]
    document_text: str = ""


def from_document(document: Mapping[str, Any] | None) -> Builder:
    """Rows for a flat document, or the JSON text of a deeper one."""
    if not document:
        return Builder("all", tuple(Row() for _ in range(BLANK_ROWS)))
    join, parts = _flat(document)
    if join is None:
        return Builder("json", (), json.dumps(document, ensure_ascii=False, indent=2))
    rows = tuple(_row(part) for part in parts)
    return Builder(join, rows + tuple(Row() for _ in range(BLANK_ROWS)))


def _flat(document: Mapping[str, Any]) -> tuple[str | None, list[Mapping[str, Any]]]:
    if "field" in document or "not" in document:
        parts: list[Mapping[str, Any]] = [document]
        join = "all"
    elif set(document) in ({"all"}, {"any"}):
        join = next(iter(document))
        parts = list(document[join])
    else:
        return None, []
    for part in parts:
        leaf = part.get("not", part)
        if not isinstance(leaf, Mapping) or "field" not in leaf:
            return None, []
    return join, parts


def _row(part: Mapping[str, Any]) -> Row:
    negated = "not" in part
    leaf = part["not"] if negated else part
    spec = FIELDS.get(leaf.get("field", ""))
    value, value2 = leaf.get("value"), ""
    if isinstance(value, list) and leaf.get("op") == "between":
        value, value2 = value[0], _shown(spec, value[1])
    elif isinstance(value, list):
        value = ", ".join(str(_shown(spec, item)) for item in value)
    params = dict(leaf.get("params", {}))
    if spec is not None and spec.param_rule is not None:
        param = params.get("game", "")
    else:
        param = next(iter(params.values()), "")
    return Row(
        leaf.get("field", ""),
        leaf.get("op", ""),
        "" if value is None else str(_shown(spec, value)),
        str(value2),
        str(param),
        negated,
        str(params.get("days", params.get("number", ""))),
        str(params.get("from", params.get("on", ""))),
        str(params.get("to", "")),
    )


def _shown(spec: Any, value: Any) -> Any:
    if spec is not None and spec.kind == "money" and isinstance(value, int):
        roubles = Decimal(value) / 100
        return f"{roubles:f}".rstrip("0").rstrip(".") if "." in f"{roubles:f}" else f"{roubles:f}"
    return value


def rows_of(form: Mapping[str, str]) -> Builder:
    """The builder as submitted (kept to show it again beside an error)."""
    join = form.get("join", "all")
    if join == "json":
        return Builder("json", (), form.get("document", ""))
    rows = []
    for index in range(MAX_ROWS):
        if f"row-{index}-field" not in form:
            break
        rows.append(
            Row(
                form.get(f"row-{index}-field", ""),
                form.get(f"row-{index}-op", ""),
                form.get(f"row-{index}-value", "").strip(),
                form.get(f"row-{index}-value2", "").strip(),
                form.get(f"row-{index}-param", "").strip(),
                form.get(f"row-{index}-not") == "on",
                form.get(f"row-{index}-days", "").strip(),
                form.get(f"row-{index}-from", "").strip(),
                form.get(f"row-{index}-to", "").strip(),
            )
        )
    return Builder("any" if join == "any" else "all", tuple(rows))


def to_document(builder: Builder, check: Callable[[Node], None] | None = None) -> dict[str, Any]:
    """The segment document of a submitted builder; :class:`SegmentError` names the row at fault. ``check``
    looks at each row's condition too (the games, draws and campaigns it names exist)."""
    if builder.join == "json":
        try:
            document = json.loads(builder.document_text)
        except json.JSONDecodeError as error:
            raise SegmentError(
                "JSON", "%(problem)s at line %(line)s", problem=error.msg, line=error.lineno
            ) from None
        if not isinstance(document, dict):
            raise SegmentError("JSON", "expected an object with all, any, not or field")
        return document
    parts = []
    for number, row in enumerate(builder.rows, start=1):
        if not row.field:
            continue
        leaf = _leaf(row, number)
        try:
            node = parse(leaf)
            if check is not None:
                check(node)
        except RowError:
            raise
        except SegmentError as error:
            raise RowError(number, error.detail_template, **error.detail_params) from None
        parts.append({"not": leaf} if row.negated else leaf)
    if not parts:
        raise SegmentError("segment", "add at least one condition")
    return {builder.join: parts}


def _leaf(row: Row, number: int) -> dict[str, Any]:
    spec = FIELDS.get(row.field)
    if spec is None:
        raise RowError(number, "choose a field")
    leaf: dict[str, Any] = {"field": row.field, "op": row.op}
    if spec.param_rule is not None:
        leaf["params"] = _period(spec.param_rule, row, number)
    elif spec.params:
        param = spec.params[0]
        leaf["params"] = {param.name: row.param if param.choices else _whole(row.param, number, "the game")}
    if row.op in NO_VALUE:
        return leaf
    if row.op == "between":
        leaf["value"] = [_typed(spec, row.value, number), _typed(spec, row.value2, number)]
    elif row.op in ("in", "not_in"):
        leaf["value"] = [_typed(spec, item.strip(), number) for item in row.value.split(",") if item.strip()]
    elif row.op in ("within_last_days", "more_than_days_ago"):
        leaf["value"] = _whole(row.value, number, "the number of days")
    else:
        leaf["value"] = _typed(spec, row.value, number)
    return leaf


def _period(rule: str, row: Row, number: int) -> dict[str, Any]:
    """A behaviour field's window and optional game, or a draw's game and number or day; empty boxes are left
    out, so the document's checker says which combination is missing."""
    params: dict[str, Any] = {}
    if row.param or rule == "draw":
        params["game"] = _whole(row.param, number, "the game")
    if row.days:
        params["days" if rule == "window" else "number"] = _whole(
            row.days, number, "the number of days" if rule == "window" else "the draw's number"
        )
    if row.start:
        params["from" if rule == "window" else "on"] = row.start
    if row.end and rule == "window":
        params["to"] = row.end
    return params


def _whole(text: str, number: int, what: str) -> int:
    if not text.strip().lstrip("-").isdigit():
        raise RowError(
            number, "%(what)s is a whole number, got %(value)s", what=Term(what), value=repr(text)[:40]
        )
    return int(text)


def _typed(spec: Any, text: str, number: int) -> Any:
    if not text:
        raise RowError(number, "enter a value")
    if spec.kind == "money":
        try:
            roubles = Decimal(text.replace(" ", "").replace(",", "."))
        except InvalidOperation:
            raise RowError(number, "%(value)s is not an amount in roubles", value=repr(text)[:40]) from None
        kopecks = roubles * 100
        if kopecks != kopecks.to_integral_value():
            raise RowError(number, "%(value)s has fractions of a kopeck", value=repr(text)[:40])
        return int(kopecks)
    if spec.kind == "integer" or (spec.kind == "choice" and spec.value_type is int):
        return _whole(text, number, "the value")
    if spec.kind == "number":
        try:
            return float(text.replace(",", "."))
        except ValueError:
            raise RowError(number, "%(value)s is not a number", value=repr(text)[:40]) from None
    return text
