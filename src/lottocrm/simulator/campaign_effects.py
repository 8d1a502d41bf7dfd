"""The planted effect of each campaign run on its treated members: drawn once, when simulated time reaches the
run's send, and kept in ``<data>/ground-truth/campaign-effects/run-<run id>.parquet``.

A run is planted by the advance whose days contain its first ``assigned_at``, from the players' state at the
start of that advance, with its own stream ``SeedSequence([seed, 4, run id])`` — so the same run gets the same
draws whichever days are advanced together, and adding a campaign never changes anyone else's purchases.
Control members are never planted. A run sent before simulated time reached it (its window began in days
already simulated) is left unplanted and reported as such: its window's past cannot be rewritten.

Columns: ``run_id``, ``player_id``, ``lifecycle`` (from the member's stratum), ``assigned_at``,
``window_ends_at``, ``responsiveness`` k, ``planted_effect`` τ = k · base, ``baseline_probability`` p₀,
``nudge_probability`` e, ``deterrence_probability`` d, ``effect`` (realised: e·(1 − p₀) − d·p₀),
``spend_effect_kopecks`` (expected), and the draws: ``nudged``, ``nudge_at``, ``deterred``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lottocrm.lake.schemas import UTC_TS
from lottocrm.simulator import treatment_effects
from lottocrm.simulator.advance_world import ALIVE, NOT_YET, State, World
from lottocrm.simulator.draws import US_PER_DAY, to_us

RUN_STREAM = 4
RUNS_DIR = "campaign-effects"
# Members as the caller reads them from the store (the simulator does not import the marketing domain).
MEMBER_COLUMNS = ("run_id", "player_id", "treated", "stratum", "assigned_at", "window_days")


@dataclass(frozen=True)
class Planting:
    active: list[pa.Table]  # planted runs whose windows may still reach into the advanced days
    planted_now: list[int]
    unplanted: list[int]  # runs sent before simulated time reached them


def run_path(truth_dir: Path, run_id: int) -> Path:
    return truth_dir / RUNS_DIR / f"run-{run_id}.parquet"


def plant_runs(
    members: pa.Table, *, world: World, state: State, span: tuple[int, int], truth_dir: Path
) -> Planting:
    """Plant every run first sent inside ``span`` (µs), and load the runs planted before."""
    active: list[pa.Table] = []
    planted_now: list[int] = []
    unplanted: list[int] = []
    if members.num_rows == 0:
        return Planting(active, planted_now, unplanted)
    responsiveness = treatment_effects.ensure_written(truth_dir, world.config.seed, world.players.ids)
    for run_id in sorted(set(members["run_id"].to_pylist())):
        run = members.filter(pc.equal(members["run_id"], run_id))
        first_sent = to_us(pc.min(run["assigned_at"]).as_py())
        window_ends = (
            to_us(pc.max(run["assigned_at"]).as_py()) + int(run["window_days"][0].as_py()) * US_PER_DAY
        )
        if window_ends <= span[0] or first_sent >= span[1]:
            continue  # over before these days, or sent after them (planted by a later advance)
        path = run_path(truth_dir, run_id)
        if path.exists():
            active.append(pq.read_table(path))
            continue
        if first_sent < span[0]:
            unplanted.append(run_id)
            continue
        table = _plant(run, world=world, state=state, start_us=span[0], responsiveness=responsiveness)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.tmp")
        pq.write_table(table, temp, compression="zstd")
        temp.replace(path)
        active.append(table)
        planted_now.append(run_id)
    return Planting(active, planted_now, unplanted)


def _plant(run: pa.Table, *, world: World, state: State, start_us: int, responsiveness: pa.Table) -> pa.Table:
    treated = run.filter(run["treated"]).sort_by("player_id")
    run_id = int(treated["run_id"][0].as_py()) if treated.num_rows else 0
    player_id = treated["player_id"].to_numpy()
    index = np.searchsorted(world.players.ids, player_id)
    assigned = treated["assigned_at"].cast(pa.int64()).to_numpy()
    ends = assigned + treated["window_days"].to_numpy().astype(np.int64) * US_PER_DAY
    lifecycle = pc.list_element(pc.split_pattern(treated["stratum"], ":", max_splits=1), 0)
    lifecycle = lifecycle.to_numpy(zero_copy_only=False).astype(str)
    k = responsiveness["responsiveness"].to_numpy()[
        np.searchsorted(responsiveness["player_id"].to_numpy(), player_id)
    ]
    planted = k * treatment_effects.base_effect(lifecycle)
    baseline, buys = _baseline(world, state, index, start_us, assigned, ends)
    nudge, deter, effect = treatment_effects.realise(planted, baseline)

    rng = np.random.default_rng(np.random.SeedSequence([world.config.seed, RUN_STREAM, run_id]))
    nudged = rng.random(player_id.size) < nudge
    deterred = rng.random(player_id.size) < deter
    window_weeks = world.weeks(ends) - world.weeks(assigned)
    moment = world.weeks(assigned) + rng.random(player_id.size) * window_weeks
    nudge_at = np.clip(world.timeline.to_calendar(moment), assigned, ends - 1)
    spend = world.config.population.p * 100.0 / world.players.spend_rate[index]
    spend_effect = nudge * spend - deter * buys * spend
    return pa.table(
        {
            "run_id": pa.array(np.full(player_id.size, run_id), pa.int64()),
            "player_id": pa.array(player_id, pa.int64()),
            "lifecycle": pa.array(lifecycle, pa.string()),
            "assigned_at": pa.array(assigned).cast(UTC_TS),
            "window_ends_at": pa.array(ends).cast(UTC_TS),
            "responsiveness": pa.array(k),
            "planted_effect": pa.array(planted),
            "baseline_probability": pa.array(baseline),
            "nudge_probability": pa.array(nudge),
            "deterrence_probability": pa.array(deter),
            "effect": pa.array(effect),
            "spend_effect_kopecks": pa.array(spend_effect),
            "nudged": pa.array(nudged),
            "nudge_at": pa.array(nudge_at, mask=~nudged).cast(UTC_TS),
            "deterred": pa.array(deterred),
        }
    )


def _baseline(
    world: World, state: State, index: np.ndarray, start_us: int, assigned: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """P(at least one purchase in [assigned, end)) without the campaign, and the expected purchases there,
    from each player's state at ``start_us`` (the start of the advance that plants the run).

    Alive: no dropout before the send (each of the Poisson(λ·ΔΛ) occasions survives with 1 − p), then at least
    one of Poisson(λ·ΔΛ_window). Not bought yet: the first purchase is Exponential after ``start_us`` (its
    memorylessness makes that exact), then as alive, dropout before the send neglected (days, p ≈ 0.03)."""
    status = state.status[index]
    rate, dropout = world.players.rate[index], world.players.dropout[index]
    lead = world.weeks(assigned) - world.weeks(np.full(assigned.size, start_us))
    window = world.weeks(ends) - world.weeks(assigned)
    survive = np.exp(-rate * dropout * lead)
    buys_in_window = 1.0 - np.exp(-rate * window)
    alive = survive * buys_in_window
    mean_days = world.config.population.first_purchase_mean_days
    first_by = lambda moment: 1.0 - np.exp(-(moment - start_us) / (mean_days * US_PER_DAY))  # noqa: E731
    before_send, by_end = first_by(assigned), first_by(ends)
    pending = (by_end - before_send) + before_send * buys_in_window
    probability = np.where(status == ALIVE, alive, np.where(status == NOT_YET, pending, 0.0))
    expected = np.where(status == ALIVE, survive * rate * window, np.where(status == NOT_YET, by_end, 0.0))
    return np.clip(probability, 0.0, 1.0), expected


def summary(truth_dir: Path, run_ids: list[int]) -> dict[str, object]:
    """The planted truth of the given runs' treated members together: what a report should recover."""
    tables = [pq.read_table(run_path(truth_dir, r)) for r in run_ids if run_path(truth_dir, r).exists()]
    if not tables:
        return {"treated": 0}
    table = pa.concat_tables(tables)
    segments = {}
    for name in sorted(set(table["lifecycle"].to_pylist())):
        part = table.filter(pc.equal(table["lifecycle"], name))
        segments[name] = {"treated": part.num_rows, "effect": pc.mean(part["effect"]).as_py()}
    return {
        "treated": table.num_rows,
        "effect": pc.mean(table["effect"]).as_py(),
        "planted_effect": pc.mean(table["planted_effect"]).as_py(),
        "baseline_probability": pc.mean(table["baseline_probability"]).as_py(),
        "spend_effect_kopecks": pc.mean(table["spend_effect_kopecks"]).as_py(),
        "do_not_disturb": int(pc.sum(pc.less(table["responsiveness"], 0)).as_py() or 0),
        "by_segment": segments,
    }
