"""What an import did, in a form a person can act on: which rows, which columns, why, how many."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from lottocrm.ingest.validate import Finding
from lottocrm.presentation.text import printable

EXAMPLES_PER_PROBLEM = 5
# An example value is echoed up to this many characters (a 10 MB field must not flood the report).
VALUE_LIMIT = 80


@dataclass
class Problem:
    column: str
    reason: str
    count: int = 0
    examples: list[tuple[int, str | None]] = field(default_factory=list)  # (row, value as written)


@dataclass
class ImportReport:
    kind: str
    source: str
    batch_id: str | None = None
    # loaded | rejected | already_loaded
    status: str = "rejected"
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_with_problems: int = 0
    problems: list[Problem] = field(default_factory=list)
    # A problem with the file as a whole (empty, undecodable, wrong header); rows were not judged.
    file_error: str | None = None
    notices: list[str] = field(default_factory=list)
    quarantine_file: Path | None = None
    encoding: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("loaded", "already_loaded")

    def describe(self) -> str:
        """The full report as text: a headline, then every problem with counts and examples."""
        lines = [self.headline()]
        if self.file_error:
            lines.append(f"  {self.file_error}")
        for problem in self.problems:
            lines.append(f"  column {problem.column}: {problem.reason} — {problem.count} row(s)")
            for row, value in problem.examples:
                shown = "empty" if value is None or value == "" else f"'{printable(value, VALUE_LIMIT)}'"
                lines.append(f"    {self.source}, row {row}, column {problem.column}: {shown}")
        lines.extend(f"  note: {notice}" for notice in self.notices)
        if self.quarantine_file:
            lines.append(f"  bad rows and their reasons: {self.quarantine_file}")
        return "\n".join(lines)

    def headline(self) -> str:
        if self.status == "already_loaded":
            return f"{self.source}: already imported as batch {self.batch_id}; nothing changed"
        if self.status == "loaded":
            extra = f", {self.rows_quarantined} quarantined" if self.rows_quarantined else ""
            return (
                f"{self.source}: loaded {self.rows_loaded} {self.kind} row(s){extra} (batch {self.batch_id})"
            )
        if self.file_error:
            return f"{self.source}: rejected, nothing loaded"
        return (
            f"{self.source}: rejected, nothing loaded — {self.rows_with_problems} of {self.rows_read} row(s) "
            f"have problems (fix them, or use --quarantine to load the good rows)"
        )


class ProblemLog:
    """Accumulates findings batch after batch: counts, and the first examples of each problem."""

    def __init__(self) -> None:
        self._problems: dict[tuple[str, str], Problem] = {}
        self.bad_rows = 0

    def add(self, column: str, reason: str, rows: np.ndarray, values: list[str | None]) -> None:
        problem = self._problems.setdefault((column, reason), Problem(column, reason))
        problem.count += len(rows)
        room = EXAMPLES_PER_PROBLEM - len(problem.examples)
        problem.examples.extend(zip(rows[:room].tolist(), values[:room], strict=False))

    def add_findings(self, findings: list[Finding], raw: pa.Table, row_numbers: np.ndarray) -> None:
        for finding in findings:
            hit = np.flatnonzero(finding.rows)
            column = finding.column if finding.column in raw.column_names else finding.column.split(" + ")[0]
            shown = hit[:EXAMPLES_PER_PROBLEM]
            if column in raw.column_names:
                values = raw[column].take(pa.array(shown)).cast(pa.string()).to_pylist()
            else:
                values = [None] * len(shown)
            self.add(finding.column, finding.reason, row_numbers[hit], values)

    @property
    def problems(self) -> list[Problem]:
        return sorted(self._problems.values(), key=lambda p: min((r for r, _ in p.examples), default=0))

    def __bool__(self) -> bool:
        return bool(self._problems)
