"""Where good rows go (the store or the lake) and where bad rows go (a quarantine CSV file).

Store rows are inserted with SQLAlchemy Core executemany on the import's own connection, so they commit or
roll back with the rest of the file. Lake rows stream into one uncommitted lake batch.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import JSON, Connection

from lottocrm.db.base import Base
from lottocrm.ingest.facts_committed import FactsSeen
from lottocrm.ingest.spec import KindSpec
from lottocrm.lake.writer import BatchWriter
from lottocrm.presentation.csv_export import safe_table

INSERT_ROWS = 10_000
# Tables holding facts the contact policy reads, and the column naming their player.
PLAYER_COLUMN = {"players": "id", "player_identities": "player_id", "consent_events": "player_id"}


class StoreSink:
    def __init__(self, connection: Connection, spec: KindSpec) -> None:
        self.connection = connection
        self.table = Base.metadata.tables[spec.target]
        self._json_columns = [c.name for c in self.table.columns if isinstance(c.type, JSON)]
        # The range of the rows' own ids (players, games…), for the event announcing the batch.
        self.seen = FactsSeen("id")
        # Players whose gate facts the rows change: the contact policy recomputes their rows before commit.
        self.player_ids: set[int] = set()
        self._player_column = PLAYER_COLUMN.get(spec.target)

    def write(self, rows: pa.Table) -> None:
        columns = [name for name in rows.column_names if name in self.table.c]
        rows = rows.select(columns)
        if "id" in rows.column_names:
            self.seen.add(rows.select(["id"]))
        if self._player_column in rows.column_names:
            self.player_ids.update(rows[self._player_column].to_pylist())
        for start in range(0, rows.num_rows, INSERT_ROWS):
            records = rows.slice(start, INSERT_ROWS).to_pylist()
            for name in self._json_columns:
                # Only games carry JSON (their schedule); a few rows per file.
                for record in records:
                    if record.get(name) is not None:
                        record[name] = json.loads(record[name])
            self.connection.execute(self.table.insert(), records)


class LakeSink:
    def __init__(self, writer: BatchWriter, seen: FactsSeen) -> None:
        self.writer = writer
        self.seen = seen

    def write(self, rows: pa.Table) -> None:
        self.writer.write(rows)
        self.seen.add(rows)


class QuarantineFile:
    """Bad rows as CSV: the data row number, the reasons, then every column as it was written in the file."""

    def __init__(self, final: Path, header: list[str]) -> None:
        self.final = final
        self.header = header
        self.temp = final.with_name(f".{final.name}.tmp")
        self.rows = 0
        self._writer: pacsv.CSVWriter | None = None
        self._schema = pa.schema(
            [("row", pa.int64()), ("reasons", pa.string()), ("raw_line", pa.string())]
            + [(name, pa.string()) for name in header]
        )

    def write(
        self, raw: pa.Table, rows: np.ndarray, reasons: pa.Array, raw_lines: list[str] | None = None
    ) -> None:
        if raw.num_rows == 0:
            return
        columns = {
            "row": pa.array(rows, pa.int64()),
            "reasons": reasons,
            "raw_line": pa.array(raw_lines, pa.string())
            if raw_lines
            else pa.nulls(raw.num_rows, pa.string()),
        }
        for name in self.header:
            columns[name] = (
                _as_text(raw[name]) if name in raw.column_names else pa.nulls(raw.num_rows, pa.string())
            )
        if self._writer is None:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pacsv.CSVWriter(str(self.temp), self._schema)
        # The bad rows are opened in a spreadsheet to be fixed: no cell may run as a formula there.
        self._writer.write_table(safe_table(pa.table(columns, schema=self._schema)))
        self.rows += raw.num_rows

    def keep(self) -> Path | None:
        if self._writer is None:
            return None
        self._writer.close()
        os.replace(self.temp, self.final)
        return self.final

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.temp.unlink(missing_ok=True)
        self.final.unlink(missing_ok=True)


def _as_text(values: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_string(values.type):
        return values
    if pa.types.is_timestamp(values.type) or pa.types.is_date(values.type):
        return pc.cast(values, pa.string())
    return values.cast(pa.string())
