"""Ingestion fixtures: a seeded catalogue, a file writer, an importer bound to one test's store and lake."""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Callable
from pathlib import Path

import pytest
from ingest_helpers import NOW, count
from sqlalchemy import Engine, insert

from helpers.factories import IMPORT
from lottocrm.catalog.models import Draw, Game, PointOfSale
from lottocrm.ingest.models import ImportBatch
from lottocrm.ingest.report import ImportReport
from lottocrm.ingest.service import import_file
from lottocrm.lake.store import Lake
from lottocrm.players.models import Player
from lottocrm.settings import Settings


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write a CSV (optionally gzip, optionally in another encoding) into the test folder."""

    def _write(name: str, text: str | bytes, *, encoding: str = "utf-8", compress: bool = False) -> Path:
        data = text if isinstance(text, bytes) else text.encode(encoding)
        path = tmp_path / "files" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(gzip.compress(data) if compress else data)
        return path

    return _write


@pytest.fixture
def lake(settings: Settings) -> Lake:
    return Lake(settings.lake_path)


@pytest.fixture
def catalog(engine: Engine) -> None:
    """Two games (a draw game with two draws, an instant game), a kiosk and three players."""
    now = NOW
    with engine.begin() as con:
        con.execute(
            insert(Game),
            [
                {
                    "id": 1,
                    "code": "6x45",
                    "name": "Гослото 6 из 45",
                    "kind": "draw",
                    "ticket_price_kopecks": 10_000,
                },
                {
                    "id": 2,
                    "code": "instant",
                    "name": "Моментальная",
                    "kind": "instant",
                    "ticket_price_kopecks": 5_000,
                },
            ],
        )
        con.execute(
            insert(Draw),
            [
                {"id": 100, "game_id": 1, "number": 1, "draw_at": now - dt.timedelta(days=30)},
                {"id": 101, "game_id": 1, "number": 2, "draw_at": now - dt.timedelta(days=29)},
            ],
        )
        con.execute(
            insert(PointOfSale),
            [
                {
                    "id": 10,
                    "code": "K-10",
                    "name": "Киоск у метро",
                    "channel": "retail_kiosk",
                    "created_at": now,
                }
            ],
        )
        con.execute(
            insert(Player),
            [
                {
                    "id": i,
                    "last_name": "Иванов",
                    "first_name": "Иван",
                    "search_name": "иванов иван",
                    "registered_at": now - dt.timedelta(days=400),
                    "registration_channel": "website",
                    "created_at": now,
                }
                for i in (1, 2, 3)
            ],
        )


@pytest.fixture
def run(engine: Engine, lake: Lake, settings: Settings) -> Callable[..., ImportReport]:
    def _run(kind: str, path: Path, **options: object) -> ImportReport:
        options.setdefault("now", NOW)
        return import_file(
            actor=IMPORT, kind=kind, path=path, engine=engine, lake=lake, settings=settings, **options
        )  # type: ignore[arg-type]

    return _run


@pytest.fixture
def nothing_written(engine: Engine, lake: Lake, settings: Settings) -> Callable[[], None]:
    """Call at the end of a test: no ledger row, no lake batch, no quarantine file, catalogue unchanged."""
    before = {model: count(engine, model) for model in (Game, Draw, PointOfSale, Player)}

    def _check() -> None:
        assert count(engine, ImportBatch) == 0
        for table in ("tickets", "wins", "sessions"):
            assert lake.records(table) == []
            assert not list((lake.root / table).glob("month=*/*"))
        assert not settings.quarantine_dir.exists() or not any(settings.quarantine_dir.iterdir())
        assert {model: count(engine, model) for model in before} == before

    return _check
