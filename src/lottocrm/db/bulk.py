"""Bulk insert of rows already in the database's column order, inside the caller's transaction.

PostgreSQL gets them by ``COPY … FROM STDIN`` (the fastest path psycopg offers), SQLite by one prepared
executemany. Used by the per-player score tables, which write 10^5–10^6 rows per run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session


def insert_rows(session: Session, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    connection = session.connection()
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
