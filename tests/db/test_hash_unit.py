"""A player's place for a salt is the same in Python, in the database (SQLite's registered function,
PostgreSQL's md5) and in DuckDB, for ids up to the largest a player may have: control groups drawn in one
engine are the groups the report reads in another."""

from __future__ import annotations

import duckdb
import pytest
from sqlalchemy import BigInteger, Engine, literal, select, union_all

from lottocrm.db.hash_unit import SPACE, hash_unit, hash_unit_sql, threshold

IDS = [1, 2, 9, 10, 12345, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1]
SALTS = ["campaign:7", "global:2026", "журнал:1"]


def test_the_database_places_every_player_where_python_does(engine: Engine) -> None:
    ids = union_all(*(select(literal(pid, BigInteger).label("player_id")) for pid in IDS)).subquery("ids")
    with engine.connect() as connection:
        for salt in SALTS:
            rows = connection.execute(select(ids.c.player_id, hash_unit_sql(salt, ids.c.player_id))).all()
            assert {pid: place for pid, place in rows} == {pid: hash_unit(salt, pid) for pid in IDS}


def test_duckdb_places_every_player_where_python_does() -> None:
    for salt in SALTS:
        for pid in IDS:
            query = "select ('0x' || substr(md5(? || ':' || CAST(? AS VARCHAR)), 1, 8))::UBIGINT"
            assert duckdb.execute(query, [salt, pid]).fetchone() == (hash_unit(salt, pid),)


def test_places_spread_evenly_and_a_share_is_its_threshold() -> None:
    places = [hash_unit("campaign:1", pid) for pid in range(1, 100_001)]
    assert all(0 <= place < SPACE for place in places)
    below = sum(place < threshold(0.1) for place in places)
    # 100 000 draws at p = 0.1: the standard deviation is about 95.
    assert 9_600 < below < 10_400
    assert threshold(0) == 0 and threshold(1) == SPACE
    with pytest.raises(ValueError, match="between 0 and 1"):
        threshold(1.5)
