"""Validate one raw batch against its kind's spec, all columns and all rows at once.

Order: read each column into its type; normalise (phones, e-mails, codes); column rules (allowed values,
ranges, lengths, patterns, not in the future); the kind's row checks (references); uniqueness within the file
and against what is already loaded; derived columns. Every step yields findings, each a (column, reason,
mask of bad rows). A row is good when no finding marks it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lottocrm.ingest.coerce import coerce
from lottocrm.ingest.contacts import normalise_emails, normalise_identities, normalise_phones
from lottocrm.ingest.context import CheckContext, as_numpy, few_distinct, mask
from lottocrm.ingest.spec import Column, ColumnType, KindSpec, Normaliser, UniqueKey


@dataclass
class Finding:
    column: str
    reason: str
    rows: np.ndarray  # True where the row has this problem


@dataclass
class CheckedBatch:
    data: pa.Table  # typed, normalised, with derived columns; bad rows included
    findings: list[Finding]
    bad: np.ndarray


class DuplicateTracker:
    """Remembers the keys seen so far in this file, as sorted 64-bit keys, to find repeats across batches.

    Integer ids are their own key; other keys are hashed by DuckDB (64-bit; a false repeat needs a collision,
    about one in 10^11 for a 20-million-row file). The first occurrence of a key wins; later ones are the
    duplicates reported.
    """

    def __init__(self, key: UniqueKey) -> None:
        self.key = key
        self.seen = np.empty(0, dtype=np.uint64)

    def _keys(self, data: pa.Table, ctx: CheckContext) -> tuple[np.ndarray, np.ndarray]:
        columns = list(self.key.columns)
        present = (
            mask(pc.and_kleene(*[pc.is_valid(data[c]) for c in columns]))
            if len(columns) > 1
            else mask(pc.is_valid(data[columns[0]]))
        )
        if len(columns) == 1 and pa.types.is_integer(data.schema.field(columns[0]).type):
            keys = as_numpy(pc.fill_null(data[columns[0]], 0)).astype(np.int64).view(np.uint64)
            return keys, present
        ctx.duck.register("key_rows", data.select(columns))
        try:
            hashed = ctx.duck.sql(f"SELECT hash({', '.join(columns)}) AS h FROM key_rows").to_arrow_table()
        finally:
            ctx.duck.unregister("key_rows")
        return as_numpy(hashed["h"]).astype(np.uint64), present

    def repeats(self, data: pa.Table, ctx: CheckContext) -> np.ndarray:
        keys, present = self._keys(data, ctx)
        rows = np.flatnonzero(present)
        keys = keys[rows]
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        repeat = np.zeros(len(keys), dtype=bool)
        repeat[order[1:][ordered[1:] == ordered[:-1]]] = True
        if self.seen.size:
            at = np.minimum(np.searchsorted(self.seen, keys), self.seen.size - 1)
            repeat |= self.seen[at] == keys
        first_of_each = (
            ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if ordered.size else ordered
        )
        # Timsort merges the two sorted runs in linear time.
        self.seen = np.sort(np.concatenate([self.seen, first_of_each]), kind="stable")
        result = np.zeros(data.num_rows, dtype=bool)
        result[rows[repeat]] = True
        return result


def _normalise(column: Column, values: pa.Array, data: dict[str, pa.Array]) -> tuple[pa.Array, list[Finding]]:
    if column.normaliser is Normaliser.UPPER:
        return pc.utf8_upper(values), []
    if column.normaliser is Normaliser.PHONE:
        values, bad = normalise_phones(values)
        return values, [Finding(column.name, "not a valid phone number", bad)]
    if column.normaliser is Normaliser.EMAIL:
        values, bad = normalise_emails(values)
        return values, [Finding(column.name, "not a valid e-mail address", bad)]
    if column.normaliser is Normaliser.IDENTITY:
        values, failures = normalise_identities(data["kind"], values)
        return values, [Finding(column.name, reason, bad) for reason, bad in failures]
    return values, []


def _column_rules(column: Column, values: pa.Array, ctx: CheckContext) -> list[Finding]:
    findings = []
    if column.allowed:
        outside = pc.and_(
            pc.is_valid(values), pc.invert(pc.is_in(values, value_set=pa.array(column.allowed)))
        )
        findings.append(Finding(column.name, "must be one of " + ", ".join(column.allowed), mask(outside)))
    unit = f" {column.unit}" if column.unit and column.unit != "time" else ""
    if column.minimum is not None:
        findings.append(
            Finding(
                column.name, f"must be at least {column.minimum}{unit}", mask(pc.less(values, column.minimum))
            )
        )
    if column.maximum is not None:
        findings.append(
            Finding(
                column.name,
                f"must be at most {column.maximum}{unit}",
                mask(pc.greater(values, column.maximum)),
            )
        )
    if column.max_length is not None:
        too_long = pc.greater(pc.utf8_length(values), column.max_length)
        findings.append(Finding(column.name, f"longer than {column.max_length} characters", mask(too_long)))
    if column.pattern is not None:
        findings.append(
            Finding(column.name, f"must be an {column.pattern_hint}", _misfits(values, column.pattern))
        )
    if column.not_in_future:
        limit = pa.scalar(ctx.latest_allowed, ColumnType.TIMESTAMP.arrow)
        findings.append(Finding(column.name, "is in the future", mask(pc.greater(values, limit))))
    return findings


def _misfits(values: pa.Array, pattern: str) -> np.ndarray:
    """Rows whose text does not match ``pattern``; the regex runs once per distinct value when there are few.

    A null index (a missing value) stays null after ``take``, and null is not a finding.
    """
    encoded = few_distinct(values)
    if encoded is None:
        return mask(pc.invert(pc.match_substring_regex(values, pattern)))
    misfit = pc.invert(pc.match_substring_regex(encoded.dictionary, pattern))
    return mask(pc.take(misfit, encoded.indices))


def check_batch(
    raw: pa.Table, spec: KindSpec, ctx: CheckContext, trackers: list[DuplicateTracker]
) -> CheckedBatch:
    findings: list[Finding] = []
    columns: dict[str, pa.Array] = {}
    for column in spec.columns:
        if column.name in raw.column_names:
            read = coerce(raw[column.name], column, ctx)
            findings.append(Finding(column.name, f"cannot read as {column.type.accepts}", read.unreadable))
            findings.append(Finding(column.name, "required value is missing", read.missing))
            columns[column.name] = read.values
        else:
            columns[column.name] = pa.nulls(raw.num_rows, column.type.arrow)
    for column in spec.columns:
        columns[column.name], found = _normalise(column, columns[column.name], columns)
        if column.default is not None:
            columns[column.name] = pc.fill_null(
                columns[column.name], pa.scalar(column.default, column.type.arrow)
            )
        findings.extend(found)
        findings.extend(_column_rules(column, columns[column.name], ctx))
    data = pa.table(columns, schema=spec.typed_schema)
    for check in spec.checks:
        findings.append(Finding(check.column, check.reason, mask(check.find_bad(data, ctx))))
    for tracker in trackers:
        label = tracker.key.label
        repeated = tracker.repeats(data, ctx)
        findings.append(Finding(label, "duplicate: appears earlier in this file", repeated))
        loaded = mask(tracker.key.already_loaded(data, ctx)) & ~repeated
        where = "the lake" if spec.destination == "lake" else "the database"
        findings.append(Finding(label, f"duplicate: already in {where}", loaded))
    for derived in spec.derived:
        data = data.append_column(derived.name, derived.compute(data, ctx))
    findings = [f for f in findings if f.rows.any()]
    bad = np.zeros(raw.num_rows, dtype=bool)
    for finding in findings:
        bad |= finding.rows
    return CheckedBatch(data=data, findings=findings, bad=bad)


def reasons_per_row(findings: list[Finding], size: int) -> pa.Array:
    """Per row, its problems in one text, such as "sold_at: is in the future; region: …"."""
    if not findings:
        return pa.nulls(size, pa.string())
    # Empty strings rather than nulls: binary_join_element_wise's "skip" mode drops whole rows in Arrow 26.
    parts = [pc.if_else(pa.array(f.rows), f"{f.column}: {f.reason}; ", "") for f in findings]
    joined = pc.binary_join_element_wise(*parts, "") if len(parts) > 1 else parts[0]
    return pc.utf8_rtrim(joined, characters="; ")
