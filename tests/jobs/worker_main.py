"""``lottocrm worker`` with a test domain installed beside the real ones, for tests that need a killable
worker. The test domain's job kinds and event subscribers are wired exactly as a real domain's are, so the
worker finds them the same way.

Each handler appends one line to the file named by LOTTOCRM_TEST_EFFECTS; appends of a short line are atomic,
so several processes can share the file and the test can count who ran what.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import text

from lottocrm import domains
from lottocrm.events.delivery import EventContext
from lottocrm.jobs.registry import JobContext
from lottocrm.manifest import Domain, Job, Subscriber

TEST_DOMAIN = Domain(
    name="test",
    jobs=(
        Job("test.record", "__main__:record"),
        Job("test.stall_first_attempt", "__main__:stall_first_attempt"),
    ),
    subscribers=(Subscriber("test.count_consents", "players.consent_changed", "__main__:count_consent"),),
)


def note(line: str) -> None:
    with Path(os.environ["LOTTOCRM_TEST_EFFECTS"]).open("a", encoding="utf-8") as effects:
        effects.write(line + "\n")


def record(context: JobContext) -> None:
    time.sleep(float(context.job.payload.get("seconds", 0)))
    note(f"done {context.job.id} by {os.getpid()}")


def stall_first_attempt(context: JobContext) -> None:
    note(f"started {context.job.id} attempt {context.job.attempt} by {os.getpid()}")
    if context.job.attempt == 1:
        time.sleep(600)
    note(f"finished {context.job.id}")


def count_consent(context: EventContext) -> None:
    """Its effect is a row in the database, made exactly once with ``once()``; on its first attempt it
    stalls after the effect's transaction began, so a test can kill it mid-run."""
    note(f"started {context.event.id} attempt {context.job.job.attempt} by {os.getpid()}")
    with context.once() as session:
        session.execute(
            text("INSERT INTO test_effects (event_id) VALUES (:id)"), {"id": str(context.event.id)}
        )
        if context.job.job.attempt == 1:
            time.sleep(600)
    note(f"finished {context.event.id}")


if __name__ == "__main__":
    from lottocrm.cli.main import app

    domains.INSTALLED = (*domains.INSTALLED, TEST_DOMAIN)
    app(prog_name="lottocrm")
