"""The ``lottocrm worker`` command with a few test handlers registered, for tests that need a killable worker.

Only the worker's commands are mounted (lottocrm.cli.worker.register, as the real CLI does), so the process
starts without importing every other domain's CLI.

Each handler appends one line to the file named by LOTTOCRM_TEST_EFFECTS; appends of a short line are atomic,
so several processes can share the file and the test can count who ran what.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from lottocrm.jobs.registry import JobContext, registry


def note(line: str) -> None:
    with Path(os.environ["LOTTOCRM_TEST_EFFECTS"]).open("a", encoding="utf-8") as effects:
        effects.write(line + "\n")


@registry.register("test.record")
def record(context: JobContext) -> None:
    time.sleep(float(context.job.payload.get("seconds", 0)))
    note(f"done {context.job.id} by {os.getpid()}")


@registry.register("test.stall_first_attempt")
def stall_first_attempt(context: JobContext) -> None:
    note(f"started {context.job.id} attempt {context.job.attempt} by {os.getpid()}")
    if context.job.attempt == 1:
        time.sleep(600)
    note(f"finished {context.job.id}")


if __name__ == "__main__":
    import typer

    from lottocrm.cli.worker import register

    app = typer.Typer()
    register(app)
    app(prog_name="lottocrm")
