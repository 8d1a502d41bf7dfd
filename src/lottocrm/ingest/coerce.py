"""Turn raw columns (CSV text, or whatever types a Parquet file carries) into the spec's Arrow types.

Whole columns at a time: a pattern check marks what cannot be parsed, the rest is cast in one call. Text
timestamps and dates go through DuckDB's strict TRY_CAST, in the operator's time zone when they carry no
offset. Each column yields its typed values and two masks: values that could not be read, and required
values that are missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lottocrm.ingest.context import CheckContext, few_distinct, mask
from lottocrm.ingest.spec import Column, ColumnType

INTEGER_TEXT = r"^[+-]?[0-9]{1,18}$"
DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
RUSSIAN_DATE = r"^([0-9]{2})\.([0-9]{2})\.([0-9]{4})$"
TIMESTAMP_TEXT = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$"
)
TRUE_WORDS = ["true", "t", "1", "yes", "y", "да", "д"]
FALSE_WORDS = ["false", "f", "0", "no", "n", "нет", "н"]
INT_BOUNDS = {ColumnType.INT16: (-(2**15), 2**15 - 1), ColumnType.INT32: (-(2**31), 2**31 - 1)}


@dataclass
class Coerced:
    values: pa.Array
    unreadable: np.ndarray
    missing: np.ndarray


def coerce(values: pa.ChunkedArray | pa.Array, column: Column, ctx: CheckContext) -> Coerced:
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        read = partial(_read_text, kind=column.type, ctx=ctx)
        # Parsing text into numbers, dates and times is what costs per value; text stays text cheaply.
        parsed, blank = (
            read(values) if column.type is ColumnType.STRING else _per_distinct_value(values, read)
        )
        absent = mask(blank)
    else:
        parsed = _from_typed(values, column.type, ctx)
        absent = mask(pc.is_null(values))
    unreadable = mask(pc.is_null(parsed)) & ~absent
    if column.type in INT_BOUNDS:
        low, high = INT_BOUNDS[column.type]
        out_of_range = mask(pc.or_(pc.less(parsed, low), pc.greater(parsed, high)))
        unreadable |= out_of_range
        parsed = pc.if_else(out_of_range, pa.scalar(None, parsed.type), parsed)
    parsed = parsed.cast(column.type.arrow)
    return Coerced(
        values=parsed, unreadable=unreadable, missing=absent if column.required else np.zeros_like(absent)
    )


def _read_text(values: pa.Array, kind: ColumnType, ctx: CheckContext) -> tuple[pa.Array, pa.Array]:
    """Typed values, and where the text is blank."""
    text = pc.utf8_trim_whitespace(values)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)
    return _from_text(text, kind, ctx), pc.is_null(text)


def _per_distinct_value(
    values: pa.Array, read: Callable[[pa.Array], tuple[pa.Array, pa.Array]]
) -> tuple[pa.Array, pa.Array]:
    """``read`` the text once per distinct value when there are few (see ``few_distinct``)."""
    encoded = few_distinct(values)
    if encoded is None:
        return read(values)
    parsed, blank = read(encoded.dictionary)
    # A null index is a null input: no value, and blank.
    return pc.take(parsed, encoded.indices), pc.fill_null(pc.take(blank, encoded.indices), True)


def _null_unless(ok: pa.Array, values: pa.Array) -> pa.Array:
    return pc.if_else(ok, values, pa.scalar(None, values.type))


def _from_text(text: pa.Array, kind: ColumnType, ctx: CheckContext) -> pa.Array:
    if kind is ColumnType.STRING:
        return text.cast(pa.string())
    if kind in (ColumnType.INT16, ColumnType.INT32, ColumnType.INT64):
        good = pc.match_substring_regex(text, INTEGER_TEXT)
        return _null_unless(good, text).cast(pa.int64())
    if kind is ColumnType.BOOL:
        lowered = pc.utf8_lower(text)
        is_true = pc.is_in(lowered, value_set=pa.array(TRUE_WORDS))
        is_false = pc.is_in(lowered, value_set=pa.array(FALSE_WORDS))
        return _null_unless(pc.or_(is_true, is_false), is_true)
    if kind is ColumnType.DATE:
        iso = pc.replace_substring_regex(text, RUSSIAN_DATE, r"\3-\2-\1")
        return _duck_cast(_null_unless(pc.match_substring_regex(iso, DATE_TEXT), iso), "DATE", ctx)
    if kind is ColumnType.TIMESTAMP:
        shaped = _null_unless(pc.match_substring_regex(text, TIMESTAMP_TEXT), text)
        return _duck_cast(shaped, "TIMESTAMPTZ", ctx).cast(ColumnType.TIMESTAMP.arrow)
    raise AssertionError(kind)


def _duck_cast(text: pa.Array, sql_type: str, ctx: CheckContext) -> pa.Array:
    # DuckDB rejects impossible dates (2025-02-30) that Arrow's strptime would roll over into March.
    ctx.duck.register("raw_values", pa.table({"v": text}))
    try:
        result = ctx.duck.sql(f"SELECT TRY_CAST(v AS {sql_type}) AS v FROM raw_values").to_arrow_table()
    finally:
        ctx.duck.unregister("raw_values")
    return result["v"].combine_chunks()


def _from_typed(values: pa.Array, kind: ColumnType, ctx: CheckContext) -> pa.Array:
    target = kind.arrow
    if values.type == target:
        return values
    if kind is ColumnType.TIMESTAMP and pa.types.is_timestamp(values.type):
        if values.type.tz is None:
            values = pc.assume_timezone(
                values, timezone=ctx.timezone, ambiguous="earliest", nonexistent="earliest"
            )
        return values.cast(target)
    if kind in (ColumnType.INT16, ColumnType.INT32, ColumnType.INT64) and pa.types.is_integer(values.type):
        return (
            values.cast(pa.int64(), safe=False)
            if pa.types.is_signed_integer(values.type)
            else _unsigned(values)
        )
    if kind is ColumnType.DATE and pa.types.is_date(values.type):
        return values.cast(target)
    # Anything else (floats for integers, numbers for text, ...) is judged by its text form, row by row.
    return _from_text(pc.utf8_trim_whitespace(values.cast(pa.string())), kind, ctx)


def _unsigned(values: pa.Array) -> pa.Array:
    fits = pc.less_equal(values, pa.scalar(2**63 - 1, values.type))
    return _null_unless(fits, values).cast(pa.int64(), safe=False)
