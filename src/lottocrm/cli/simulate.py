"""``lottocrm simulate``: generate a synthetic lottery operator, with ground truth, into the data folder."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.exc import OperationalError

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.cli.context import fail, load_settings, progress, say
from lottocrm.errors import ServiceError
from lottocrm.settings import Settings
from lottocrm.simulator.params import SimulationConfig

if TYPE_CHECKING:
    from lottocrm.simulator.run import SimulationResult

DEFAULT_PLAYERS = 100_000
DEFAULT_SEED = 42


def simulate_into(settings: Settings, config: SimulationConfig, *, replace: bool) -> SimulationResult:
    """Run the simulation into the data folder with a progress bar; a refusal is a one-line error."""
    # Imported here: the simulator's name lists (Faker) would slow every other command's start.
    from lottocrm.simulator.pipeline import simulate_operator

    with progress() as bar:
        task = bar.add_task(f"simulating {config.players:,} players", total=config.players)
        try:
            return simulate_operator(
                settings,
                config,
                actor=Actor.console(),
                replace=replace,
                notify=say,
                on_chunk=lambda players: bar.advance(task, players),
            )
        except ServiceError as exc:
            raise fail(exc.message) from None
        except OperationalError as exc:
            raise fail(f"cannot reach the database: {exc.orig}") from None


def report(result: SimulationResult) -> None:
    totals = result.totals
    anonymous_share = totals.anonymous_tickets / totals.tickets if totals.tickets else 0.0
    say(f"simulated {result.config.start} … {result.config.end} (seed {result.config.seed}):")
    say(
        f"  players            {totals.players:>15,}   identities {totals.identities:,}, "
        f"consent events {totals.consent_events:,}, responsible-gaming records {totals.responsible_gaming:,}"
    )
    say(f"  tickets            {totals.tickets:>15,}   of which anonymous {anonymous_share:.1%}")
    say(f"  revenue            {totals.revenue_kopecks // 100:>15,} ₽")
    say(f"  wins               {totals.wins:>15,}   paid {totals.winnings_kopecks // 100:,} ₽")
    say(f"  sessions           {totals.sessions:>15,}")
    say(f"  games / draws / points of sale   {totals.games} / {totals.draws:,} / {totals.points_of_sale:,}")


def simulate_command(
    players: Annotated[
        int, typer.Option("--players", min=1, help="Registered players to generate.")
    ] = DEFAULT_PLAYERS,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Random seed; same seed, count and dates → same data.")
    ] = DEFAULT_SEED,
    end: Annotated[
        dt.datetime | None,
        typer.Option(
            "--end",
            formats=["%Y-%m-%d"],
            help="The simulated 'today' (exclusive), YYYY-MM-DD. Default: the operator's today.",
        ),
    ] = None,
    years: Annotated[int, typer.Option("--years", min=1, max=20, help="Years of history before --end.")] = 3,
    replace: Annotated[
        bool, typer.Option("--replace", help="Clear existing players, catalogue and facts first.")
    ] = False,
) -> None:
    """Simulate a lottery operator: players, games and draws, tickets, wins and sessions, plus ground truth.

    The generative model and its parameters are described in docs/simulator.md.
    """
    end_date = end.date() if end else clock.operator_day()
    config = SimulationConfig(players=players, seed=seed, end=end_date, years=years)
    result = simulate_into(load_settings(), config, replace=replace)
    report(result)
    say(f"ground truth: {result.files['ground_truth']}")
