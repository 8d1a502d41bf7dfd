"""Players in bulk (one per row of a reference experiment) and history files written the way an operator's
export would be."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from lottocrm.db.engine import transaction
from lottocrm.players.models import Player, PlayerIdentity

REGISTERED = dt.datetime(2025, 1, 15, 10, 0, tzinfo=dt.UTC)
HEADER = ("player_id", "campaign_code", "campaign_name", "arm", "sent_at", "responded", "revenue_kopecks")


def add_players(engine: Engine, ids: Iterable[int], *, phones: dict[int, str] | None = None) -> None:
    """Minimal registered players, inserted in one statement per 20 000 (a reference file has 85 k rows)."""
    rows = [
        {
            "id": pid,
            "last_name": "Игрок",
            "first_name": str(pid),
            "search_name": f"игрок {pid}",
            "registered_at": REGISTERED,
            "registration_channel": "website",
            "age_verified": True,
            "under_age": False,
            "status": "active",
            "created_at": REGISTERED,
        }
        for pid in ids
    ]
    with transaction(engine) as session:
        for start in range(0, len(rows), 20_000):
            session.execute(insert(Player), rows[start : start + 20_000])
        for pid, phone in (phones or {}).items():
            session.add(
                PlayerIdentity(player_id=pid, kind="phone", value=phone, verified=True, created_at=REGISTERED)
            )


def write_history(path: Path, rows: list[dict[str, Any]], header: tuple[str, ...] = HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="raise")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def history_file(tmp_path: Path) -> Callable[..., Path]:
    names = iter(range(1, 1000))

    def make(rows: list[dict[str, Any]], header: tuple[str, ...] = HEADER) -> Path:
        return write_history(tmp_path / f"history-{next(names)}.csv", rows, header)

    return make
