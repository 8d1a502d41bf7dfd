"""The vocabulary of import formats: a column, a row check, a kind. Specs themselves live in ``kinds.py``.

One spec per kind is the single source for validation, for ``docs/import-formats.md`` and for
``lottocrm import KIND --help``, so the three cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from lottocrm.ingest.context import CheckContext


class ColumnType(StrEnum):
    INT16 = "int16"
    INT32 = "int32"
    INT64 = "int64"
    STRING = "string"
    BOOL = "bool"
    DATE = "date"
    TIMESTAMP = "timestamp"

    @property
    def arrow(self) -> pa.DataType:
        return {
            ColumnType.INT16: pa.int16(),
            ColumnType.INT32: pa.int32(),
            ColumnType.INT64: pa.int64(),
            ColumnType.STRING: pa.string(),
            ColumnType.BOOL: pa.bool_(),
            ColumnType.DATE: pa.date32(),
            ColumnType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
        }[self]

    @property
    def accepts(self) -> str:
        """How a value of this type is written in a CSV file (for the docs and --help)."""
        return {
            ColumnType.INT16: "integer",
            ColumnType.INT32: "integer",
            ColumnType.INT64: "integer",
            ColumnType.STRING: "text",
            ColumnType.BOOL: "true/false, 1/0, yes/no, да/нет",
            ColumnType.DATE: "YYYY-MM-DD or DD.MM.YYYY",
            ColumnType.TIMESTAMP: "ISO 8601; with an offset (+03:00, Z) or in the operator's time zone",
        }[self]


class Normaliser(StrEnum):
    """Rewrites applied before the checks; the stored value is the normalised one."""

    PHONE = "phone"  # E.164, region RU
    EMAIL = "email"  # trimmed, lower case, checked
    UPPER = "upper"  # codes such as regions
    IDENTITY = "identity"  # per the row's ``kind``: phone, e-mail, card digits or device id


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    description: str
    required: bool = True
    unit: str | None = None
    allowed: tuple[str, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    # An RE2 pattern the whole (normalised) value must match, and how to say it to a person.
    pattern: str | None = None
    pattern_hint: str | None = None
    # Event times cannot lie ahead of the import (a few minutes of clock skew are forgiven).
    not_in_future: bool = False
    normaliser: Normaliser | None = None
    # Stored when an optional column is absent or empty.
    default: bool | int | str | None = None

    def rules(self) -> list[str]:
        """The column's constraints as short phrases, for the docs."""
        rules = []
        if self.allowed:
            rules.append("one of " + ", ".join(f"`{v}`" for v in self.allowed))
        if self.minimum is not None:
            rules.append(f"≥ {self.minimum}")
        if self.maximum is not None:
            rules.append(f"≤ {self.maximum}")
        if self.max_length is not None:
            rules.append(f"at most {self.max_length} characters")
        if self.pattern_hint:
            rules.append(self.pattern_hint)
        if self.not_in_future:
            rules.append("not in the future")
        if self.default is not None:
            rules.append(
                f"default `{str(self.default).lower() if isinstance(self.default, bool) else self.default}`"
            )
        return rules


# A row check looks at a whole typed batch and returns a mask of the rows that fail it (True = bad).
CheckFunction = Callable[[pa.Table, "CheckContext"], pa.ChunkedArray | pa.Array]


@dataclass(frozen=True)
class RowCheck:
    column: str
    reason: str
    find_bad: CheckFunction


@dataclass(frozen=True)
class UniqueKey:
    """Columns whose values must be unique within the file and against what is already loaded."""

    columns: tuple[str, ...]
    already_loaded: CheckFunction

    @property
    def label(self) -> str:
        return " + ".join(self.columns)


@dataclass(frozen=True)
class Derived:
    """A column computed from the row, not read from the file (e.g. ``under_age``)."""

    name: str
    description: str
    compute: Callable[[pa.Table, CheckContext], pa.Array | pa.ChunkedArray]


@dataclass(frozen=True)
class KindSpec:
    name: str
    summary: str
    # "store": the operational database, one transaction per file; "lake": a fact table, one batch per file.
    destination: str
    target: str
    columns: tuple[Column, ...]
    unique: tuple[UniqueKey, ...] = ()
    checks: tuple[RowCheck, ...] = ()
    derived: tuple[Derived, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def typed_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type.arrow) for c in self.columns])
