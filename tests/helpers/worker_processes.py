"""Fixtures for tests that run real ``lottocrm worker`` processes (``tests/jobs/worker_main.py``, which adds a
test domain of job kinds and event subscribers to the installed ones) and kill them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

WORKER_MAIN = Path(__file__).parents[1] / "jobs" / "worker_main.py"
LEASE_SECONDS = 2


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds}s waiting for {what}")
        time.sleep(0.05)


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@pytest.fixture
def effects(tmp_path: Path) -> Path:
    return tmp_path / "effects.log"


@pytest.fixture
def start_worker(
    db_url: str, effects: Path, tmp_path: Path
) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start `lottocrm worker` processes; whatever a test leaves running is killed at the end."""
    started: list[subprocess.Popen[str]] = []
    env = {
        **os.environ,
        "LOTTOCRM_DATABASE_URL": db_url,
        "LOTTOCRM_DATA_DIR": str(tmp_path / "data"),
        "LOTTOCRM_TEST_EFFECTS": str(effects),
        "PYTHONUNBUFFERED": "1",
    }

    def start(*options: str, wait: bool = True) -> subprocess.Popen[str]:
        command = [sys.executable, str(WORKER_MAIN), "worker", "--lease-seconds", str(LEASE_SECONDS)]
        process = subprocess.Popen(
            [*command, "--poll-seconds", "0.05", *options],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(process)
        if wait:
            wait_until_ready(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_until_ready(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    banner = process.stdout.readline()
    assert banner.startswith("worker "), f"the worker did not start: {banner}{process.stdout.read()}"
