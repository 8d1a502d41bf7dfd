"""The synthetic basket lake the rules and offers benches share, written once per size and reused."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sys
import time
from pathlib import Path

from lottocrm.lake.store import Lake

# The synthetic generators are test helpers (tests/helpers), not part of the package: the benches reach them
# by putting the tests folder on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers.propensity_synthetic import write_synthetic_lake  # noqa: E402

AS_OF = dt.date(2026, 10, 31)


def _write(root: str, players: int, days: int) -> None:
    lake = Lake(Path(root))
    rows = write_synthetic_lake(
        lake, players=players, start=AS_OF - dt.timedelta(days=days), days=days, seed=1
    )
    print(f"wrote {rows:,} tickets", flush=True)


def synthetic_lake(folder: Path, players: int, days: int) -> Lake:
    """The lake of ``players`` over the ``days`` before AS_OF under ``folder``, written if it is not there.

    Written in a spawned process, so that its memory is given back before the bench measures anything."""
    root = folder / f"lake-{players}-{days}"
    if (root / "tickets" / "_batches").exists():
        print(f"reusing {root}", flush=True)
        return Lake(root)
    started = time.perf_counter()
    writer = multiprocessing.get_context("spawn").Process(target=_write, args=(str(root), players, days))
    writer.start()
    writer.join()
    if writer.exitcode != 0:
        sys.exit("writing the lake failed")
    print(f"lake of {players:,} players written in {time.perf_counter() - started:.1f} s", flush=True)
    return Lake(root)
