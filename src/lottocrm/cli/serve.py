"""``lottocrm serve``: run the web application and APIs with uvicorn."""

from __future__ import annotations

import typer
import uvicorn

from lottocrm.cli.context import load_settings, say


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
) -> None:
    """Serve the web UI and the JSON API (OpenAPI docs at /api/v1/docs)."""
    load_settings()  # fail on a bad setting before uvicorn starts
    say(f"lottocrm at http://{host}:{port}/  (API docs: http://{host}:{port}/api/v1/docs)")
    uvicorn.run("lottocrm.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False)
