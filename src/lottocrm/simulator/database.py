"""Bulk writes of simulated rows into the operational store, and the checks and clean-up around a run.

Rows travel as Arrow tables. SQLite gets one ``executemany`` of plain tuples per table, with times already
in the text form SQLAlchemy stores them in, so the ORM's per-value Python conversions are skipped; PostgreSQL
gets ``COPY … FROM STDIN`` of CSV that Arrow writes in C. Both run inside the caller's transaction.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Connection, Engine, Table, func, select, text

from lottocrm import domains
from lottocrm.catalog.models import Draw, Game, PointOfSale
from lottocrm.db.base import Base
from lottocrm.db.engine import is_sqlite
from lottocrm.players.models import ConsentEvent, Player, PlayerIdentity, ResponsibleGaming

# Children before parents, so deleting in this order never trips a foreign key.
SIMULATED_TABLES = (
    ConsentEvent.__table__,
    PlayerIdentity.__table__,
    ResponsibleGaming.__table__,
    Player.__table__,
    Draw.__table__,
    PointOfSale.__table__,
    Game.__table__,
)


def _sqlite_column(column: pa.ChunkedArray) -> list[object]:
    # Casting a naive UTC timestamp to text gives "YYYY-MM-DD HH:MM:SS.ffffff", SQLAlchemy's SQLite DATETIME
    # form, about twenty times faster than strftime; dates cast to "YYYY-MM-DD".
    if pa.types.is_timestamp(column.type):
        column = pc.cast(column.cast(pa.timestamp("us")), pa.string())
    elif pa.types.is_date(column.type):
        column = pc.cast(column, pa.string())
    elif pa.types.is_boolean(column.type):
        column = pc.cast(column, pa.int8())
    return column.to_pylist()


def insert_rows(connection: Connection, table_name: str, rows: pa.Table) -> None:
    """Append ``rows`` (columns named as in the table) to ``table_name``."""
    if rows.num_rows == 0:
        return
    columns = ", ".join(rows.column_names)
    if connection.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in rows.column_names)
        values = list(zip(*(_sqlite_column(rows[name]) for name in rows.column_names), strict=True))
        connection.exec_driver_sql(f"INSERT INTO {table_name} ({columns}) VALUES ({marks})", values)
        return
    buffer = io.BytesIO()
    pacsv.write_csv(rows, buffer, pacsv.WriteOptions(include_header=False))
    raw = connection.connection.dbapi_connection
    assert raw is not None
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table_name} ({columns}) FROM STDIN (FORMAT csv)") as copy,
    ):
        copy.write(buffer.getbuffer())


@dataclass(frozen=True)
class ExistingData:
    players: int
    games: int
    tickets: int

    @property
    def empty(self) -> bool:
        return self.players == 0 and self.games == 0 and self.tickets == 0

    def describe(self) -> str:
        return f"{self.players:,} players, {self.games:,} games, {self.tickets:,} tickets"


def count_rows(engine: Engine, table: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def tables_to_clear() -> list[Table]:
    """The simulated tables plus every table whose rows hang off them (loyalty accounts of players, …),
    children first: a replaced operator's players take everything about them along."""
    domains.import_models()  # every table, so the tables hanging off players are known
    doomed = {table.name for table in SIMULATED_TABLES}
    ordered = Base.metadata.sorted_tables
    for table in ordered:
        if any(fk.column.table.name in doomed for fk in table.foreign_keys):
            doomed.add(table.name)
    return [table for table in reversed(ordered) if table.name in doomed]


def clear_simulated_tables(engine: Engine) -> list[str]:
    """Empty :func:`tables_to_clear` in one transaction; returns the names of those that held rows."""
    tables = tables_to_clear()
    with engine.begin() as connection:
        held = [
            table.name
            for table in tables
            if connection.execute(select(func.count()).select_from(table)).scalar_one() > 0
        ]
        if is_sqlite(engine):
            for table in tables:
                connection.execute(table.delete())
        else:
            connection.execute(text(f"TRUNCATE {', '.join(table.name for table in tables)}"))
    return held
