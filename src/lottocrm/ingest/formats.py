"""Render the import specs as Markdown: ``docs/import-formats.md`` and ``lottocrm import KIND --help``."""

from __future__ import annotations

from lottocrm.ingest.kinds import KINDS
from lottocrm.ingest.spec import KindSpec

PREAMBLE = """# Import formats

Generated from `src/lottocrm/ingest/kinds.py` by `python -m lottocrm.ingest.formats > docs/import-formats.md`;
a test fails if this file and the specs disagree. Import with `lottocrm import KIND FILE`.

## Every kind

- **Files**: CSV (comma, semicolon or tab separated, with a header row; plain or gzip-compressed) or Parquet.
  The format is recognised from the content, not the file name.
- **Encoding** of CSV: detected (UTF-8, with or without BOM; Windows-1251, KOI8-R, CP866); name it with
  `--encoding cp1251` when detection is not sure. A file in no recognisable encoding is refused.
- **Columns**: the header must hold every required column and no unknown one; optional columns may be left
  out. Column order does not matter. An empty cell is a missing value.
- **Money** is an integer number of kopecks (1 ₽ = 100 kopecks): `10000` is 100 ₽. `100.00` is refused.
- **Times** are ISO 8601: `2025-05-01T10:00:00+03:00`, `2025-05-01 07:00:00Z`, or without an offset
  (`2025-05-01 10:00`), which is read in the operator's time zone (`LOTTOCRM_TIMEZONE`, default
  Europe/Moscow). Event times later than the import (beyond five minutes of clock skew) are refused.
- **Row numbers** in reports count data rows: row 1 is the first row after the header (line 2 of a CSV).
- **All or nothing**: a file with any bad row is rejected whole, with a report naming file, row, column and
  reason, and nothing is written. With `--quarantine`, the good rows load and the bad ones go to
  `<data>/quarantine/<batch>.csv` with their reasons.
- **Once only**: a file's batch id is its kind plus the SHA-256 of its content; importing the same file again
  changes nothing.
- **Duplicates**: a key that repeats inside a file is reported on every repeat (the first occurrence counts
  as the original); a key already loaded is reported on each row that carries it.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_kind(spec: KindSpec, *, heading: str = "##", as_list: bool = False) -> str:
    where = "the operational database" if spec.destination == "store" else f"the fact lake (`{spec.target}`)"
    lines = [f"{heading} {spec.name}", "", f"{spec.summary} Loaded into {where}.", ""]
    if as_list:
        # Terminal help: a table would wrap into noise at 80 columns.
        for column in spec.columns:
            facts = [column.type.value, "required" if column.required else "optional"]
            facts += [column.unit] if column.unit else []
            facts += column.rules()
            lines.append(f"- `{column.name}` ({', '.join(facts)}): {column.description}")
    else:
        lines += ["| column | type | required | unit | rules | meaning |", "|---|---|---|---|---|---|"]
        for column in spec.columns:
            rules = "; ".join(column.rules()) or "—"
            lines.append(
                f"| `{column.name}` | {column.type.value} | {'yes' if column.required else 'no'} | "
                f"{column.unit or '—'} | {_cell(rules)} | {_cell(column.description)} |"
            )
    lines.append("")
    rules = [
        f"`{key.label}` is unique within the file and against what is already loaded" for key in spec.unique
    ]
    rules += [f"`{check.column}`: {check.reason} → the row is rejected" for check in spec.checks]
    rules += [f"`{d.name}` is computed: {d.description}" for d in spec.derived]
    if rules:
        lines += ["Checks and computed columns:", ""] + [f"- {rule}" for rule in rules] + [""]
    for note in spec.notes:
        lines += [note, ""]
    lines += ["Types: " + "; ".join(sorted({f"{c.type.value} = {c.type.accepts}" for c in spec.columns})), ""]
    return "\n".join(lines)


def render_all() -> str:
    return PREAMBLE + "\n" + "\n".join(render_kind(spec) for spec in KINDS.values())


if __name__ == "__main__":
    print(render_all(), end="")
