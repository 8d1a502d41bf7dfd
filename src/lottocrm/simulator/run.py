"""Run a simulation: the catalogue once, then players chunk by chunk.

Every chunk draws from its own random stream, ``SeedSequence([seed, 1, chunk])``, so its output depends
only on the seed, the player count, the dates and its number, never on which process made it or when.
Worker processes (forked, so they share the calendar and name pools for free) generate chunks and commit
their facts to the lake, one batch per fact table with an id from seed, player count and chunk, plus one
ground-truth file; the parent writes each chunk's players to the database in chunk order, one transaction
per chunk. At most ``workers + 1`` chunks are in flight, so memory stays bounded whatever the player count.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
from sqlalchemy import Engine

from lottocrm.contact_policy.service import refresh_players
from lottocrm.lake.store import Lake
from lottocrm.simulator import database, duplicates, ground_truth
from lottocrm.simulator.behaviour import draw_behaviour
from lottocrm.simulator.consents import consent_events
from lottocrm.simulator.draws import DrawCalendar, to_us
from lottocrm.simulator.facts import expand_tickets, sessions_table, wins_table
from lottocrm.simulator.games import GAMES
from lottocrm.simulator.geography import REGION_CODES, build_points_of_sale, region_weights
from lottocrm.simulator.identities import device_of, identities_table
from lottocrm.simulator.names import NamePools
from lottocrm.simulator.params import SimulationConfig
from lottocrm.simulator.players import draw_profiles, players_table
from lottocrm.simulator.purchases import Occasions, anonymous_occasions, registered_occasions
from lottocrm.simulator.responsible_gaming import (
    enforce_spend_limits,
    responsible_gaming_table,
    spend_limits,
)
from lottocrm.simulator.timeline import Timeline

CATALOG_STREAM, CHUNK_STREAM, DUPLICATE_STREAM = 0, 1, 2


@dataclass(frozen=True)
class ChunkOutput:
    number: int
    players: pa.Table
    identities: pa.Table
    consents: pa.Table
    responsible_gaming: pa.Table
    tickets: pa.Table
    wins: pa.Table
    sessions: pa.Table
    truth: pa.Table
    anonymous_tickets: int


@dataclass
class Totals:
    players: int = 0
    identities: int = 0
    consent_events: int = 0
    responsible_gaming: int = 0
    tickets: int = 0
    anonymous_tickets: int = 0
    revenue_kopecks: int = 0
    wins: int = 0
    winnings_kopecks: int = 0
    sessions: int = 0
    games: int = 0
    draws: int = 0
    points_of_sale: int = 0

    def add(self, chunk: ChunkOutput) -> None:
        self.players += chunk.players.num_rows
        self.identities += chunk.identities.num_rows
        self.consent_events += chunk.consents.num_rows
        self.responsible_gaming += chunk.responsible_gaming.num_rows
        self.tickets += chunk.tickets.num_rows
        self.anonymous_tickets += chunk.anonymous_tickets
        self.revenue_kopecks += int(pa.compute.sum(chunk.tickets["price_kopecks"]).as_py() or 0)
        self.wins += chunk.wins.num_rows
        self.winnings_kopecks += int(pa.compute.sum(chunk.wins["amount_kopecks"]).as_py() or 0)
        self.sessions += chunk.sessions.num_rows

    def merge(self, other: Totals) -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)


@dataclass
class SimulationResult:
    config: SimulationConfig
    totals: Totals
    files: dict[str, Path] = field(default_factory=dict)


def batch_id(config: SimulationConfig, chunk: int) -> str:
    return f"sim-s{config.seed}-n{config.players}-c{chunk:06d}"


def _concat(first: Occasions, second: Occasions) -> Occasions:
    return Occasions(
        **{name: np.concatenate([value, getattr(second, name)]) for name, value in vars(first).items()}
    )


class Simulation:
    """The parts shared by all chunks (calendar, seasonality, outlets, name pools) and the chunk generator."""

    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        self.params = config.population
        catalog_rng = np.random.default_rng(np.random.SeedSequence([config.seed, CATALOG_STREAM]))
        self.calendar = DrawCalendar.build(config.start, config.end, self.params, catalog_rng)
        self.draws = self.calendar.table(catalog_rng)
        self.start_us, self.end_us = to_us(config.start_utc), to_us(config.end_utc)
        self.timeline = Timeline.build(self.start_us, self.end_us, self.calendar)
        self.points = build_points_of_sale(config.start_utc)
        self.pools = NamePools.generate(config.seed)

    def games_table(self) -> pa.Table:
        return pa.table(
            {
                "id": pa.array([g.id for g in GAMES], pa.int32()),
                "code": [g.code for g in GAMES],
                "name": [g.name for g in GAMES],
                "kind": [g.kind for g in GAMES],
                "ticket_price_kopecks": pa.array([g.price_kopecks for g in GAMES], pa.int64()),
                "schedule": pa.array(
                    [
                        json.dumps(g.schedule.describe(), ensure_ascii=False) if g.schedule else None
                        for g in GAMES
                    ],
                    pa.string(),
                ),
                "active": [True] * len(GAMES),
            }
        )

    def chunk(self, number: int) -> ChunkOutput:
        config, params = self.config, self.params
        rng = np.random.default_rng(np.random.SeedSequence([config.seed, CHUNK_STREAM, number]))
        first_id = number * config.chunk_players + 1
        count = min(config.chunk_players, config.players - first_id + 1)

        profiles = draw_profiles(
            first_id, count, config.players, self.start_us, self.end_us, params, self.pools, rng
        )
        noise_rng = np.random.default_rng(np.random.SeedSequence([config.seed, DUPLICATE_STREAM, number]))
        planted = duplicates.plant(profiles, params.duplicate_share, noise_rng, len(REGION_CODES))
        profiles = planted.profiles
        behaviour = draw_behaviour(profiles, params, rng)
        limits = spend_limits(behaviour, params, rng)
        occasions, lifetimes = registered_occasions(
            profiles, behaviour, self.timeline, self.calendar, self.points, params, rng
        )
        occasions = enforce_spend_limits(occasions, limits)
        share = params.anonymous_ticket_share
        anonymous = int(rng.poisson(occasions.tickets.sum() * share / (1.0 - share)))
        walk_ins = anonymous_occasions(
            anonymous, self.timeline, self.calendar, self.points, params, region_weights(), rng
        )
        tickets, tickets_table = expand_tickets(_concat(occasions, walk_ins), profiles.player_id, number)
        identities = identities_table(
            profiles,
            config.seed,
            self.end_us,
            rng,
            lambda emails: duplicates.rewrite_mailboxes(emails, planted),
        )
        return ChunkOutput(
            number=number,
            players=players_table(profiles, np.where(profiles.under_age, "blocked", "active")),
            identities=identities,
            consents=consent_events(profiles, params.advertising_withdrawal_share, self.end_us, rng),
            responsible_gaming=responsible_gaming_table(
                profiles, limits, lifetimes, params, self.end_us, rng
            ),
            tickets=tickets_table,
            wins=wins_table(tickets, self.calendar, self.end_us, rng),
            sessions=sessions_table(
                occasions,
                profiles.player_id,
                profiles.registered_at,
                device_of(profiles, identities),
                params.browse_sessions_per_online_occasion,
                number,
                rng,
            ),
            truth=ground_truth.truth_table(
                profiles, behaviour, lifetimes, limits, params.p, person_id=planted.person_id
            ),
            anonymous_tickets=anonymous,
        )


def write_catalog(simulation: Simulation, engine: Engine, totals: Totals) -> None:
    with engine.begin() as connection:
        database.insert_rows(connection, "games", simulation.games_table())
        database.insert_rows(connection, "points_of_sale", simulation.points.table)
        database.insert_rows(connection, "draws", simulation.draws)
    totals.games = len(GAMES)
    totals.draws = simulation.draws.num_rows
    totals.points_of_sale = simulation.points.table.num_rows


@dataclass(frozen=True)
class ChunkRows:
    """What a worker hands back to the parent: the chunk's database rows and its counts."""

    number: int
    players: pa.Table
    identities: pa.Table
    consents: pa.Table
    responsible_gaming: pa.Table
    counts: Totals


