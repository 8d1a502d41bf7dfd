"""Churn benchmark: training and scoring at 10^6 players.

    .venv/bin/python bench/churn_bench.py [--players 1000000] [--postgres postgresql+psycopg://…/postgres]

The player records are SYNTHETIC, built directly as the analytical record's columns (simulating 10^6 players
and building their mart is benchmarked elsewhere: bench/mart_bench.py). Each buyer follows BG/NBD (purchase
rate λ ~ Gamma(0.8, 0.7) a week, dropout p ~ Beta(1.5, 50) after each repeat, 4–104 weeks observed); the label
is "dead, or alive with no purchase in the next 90 days". Timed, each against the raw engine in the same run:

- training = ``pipeline.train_on`` (features, LightGBM fit on 80 %, holdout and recency-baseline metrics,
  artifact saved with its hash) against a bare ``lightgbm.train`` of the same matrix, rows and rounds;
- scoring = ``scoring.replace_scores`` (features, prediction, risk bands, bulk write of every row in batches
  of 100 000 inside one transaction) into SQLite and PostgreSQL, against a bare ``Booster.predict`` of the
  whole matrix.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import tempfile
import time
import uuid
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pyarrow as pa
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from lottocrm.analytics.churn import artifacts, pipeline, scoring, training
from lottocrm.analytics.churn.features import FeatureSpec
from lottocrm.analytics.time import day_number
from lottocrm.db import migrate
from lottocrm.db.engine import make_engine, transaction

AS_OF = dt.date(2026, 6, 1)
WINDOW_DAYS = 90
REGIONS = [f"RU-{code:02d}" for code in range(85)]
CHANNELS = ["retail_kiosk", "post_office", "website", "app", "partner"]


def synthetic_record(players: int, seed: int = 7) -> tuple[pa.Table, np.ndarray]:
    rng = np.random.default_rng(seed)
    weeks = rng.uniform(4, 104, players)
    rate = rng.gamma(0.8, 1 / 0.7, players)
    dropout = rng.beta(1.5, 50, players)
    possible = rng.poisson(rate * weeks)
    before_dropout = rng.geometric(dropout)
    repeats = np.minimum(possible, before_dropout)
    dead = before_dropout <= possible
    last = np.where(repeats > 0, weeks * rng.beta(np.maximum(repeats, 1), possible - repeats + 1), 0.0)
    quiet = rng.poisson(rate * WINDOW_DAYS / 7) == 0
    churned = dead | quiet
    frequency = repeats + 1
    tenure = np.round(weeks * 7).astype(np.int32)
    recency = np.round((weeks - last) * 7).astype(np.int32)
    check = rng.gamma(4.0, 80.0, players) * 100
    spend = (check * frequency).astype(np.int64)
    recent_share = np.clip(np.where(dead, 0.0, 90 / np.maximum(tenure, 90)), 0, 1)
    spend_90d = np.where(recency < 90, spend * recent_share, 0).astype(np.int64)
    spend_30d = np.where(recency < 30, spend_90d / 3, 0).astype(np.int64)
    wins = rng.binomial(frequency, 0.2)
    mean_gap = np.where(frequency > 1, last * 7 / np.maximum(repeats, 1), np.nan)
    record = pa.table(
        {
            "player_id": np.arange(1, players + 1, dtype=np.int64),
            "days_since_registration": tenure + rng.integers(0, 5, players).astype(np.int32),
            "recency_days": recency,
            "tenure_days": tenure,
            "frequency": frequency.astype(np.int32),
            "tickets": (frequency * rng.integers(1, 4, players)).astype(np.int64),
            "monetary_kopecks": spend,
            "average_check_kopecks": (spend // frequency).astype(np.int64),
            "interval_mean_days": pa.array(mean_gap, mask=np.isnan(mean_gap)),
            "interval_std_days": pa.array(mean_gap * 0.8, mask=~(frequency > 2)),
            "spend_30d_kopecks": spend_30d,
            "spend_90d_kopecks": spend_90d,
            "spend_trend_30d": pa.array(spend_30d * 3.0 / np.maximum(spend_90d, 1), mask=spend_90d == 0),
            "spend_trend_90d": pa.array(rng.gamma(2.0, 0.5, players), mask=tenure < 90),
            "favourite_game_share": rng.uniform(0.3, 1.0, players),
            "draw_share": rng.uniform(0, 1, players),
            "main_channel_share": rng.uniform(0.4, 1.0, players),
            "wins_count": wins.astype(np.int32),
            "wins_kopecks": (wins * 20_000).astype(np.int64),
            "biggest_win_kopecks": pa.array((wins > 0) * 20_000, pa.int64(), mask=wins == 0),
            "last_win_on": pa.array(
                (day_number(AS_OF) - recency - rng.integers(0, 30, players)).astype(np.int32),
                pa.int32(),
                mask=wins == 0,
            ).cast(pa.date32()),
            "region": pa.array(REGIONS).take(pa.array(rng.integers(0, len(REGIONS), players))),
            "favourite_game_id": rng.integers(1, 9, players).astype(np.int32),
            "main_channel": pa.array(CHANNELS).take(pa.array(rng.integers(0, len(CHANNELS), players))),
        }
    )
    return record, churned


def timed(action):
    start = time.perf_counter()
    value = action()
    return value, time.perf_counter() - start


def bench_training(record: pa.Table, churned: np.ndarray, models_dir: Path) -> tuple[list[str], dict]:
    manifest, seconds = timed(
        lambda: pipeline.train_on(
            record, churned, as_of=AS_OF, window_days=WINDOW_DAYS, models_dir=models_dir
        )
    )
    spec = FeatureSpec.from_manifest(manifest["features"])
    rows = manifest["training_rows"]
    matrix = spec.matrix(record.slice(0, rows), as_of=AS_OF)
    params = training.PARAMS

    def raw_fit() -> lgb.Booster:
        data = lgb.Dataset(matrix, label=churned[:rows].astype(np.float32), categorical_feature=[22, 23, 24])
        return lgb.train(params, data, num_boost_round=training.ROUNDS)

    _, raw_seconds = timed(raw_fit)
    model, baseline = manifest["metrics"]["model"], manifest["metrics"]["recency_baseline"]
    line = (
        f"| training, {record.num_rows:,} players ({rows:,} fit, {manifest['holdout_rows']:,} holdout), "
        f"{training.ROUNDS} rounds, {params['num_threads']} thread | {seconds:.1f} s | "
        f"bare lightgbm.train on {rows:,} rows {raw_seconds:.1f} s (ratio {seconds / raw_seconds:.2f}×) | "
        f"holdout ROC-AUC {model['roc_auc']:.4f} vs recency {baseline['roc_auc']:.4f}; "
        f"PR-AUC {model['pr_auc']:.4f} vs {baseline['pr_auc']:.4f} |"
    )
    return [line], manifest


def bench_scoring(record: pa.Table, manifest: dict, models_dir: Path, postgres: str | None) -> list[str]:
    model = scoring.ChurnModel.from_artifact(artifacts.STORE.load(models_dir, manifest["version"]))
    spec = model.spec
    matrix, matrix_seconds = timed(lambda: spec.matrix(record, as_of=AS_OF))
    _, raw_seconds = timed(lambda: training.predict(model.booster, matrix))
    lines = [
        f"| bare Booster.predict, {record.num_rows:,} players | {raw_seconds:.1f} s | "
        f"feature matrix built in {matrix_seconds:.1f} s | |"
    ]
    urls = {"SQLite": None, "PostgreSQL": postgres}
    for dialect, admin_url in urls.items():
        if dialect == "PostgreSQL" and admin_url is None:
            continue
        with tempfile.TemporaryDirectory() as folder:
            if admin_url is None:
                url, drop = f"sqlite:///{Path(folder) / 'crm.sqlite3'}", None
            else:
                name = f"churn_bench_{uuid.uuid4().hex[:8]}"
                admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
                with admin.connect() as con:
                    con.execute(text(f'CREATE DATABASE "{name}"'))
                url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
                drop = (admin, name)
            engine = make_engine(url)
            migrate.upgrade(engine)

            def run(engine: Engine = engine) -> dict[str, int]:
                with transaction(engine) as session:
                    return scoring.replace_scores(
                        session, as_of=AS_OF, model=model, batches=record.to_batches(scoring.BATCH_ROWS)
                    )

            bands, first = timed(run)
            _, again = timed(run)
            engine.dispose()
            if drop is not None:
                admin, name = drop
                with admin.connect() as con:
                    con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
        lines.append(
            f"| scoring into churn_scores ({dialect}), {record.num_rows:,} players | {first:.1f} s "
            f"(rerun replacing them {again:.1f} s) | ratio to bare predict {first / raw_seconds:.1f}× | "
            f"bands {bands} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--players", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to create a scratch database on")
    args = parser.parse_args()
    load_before = os.getloadavg()
    (record, churned), build_seconds = timed(lambda: synthetic_record(args.players))
    with tempfile.TemporaryDirectory() as folder:
        lines, manifest = bench_training(record, churned, Path(folder))
        lines += bench_scoring(record, manifest, Path(folder), args.postgres)
    load_after = os.getloadavg()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"LightGBM {lgb.__version__}; load average before {load_before[0]:.2f}, after {load_after[0]:.2f}; "
        f"synthetic record built in {build_seconds:.1f} s (churn rate {churned.mean():.1%}); "
        f"peak RSS {peak_mb:.0f} MB"
    )
    print("| case | time | against the raw engine | notes |")
    print("|---|---|---|---|")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
