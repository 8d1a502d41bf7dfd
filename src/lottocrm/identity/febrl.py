"""FEBRL labelled records (``../shared/data/identity/``, a copy in tests/data/identity/) as matcher records,
and the engine's accuracy on them. The truth: ``rec-N-org`` and ``rec-N-dup-K`` are one entity N.

FEBRL is Australian: no patronymic, phone or e-mail; ``state`` stands in for the region; the address fields
and the social-security id are compared as extra text columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from lottocrm.identity.clusters import Guards
from lottocrm.identity.engine import link
from lottocrm.identity.evaluation import Accuracy, pairs_within, score
from lottocrm.identity.model import ModelSpec
from lottocrm.identity.records import build_records
from lottocrm.identity.thresholds import Thresholds

ADDRESS = ("postcode", "suburb", "address_1", "street_number")


@dataclass(frozen=True)
class FebrlAccuracy:
    records: int
    clusters: Accuracy
    pairs: Accuracy


def load(paths: Sequence[Path]) -> pa.Table:
    """The files as one table of text columns, with ``entity`` (N of rec-N-…) and a row number ``id``."""
    tables = []
    for path in paths:
        names = pacsv.read_csv(path).column_names
        strings = {name: pa.string() for name in names}
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=strings))
        tables.append(table.rename_columns([name.strip() for name in names]))
    table = pa.concat_tables(tables)
    columns = {name: pc.utf8_trim_whitespace(table[name]) for name in table.column_names}
    extracted = pc.extract_regex(columns["rec_id"], r"rec-(?P<n>\d+)-")
    entity = pc.cast(pc.struct_field(extracted, "n"), pa.int64())
    return pa.table({**columns, "entity": entity, "id": pa.array(np.arange(1, table.num_rows + 1))})


def records(frame: pa.Table, *, with_ssn: bool) -> tuple[pa.Table, ModelSpec]:
    extras = {name: frame[name] for name in ADDRESS}
    if with_ssn:
        extras["soc_sec_id"] = frame["soc_sec_id"]
    built = build_records(
        unique_id=frame["id"],
        first_name=frame["given_name"],
        last_name=frame["surname"],
        birth_date=frame["date_of_birth"],
        region=frame["state"],
        extras=extras,
    )
    blocking = [("postcode", "first_group"), ("suburb", "last_name"), ("address_1", "street_number")]
    if with_ssn:
        blocking.insert(0, ("soc_sec_id",))
    spec = ModelSpec(columns=("birth_date", "region"), extras=tuple(extras), extra_blocking=tuple(blocking))
    return built, spec


def evaluate(
    frame: pa.Table,
    *,
    with_ssn: bool,
    thresholds: Thresholds | None = None,
    guards: Guards | None = None,
    threads: int = 2,
) -> FebrlAccuracy:
    thresholds, guards = thresholds or Thresholds(), guards or Guards()
    built, spec = records(frame, with_ssn=with_ssn)
    linked = link(built, spec=spec, thresholds=thresholds, guards=guards, threads=threads)
    truth = pairs_within(frame["id"].to_numpy(), frame["entity"].to_numpy())
    found = pairs_within(linked.clustering.player_id, linked.clustering.label)
    probability = linked.pairs["probability"].to_numpy()
    a, b = linked.pairs["player_a"].to_numpy(), linked.pairs["player_b"].to_numpy()
    certain = {(int(x), int(y)) for x, y, p in zip(a, b, probability, strict=True) if p >= thresholds.certain}
    return FebrlAccuracy(records=frame.num_rows, clusters=score(found, truth), pairs=score(certain, truth))
