"""``lottocrm serve`` as a process: forwarded headers believed only from named proxies, and workers that die
with their supervisor instead of holding the port as orphans."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import Engine

from helpers.dialects import only
from helpers.factories import make_users

# What is tested is the process and its HTTP handling (the limiter's store is tested on both databases in
# tests/auth): one database is enough for these server starts.
pytestmark = [pytest.mark.slow, only("sqlite")]
LOTTOCRM = Path(sys.executable).with_name("lottocrm")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(settings, *extra: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:  # type: ignore[no-untyped-def]
    port = _free_port()
    process = subprocess.Popen(
        [str(LOTTOCRM), "--quiet", "serve", "--port", str(port), *extra],
        env={
            **os.environ,
            "LOTTOCRM_DATABASE_URL": settings.db_url,
            "LOTTOCRM_DATA_DIR": str(settings.data_dir),
            **(env or {}),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the server did not come up")


@pytest.fixture
def stop_all() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        for child in psutil.Process(process.pid).children(recursive=True) if process.poll() is None else []:
            child.kill()
        if process.poll() is None:
            process.kill()
            process.wait()


def _failed_sign_ins(url: str, forwarded_for: str | None, times: int) -> list[int]:
    statuses = []
    with httpx.Client(base_url=url) as client:
        for attempt in range(times):
            page = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token
            headers = {"X-Forwarded-For": f"203.0.113.{attempt}"} if forwarded_for else {}
            data = {"username": "operator", "password": "wrong", "csrf_token": token.group(1)}
            statuses.append(client.post("/login", data=data, headers=headers).status_code)
    return statuses


def test_a_rotating_x_forwarded_for_does_not_escape_the_address_limit(
    settings, engine: Engine, stop_all
) -> None:  # type: ignore[no-untyped-def]
    make_users(engine)
    process, url = _serve(settings)
    stop_all.append(process)
    statuses = _failed_sign_ins(url, "rotating", 23)
    assert statuses[:20] == [401] * 20 and statuses[20:] == [429] * 3


def test_a_named_proxys_forwarded_address_is_believed(settings, engine: Engine, stop_all) -> None:  # type: ignore[no-untyped-def]
    make_users(engine)
    process, url = _serve(settings, env={"LOTTOCRM_TRUSTED_PROXIES": "127.0.0.1"})
    stop_all.append(process)
    # Behind a trusted proxy each forwarded address is a client of its own: none reaches the limit.
    assert set(_failed_sign_ins(url, "rotating", 23)) == {401}


def test_a_bad_trusted_proxy_setting_stops_the_server_with_its_name(settings) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [str(LOTTOCRM), "serve"],
        env={
            **os.environ,
            "LOTTOCRM_DATA_DIR": str(settings.data_dir),
            "LOTTOCRM_TRUSTED_PROXIES": "proxy.local",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (
        result.returncode != 0
        and "LOTTOCRM_TRUSTED_PROXIES" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_workers_exit_when_their_supervisor_is_killed(settings, engine: Engine, stop_all) -> None:  # type: ignore[no-untyped-def]
    process, url = _serve(settings, "--workers", "2")
    stop_all.append(process)
    deadline = time.monotonic() + 60
    while len(workers := psutil.Process(process.pid).children()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(workers) >= 2
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    gone, alive = psutil.wait_procs(workers, timeout=15)
    assert alive == [], f"orphan workers still running: {[w.pid for w in alive]}"
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))  # the port is free for the next start
