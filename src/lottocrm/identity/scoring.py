"""Train the model without labels and score candidate pairs, in an in-process DuckDB (Splink 5).

Training: λ (the chance two random records are one person) from deterministic rules and an assumed
recall; u-probabilities from a capped random sample of pairs; m-probabilities by EM in two sessions
blocked on different fields, each capped in pairs — so training costs the same at 10^5 and 2·10^7 players.
A trained model is a JSON document (Splink's settings with m and u filled in), stored with the run, so an
incremental run scores new players with the very model the last full run used.

Scored pairs leave as Arrow: the two player ids (smaller first), the probability, the match weight and
the evidence — per compared field, the level that fired and its weight in bits.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from typing import Any

import duckdb
import pyarrow as pa

from lottocrm.identity.model import ModelSpec, settings, training_rules

PAIR_SCHEMA = pa.schema(
    [
        pa.field("player_a", pa.int64()),
        pa.field("player_b", pa.int64()),
        pa.field("probability", pa.float64()),
        pa.field("match_weight", pa.float64()),
        pa.field("evidence", pa.string()),
    ]
)
Progress = Callable[[str], None]


def _quiet() -> None:
    # Splink logs every SQL step and warns of levels a small sample never shows; the CLI shows progress.
    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)


class Scorer:
    """One DuckDB connection holding the records; train once, then score all pairs or new ones."""

    def __init__(self, records: pa.Table, spec: ModelSpec, *, threads: int = 2) -> None:
        from splink import DuckDBAPI

        _quiet()
        self.spec = spec
        self.connection = duckdb.connect()
        self.connection.execute(f"SET threads = {int(threads)}")
        self.connection.register("identity_records_arrow", records)
        self.connection.execute("CREATE TABLE identity_records AS SELECT * FROM identity_records_arrow")
        self.connection.unregister("identity_records_arrow")
        self.db_api = DuckDBAPI(connection=self.connection)
        self.records = self.db_api.register("identity_records")
        self.count = records.num_rows
        self.model: dict[str, Any] | None = None

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Scorer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _linker(self, model: dict[str, Any]):  # type: ignore[no-untyped-def]
        from splink import Linker

        return Linker(self.records, json.loads(json.dumps(model)), log_level=None)

    def train(self, on_step: Progress = lambda step: None) -> dict[str, Any]:
        from splink import block_on

        spec = self.spec
        linker = self._linker(settings(spec))
        deterministic, sessions = training_rules(spec)
        on_step("estimating how often two records are one person")
        linker.training.estimate_probability_two_random_records_match(
            deterministic, recall=spec.deterministic_recall
        )
        on_step("estimating chance agreement from random pairs")
        linker.training.estimate_u_using_random_sampling(max_pairs=spec.u_pairs, seed=spec.seed)
        for columns in sessions:
            on_step(f"learning match evidence, blocked on {' + '.join(columns)}")
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*columns), max_pairs=spec.em_pairs
            )
        self.model = linker.misc.save_model_to_json()
        return self.model

    def use(self, model: dict[str, Any]) -> None:
        self.model = model

    def _levels(self) -> dict[str, list[tuple[float, str]]]:
        """Per comparison, each level's weight in bits (log2 m/u) and its label: Splink 5 reports a pair's
        weight per field, and the level is the one whose weight it is."""
        assert self.model is not None
        found: dict[str, list[tuple[float, str]]] = {}
        for comparison in self.model["comparisons"]:
            levels = []
            for level in comparison["comparison_levels"]:
                m, u = level.get("m_probability"), level.get("u_probability")
                if level.get("is_null_level") or not m or not u:
                    continue
                levels.append((math.log2(m / u), level["label_for_charts"]))
            found[comparison["output_column_name"]] = levels
        return found

    def predict(self, threshold: float) -> pa.Table:
        """Every blocked pair with a match probability of at least ``threshold``."""
        assert self.model is not None, "train or load a model first"
        linker = self._linker(self.model)
        frame = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
        return self._pairs(frame.physical_name)

    def predict_new(self, new_ids: pa.Array, threshold: float) -> pa.Table:
        """Pairs with at least one player of ``new_ids``: new against existing, and new among themselves."""
        assert self.model is not None, "train or load a model first"
        self.connection.register("identity_new_ids", pa.table({"unique_id": new_ids}))
        self.connection.execute(
            "CREATE OR REPLACE TABLE identity_new AS SELECT r.* FROM identity_records r "
            "SEMI JOIN identity_new_ids n USING (unique_id)"
        )
        self.connection.execute(
            "CREATE OR REPLACE TABLE identity_old AS SELECT r.* FROM identity_records r "
            "ANTI JOIN identity_new_ids n USING (unique_id)"
        )
        self.connection.unregister("identity_new_ids")
        new = self.db_api.register("identity_new")
        old = self.db_api.register("identity_old")
        linker = self._linker(self.model)
        for column in ("first_name", "last_name"):
            linker.table_management.compute_tf_table(column)
        between = linker.inference.predict_between(
            new, old, threshold_match_probability=threshold, warning_mode="never"
        )
        within = linker.inference.predict_within(
            new, threshold_match_probability=threshold, warning_mode="never"
        )
        return pa.concat_tables([self._pairs(between.physical_name), self._pairs(within.physical_name)])

    def _pairs(self, table: str) -> pa.Table:
        levels = self._levels()
        columns = self.connection.sql(f"SELECT * FROM {table} LIMIT 0").columns
        present = [name for name in levels if f"mw_{name}" in columns]
        adjusted = [f'"mw_tf_adj_{name}"' if f"mw_tf_adj_{name}" in columns else "0" for name in present]
        select = ", ".join(
            ["unique_id_l", "unique_id_r", "match_probability", "match_weight"]
            + [f'"mw_{name}"' for name in present]
            + adjusted
        )
        rows = self.connection.execute(f"SELECT {select} FROM {table}").fetchall()
        count = len(present)
        a, b, probability, weight, evidence = [], [], [], [], []
        for row in rows:
            left, right = int(row[0]), int(row[1])
            a.append(min(left, right))
            b.append(max(left, right))
            probability.append(float(row[2]))
            weight.append(float(row[3]))
            fields = {}
            for index, name in enumerate(present):
                bits, extra = float(row[4 + index] or 0.0), float(row[4 + count + index] or 0.0)
                fields[name] = [_level_of(levels[name], bits), round(bits + extra, 2)]
            evidence.append(json.dumps(fields, ensure_ascii=False))
        return pa.table([a, b, probability, weight, evidence], schema=PAIR_SCHEMA)


def _level_of(levels: list[tuple[float, str]], bits: float) -> str:
    """The level whose weight ``bits`` is; a weight of 0 that no level has is a missing value."""
    for weight, label in levels:
        if abs(weight - bits) < 1e-6:
            return label
    return "missing"
