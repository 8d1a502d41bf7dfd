"""``lottocrm demo``: what a new user runs right after installing — a full simulated operator to explore."""

from __future__ import annotations

from typing import Annotated

import typer


def demo(
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Clear a data folder that already holds data, then run the demo."),
    ] = False,
    serve_ui: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the web UI when the data is ready.")
    ] = True,
    host: Annotated[str, typer.Option(help="Address the web UI listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port of the web UI.")] = 8000,
) -> None:
    """Simulate the default operator (100 000 players), then serve the web UI.

    The operator comes with a loyalty programme, an analytical record, models, a month of campaigns with
    their results, and demo accounts."""
    # Imported here: the steps' simulator, loyalty and auth imports would slow every command's start.
    from lottocrm.cli.demo_steps import run

    run(replace=replace, serve_ui=serve_ui, host=host, port=port)