def write_chunk_facts(
    output: ChunkOutput, config: SimulationConfig, lake: Lake, truth_dir: Path
) -> ChunkRows:
    batch = batch_id(config, output.number)
    lake.append("tickets", output.tickets, batch_id=batch)
    lake.append("wins", output.wins, batch_id=batch)
    lake.append("sessions", output.sessions, batch_id=batch)
    ground_truth.write_players(truth_dir, output.number, output.truth)
    counts = Totals()
    counts.add(output)
    return ChunkRows(
        output.number, output.players, output.identities, output.consents, output.responsible_gaming, counts
    )


def write_chunk_rows(rows: ChunkRows, engine: Engine) -> None:
    with engine.begin() as connection:
        database.insert_rows(connection, "players", rows.players)
        database.insert_rows(connection, "player_identities", rows.identities)
        database.insert_rows(connection, "consent_events", rows.consents)
        database.insert_rows(connection, "responsible_gaming", rows.responsible_gaming)
        refresh_players(connection, rows.players["id"].to_pylist())


# Set in the parent just before the worker processes fork, so they inherit it instead of rebuilding it.
_forked: tuple[Simulation, Lake, Path] | None = None


def _generate_in_worker(number: int) -> ChunkRows:
    assert _forked is not None, "worker started without a simulation"
    simulation, lake, truth_dir = _forked
    return write_chunk_facts(simulation.chunk(number), simulation.config, lake, truth_dir)


def _chunks_in_parallel(
    simulation: Simulation, lake: Lake, truth_dir: Path, workers: int
) -> Iterator[ChunkRows]:
    global _forked
    _forked = (simulation, lake, truth_dir)
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            pending: deque[Future[ChunkRows]] = deque()
            upcoming = iter(range(simulation.config.chunks))
            for number in upcoming:
                pending.append(pool.submit(_generate_in_worker, number))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
    finally:
        _forked = None


def default_workers() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 4))


def simulate(
    config: SimulationConfig,
    *,
    engine: Engine,
    lake: Lake,
    truth_dir: Path,
    on_chunk: Callable[[int], None] = lambda players: None,
    workers: int | None = None,
) -> SimulationResult:
    """Generate the operator described by ``config`` into an empty store, lake and ground-truth folder."""
    simulation = Simulation(config)
    totals = Totals()
    write_catalog(simulation, engine, totals)
    workers = min(workers or default_workers(), config.chunks)
    if workers > 1:
        chunks = _chunks_in_parallel(simulation, lake, truth_dir, workers)
    else:
        chunks = (
            write_chunk_facts(simulation.chunk(n), config, lake, truth_dir) for n in range(config.chunks)
        )
    for rows in chunks:
        write_chunk_rows(rows, engine)
        totals.merge(rows.counts)
        on_chunk(rows.players.num_rows)
    population = ground_truth.write_population(truth_dir, config, vars(totals))
    return SimulationResult(
        config=config,
        totals=totals,
        files={"lake": lake.root, "ground_truth": truth_dir, "population": population},
    )
