"""The one way lottocrm writes CSV for people: reports, quarantine files, audit exports.

A spreadsheet opens a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a
formula, so a player's name or an imported value could run a command on the analyst's machine (OWASP, "CSV
injection"). Such a cell is written with a leading apostrophe, which spreadsheets show as text. Plain
numbers (``-12``, ``+7.5``) are left as they are: a negative amount is data, not a formula.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

import pyarrow as pa
import pyarrow.compute as pc

FORMULA_START = r"^[=+\-@\t\r]"
PLAIN_NUMBER = r"^[+-]?[0-9]+([.,][0-9]+)?$"
_formula = re.compile(FORMULA_START)
_number = re.compile(PLAIN_NUMBER)


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and _formula.match(value) and not _number.match(value):
        return "'" + value
    return value


def safe_column(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The same column with every formula-looking text cell neutralised (vectorised, for Arrow writers)."""
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        return values
    risky = pc.and_(
        pc.match_substring_regex(values, FORMULA_START),
        pc.invert(pc.match_substring_regex(values, PLAIN_NUMBER)),
    )
    return pc.if_else(pc.fill_null(risky, False), pc.binary_join_element_wise("'", values, ""), values)


def safe_table(table: pa.Table) -> pa.Table:
    return pa.table([safe_column(column) for column in table.columns], schema=table.schema)


def write_csv(out: TextIO, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(out)
    writer.writerow([safe_cell(name) for name in header])
    writer.writerows([safe_cell(value) for value in row] for row in rows)
