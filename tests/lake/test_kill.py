"""A writer killed with SIGKILL in the middle of a batch leaves nothing visible to readers.

The writer is a real child process; the parent kills it with kill -9, then reads the lake as any reader would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lottocrm.lake.store import Lake

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[3])
    from lake_helpers import synthetic_tickets
    from lottocrm.lake.store import Lake

    lake = Lake(Path(sys.argv[1]))
    pause = float(sys.argv[2])
    with lake.writer("tickets", batch_id="doomed", file_rows=3_000) as batch:
        for n in range(10_000):
            batch.write(synthetic_tickets(2_000, first_id=1_000_000 + n * 2_000, seed=n))
            print(f"chunk {n}", flush=True)
            time.sleep(pause)
    print("committed", flush=True)
    """
)


def _start_writer(lake: Lake, pause: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(lake.root), str(pause), str(Path(__file__).parent)],
        stdout=subprocess.PIPE,
        text=True,
    )


def _visible_rows(lake: Lake) -> tuple[int, int]:
    query = "SELECT count(*), count(DISTINCT ticket_id) FROM tickets"
    rows, distinct = lake.connect().execute(query).fetchone()
    return rows, distinct


def test_kill_9_mid_batch_leaves_no_partial_data(lake: Lake, make_tickets) -> None:
    lake.append("tickets", make_tickets(1_000), batch_id="earlier")
    child = _start_writer(lake, pause=0.01)
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == "chunk 5":
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL

    # The killed writer did leave files behind, so the test really interrupted a write in progress ...
    leftovers = [p for p in (lake.root / "tickets").glob("month=*/*") if p not in set(lake.files("tickets"))]
    assert leftovers
    # ... yet readers see exactly the earlier batch, and every listed file is a whole Parquet file.
    assert not lake.has_batch("tickets", "doomed")
    assert _visible_rows(lake) == (1_000, 1_000)
    assert lake.stats("tickets").orphan_files == len(leftovers)
    lake.vacuum("tickets")
    assert [p for p in (lake.root / "tickets").glob("month=*/*") if p not in set(lake.files("tickets"))] == []
    assert _visible_rows(lake) == (1_000, 1_000)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.01])
def test_kill_9_during_commit_shows_all_or_nothing(lake: Lake, delay: float) -> None:
    """Kills just after the last chunk, i.e. while files are closed, renamed and the record is written."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD.replace("range(10_000)", "range(12)"),
            str(lake.root),
            "0",
            str(Path(__file__).parent),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == "chunk 11":
            break
    time.sleep(delay)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    rows, distinct = _visible_rows(lake)
    assert rows in (0, 24_000)
    assert distinct == rows
    assert lake.has_batch("tickets", "doomed") == (rows == 24_000)
