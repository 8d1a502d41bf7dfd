"""CSV for people: no cell a spreadsheet would run as a formula; numbers and ordinary text untouched."""

from __future__ import annotations

import csv
import io

import pyarrow as pa

from lottocrm.presentation.csv_export import safe_column, write_csv

HOSTILE = ["=cmd|' /C calc'!A0", "+SUM(A1:A9)", "-2+3", "@SUM(1)", "\t=1", "\r=1"]


def test_formula_cells_are_written_as_text() -> None:
    out = io.StringIO()
    write_csv(out, ["name", "amount"], [[value, -12] for value in HOSTILE] + [["Иванов", 3.5]])
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert rows[0] == ["name", "amount"]
    assert rows[1:-1] == [["'" + value, "-12"] for value in HOSTILE]
    assert rows[-1] == ["Иванов", "3.5"]


def test_the_arrow_column_form_agrees() -> None:
    column = pa.array([*HOSTILE, "-12", "+7.5", "ok", None])
    assert safe_column(column).to_pylist() == [*("'" + v for v in HOSTILE), "-12", "+7.5", "ok", None]
