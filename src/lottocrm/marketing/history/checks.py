"""Checks that need the whole file, run once every row has been read and typed: a player twice in one
campaign, a campaign whose rows disagree on its name or on whether revenue is given, a campaign code imported
before. Each finding names the file's row numbers, like the per-row checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass
class FileFinding:
    column: str
    reason: str
    rows: np.ndarray  # file row numbers
    values: list[str | None]


def file_findings(rows: pa.Table, imported_codes: dict[str, int]) -> list[FileFinding]:
    """``rows``: ``row`` (file row number), ``player``, ``campaign_code``, ``campaign_name`` and
    ``revenue_kopecks`` of the rows that passed every per-row check. ``imported_codes``: code → campaign id
    of the campaigns imported before."""
    found: list[FileFinding] = []
    if rows.num_rows == 0:
        return found
    numbers = _numpy(rows["row"])
    codes = rows["campaign_code"].combine_chunks().dictionary_encode()
    code_index = _numpy(codes.indices)
    players = _numpy(rows["player"])
    order = np.lexsort((numbers, players, code_index))
    repeat = np.zeros(len(order), dtype=bool)
    same = (code_index[order][1:] == code_index[order][:-1]) & (players[order][1:] == players[order][:-1])
    repeat[order[1:][same]] = True
    if repeat.any():
        found.append(
            FileFinding(
                "player_id",
                "duplicate: this player is on an earlier row of the same campaign",
                numbers[repeat],
                [str(p) for p in players[repeat]],
            )
        )
    names = rows["campaign_name"].combine_chunks()
    revenue_given = _numpy(pc.is_valid(rows["revenue_kopecks"]))
    for position, code in enumerate(codes.dictionary.to_pylist()):
        mine = np.flatnonzero(code_index == position)
        first = mine[np.argmin(numbers[mine])]
        found.extend(_name_disagreements(code, mine, first, names, numbers))
        given = revenue_given[mine]
        if given.any() and not given.all():
            lacking = mine[~given]
            found.append(
                FileFinding(
                    "revenue_kopecks",
                    f"missing, while other rows of campaign {code} give it (give it on all or none)",
                    numbers[lacking],
                    [None] * len(lacking),
                )
            )
        if code in imported_codes:
            found.append(
                FileFinding(
                    "campaign_code",
                    f"campaign {code} was imported before (campaign {imported_codes[code]})",
                    numbers[mine],
                    [code] * len(mine),
                )
            )
    return found


def _name_disagreements(
    code: str, mine: np.ndarray, first: int, names: pa.Array, numbers: np.ndarray
) -> list[FileFinding]:
    expected = names[int(first)].as_py()
    differs = mine[_numpy(pc.not_equal(names.take(pa.array(mine)), expected))]
    if differs.size == 0:
        return []
    return [
        FileFinding(
            "campaign_name",
            f"differs from the name of campaign {code} on row {int(numbers[first])}",
            numbers[differs],
            names.take(pa.array(differs)).to_pylist(),
        )
    ]


def _numpy(values: Any) -> np.ndarray:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_boolean(values.type):
        return values.cast(pa.uint8()).to_numpy(zero_copy_only=False).astype(bool)
    return values.to_numpy(zero_copy_only=False)
