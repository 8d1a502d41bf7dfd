"""A real uvicorn server on a free loopback port over a seeded SQLite store, and Debian's Chromium, for the
end-to-end browser tests (screenshots go to ``test-artifacts/``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from helpers.factories import make_lake, make_players, make_users
from lottocrm.db import migrate
from lottocrm.db.engine import make_engine
from lottocrm.lake.store import Lake

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server_seed() -> Callable[[Engine], None]:
    """What a test module adds to the server's store beyond the users and players (override it there)."""
    return lambda _engine: None


@pytest.fixture
def server(tmp_path: Path, server_seed: Callable[[Engine], None]) -> Iterator[str]:
    data = tmp_path / "data"
    url = f"sqlite:///{data / 'crm.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    make_users(engine)
    make_players(engine)
    server_seed(engine)
    engine.dispose()
    make_lake(Lake(data / "lake"))
    with serving(data, url) as base:
        yield base


@contextmanager
def serving(data: Path, url: str) -> Iterator[str]:
    """uvicorn over the data folder ``data`` and the database ``url``; its base address."""
    port = _free_port()
    env = {**os.environ, "LOTTOCRM_DATA_DIR": str(data), "LOTTOCRM_DATABASE_URL": url}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "lottocrm.web.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def russian_page(server: str, username: str) -> Iterator[tuple[Any, list[str]]]:
    """Debian chromium at 1366 px in Russian, signed in as ``username``: the page and the script errors it
    raised (a test asserts there were none)."""
    from playwright.sync_api import sync_playwright

    from helpers.factories import PASSWORD

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="ru-RU")
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.set_default_timeout(20_000)
        page.goto(f"{server}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.press("input[name=password]", "Enter")
        try:
            yield page, problems
        finally:
            browser.close()
