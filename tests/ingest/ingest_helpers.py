"""Constants and small helpers shared by the ingestion tests (imported by name; conftest holds fixtures)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
TICKET_HEADER = "ticket_id,player_id,game_id,draw_id,channel,pos_id,region,price_kopecks,sold_at"
GOOD_TICKETS = [
    "1,1,1,100,website,,RU-MOW,10000,2025-05-01 10:00",
    "2,,2,,retail_kiosk,10,ru-spe,5000,2025-05-01T11:00:00+03:00",
    "3,2,1,101,app,,,20000,2025-04-30 09:15:00Z",
]


def csv_text(header: str, rows: list[str]) -> str:
    return "\n".join([header, *rows]) + "\n"


def count(engine: Engine, model: type) -> int:
    with engine.connect() as con:
        return con.execute(select(func.count()).select_from(model)).scalar_one()
