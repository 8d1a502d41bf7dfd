"""``lottocrm serve``: run the web application and APIs with uvicorn."""

from __future__ import annotations

import os
import sys

import typer

from lottocrm.cli.context import load_settings, say
from lottocrm.web.lifecycle import SUPERVISOR_PID_VARIABLE


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
) -> None:
    """Serve the web UI and the JSON API (OpenAPI docs at /api/v1/docs)."""
    settings = load_settings()  # fail on a bad setting before uvicorn starts
    say(f"lottocrm at http://{host}:{port}/  (API docs: http://{host}:{port}/api/v1/docs)")
    sys.stdout.flush()
    # Replace this process with uvicorn's own command line instead of calling uvicorn.run() here. Workers are
    # spawned, and spawn re-imports the parent's main module in every child before the child can answer the
    # supervisor's health check; this CLI's main module imports scipy, pandas and pyarrow (~9 s on a busy
    # machine), longer than uvicorn's 5 s health-check timeout, so with --workers 2 the supervisor killed
    # and restarted its workers forever. uvicorn's main module is light: a worker answers at once and
    # imports the application afterwards. The process id stays the same, so signals reach the server.
    # Forwarded headers only from the proxies the operator names (LOTTOCRM_TRUSTED_PROXIES); uvicorn would
    # otherwise believe any client connecting over loopback.
    proxies = (
        ["--proxy-headers", "--forwarded-allow-ips", settings.trusted_proxies]
        if settings.trusted_proxies
        else ["--no-proxy-headers"]
    )
    # Workers kill themselves when this process dies (web/lifecycle.py); exec keeps its pid.
    os.environ[SUPERVISOR_PID_VARIABLE] = str(os.getpid())
    os.execv(
        sys.executable,
        [
            sys.executable,
            "-m",
            "uvicorn",
            "lottocrm.web.app:create_app",
            "--factory",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
            *proxies,
            "--log-level",
            "warning",
            "--no-access-log",
        ],
    )
