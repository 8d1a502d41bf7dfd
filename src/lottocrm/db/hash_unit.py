"""A player's deterministic place for a salt: the first 32 bits of MD5("salt:player_id"), a whole number in
[0, 2^32), computed alike in Python, SQLite (a function registered on every connection), PostgreSQL and
DuckDB (``md5`` and a hex cast in each).

Control groups and holdouts are drawn by it: a player is in a 10 % holdout when the place is below
0.1 · 2^32, and a campaign's control is the lowest places of each stratum. MD5 because every engine has it
(PostgreSQL's ``hashtext`` and DuckDB's ``hash`` differ from each other and from Python's); 32 bits because
every engine turns 8 hex digits into a number exactly, and 2^-32 is finer than any share anyone sets.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, String, cast, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

SPACE = 2**32
SQLITE_FUNCTION = "lottocrm_hash_unit"


def hash_unit(salt: str, player_id: int | str) -> int:
    return sqlite_hash_unit(f"{salt}:{player_id}")


def threshold(share: float) -> int:
    """The places below which ``share`` of all players fall."""
    if not 0 <= share <= 1:
        raise ValueError(f"a share is between 0 and 1, got {share}")
    return round(share * SPACE)


def sqlite_hash_unit(text: str) -> int:
    """The SQLite function: the place of an already joined "salt:player_id" text."""
    # The first four bytes of the digest are its first eight hex digits (and faster than formatting them).
    return int.from_bytes(hashlib.md5(text.encode()).digest()[:4], "big")


class _HashUnit(FunctionElement[int]):
    type = BigInteger()
    inherit_cache = True
    name = "hash_unit"


@compiles(_HashUnit)
def _postgresql(element: _HashUnit, compiler: Any, **kw: Any) -> str:
    text = compiler.process(element.clauses, **kw)
    return f"(('x' || lpad(substr(md5({text}), 1, 8), 16, '0'))::bit(64)::bigint)"


@compiles(_HashUnit, "sqlite")
def _sqlite(element: _HashUnit, compiler: Any, **kw: Any) -> str:
    return f"{SQLITE_FUNCTION}({compiler.process(element.clauses, **kw)})"


def hash_unit_sql(salt: str, player_id: ColumnElement[int]) -> ColumnElement[int]:
    """:func:`hash_unit` of each row's player id, as SQL."""
    return _HashUnit(literal(f"{salt}:") + cast(player_id, String))
