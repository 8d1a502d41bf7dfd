"""``lottocrm simulate``: generate a synthetic lottery operator, with ground truth, into the data folder;
``lottocrm simulate advance --days N``: move its simulated time on, campaigns' treated players responding."""

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
    import pyarrow as pa
    from sqlalchemy import Engine

    from lottocrm.simulator.advance import AdvanceResult
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


# The group's help is simulate_command's docstring; `advance` is its one subcommand.
simulate_app = typer.Typer(no_args_is_help=False, add_completion=False)


@simulate_app.callback(invoke_without_command=True)
def simulate_command(
    ctx: typer.Context,
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
    Then `lottocrm simulate advance --days N` moves its simulated time on.
    """
    if ctx.invoked_subcommand is not None:
        return
    end_date = end.date() if end else clock.operator_day()
    config = SimulationConfig(players=players, seed=seed, end=end_date, years=years)
    result = simulate_into(load_settings(), config, replace=replace)
    report(result)
    say(f"ground truth: {result.files['ground_truth']}")


@simulate_app.command("advance")
def advance_command(
    days: Annotated[int, typer.Option("--days", min=1, max=45, help="Days to simulate.")],
    start: Annotated[
        dt.datetime | None,
        typer.Option(
            "--from",
            formats=["%Y-%m-%d"],
            help="The first day to simulate, YYYY-MM-DD; must be the day after the last simulated one.",
        ),
    ] = None,
) -> None:
    """Advance simulated time N days past the lake's last simulated day: players buy as the model says, and
    treated players of sent campaigns respond with the effects planted in the ground truth."""
    from lottocrm.db.engine import get_engine
    from lottocrm.simulator.advance_world import load_config
    from lottocrm.simulator.pipeline import advance_operator

    settings = load_settings()
    try:
        load_config(settings.ground_truth_dir)  # before the database: a folder without a simulation says so
        members = campaign_members(get_engine(settings))
    except ServiceError as exc:
        raise fail(exc.message) from None
    except OperationalError as exc:
        raise fail(f"cannot reach the database: {exc.orig}") from None
    with progress() as bar:
        task = bar.add_task(f"advancing {days} day(s)", total=days)
        try:
            result = advance_operator(
                settings,
                actor=Actor.console(),
                days=days,
                members=members,
                first_day=start.date() if start else None,
                on_day=lambda _day: bar.advance(task),
            )
        except ServiceError as exc:
            raise fail(exc.message) from None
    advance_report(result, settings)


def advance_report(result: AdvanceResult, settings: Settings) -> None:
    say(f"simulated {result.first} … {result.last}: {result.tickets:,} tickets written to the lake")
    for day in result.days:
        say(
            f"  {day.day}  {day.tickets:>9,} tickets   {day.nudges:,} campaign purchases added, "
            f"{day.deterred_occasions:,} held back"
        )
    if result.planted_runs:
        runs = ", ".join(str(run) for run in result.planted_runs)
        say(f"planted effects for campaign run(s) {runs}: {settings.ground_truth_dir / 'campaign-effects'}")
    if result.unplanted_runs:
        runs = ", ".join(str(run) for run in result.unplanted_runs)
        say(f"run(s) {runs} were sent before simulated time reached them: no effect planted")


def campaign_members(engine: Engine) -> pa.Table:
    """Both arms of every sent run of the campaigns run here, with each run's response window in days."""
    import pyarrow as pa
    from sqlalchemy import select

    from lottocrm.db.engine import transaction
    from lottocrm.marketing.campaigns.definition import CampaignInputError, parse_definition
    from lottocrm.marketing.campaigns.models import Campaign, CampaignRun
    from lottocrm.marketing.reporting.members import read_members
    from lottocrm.marketing.reporting.service import MEASURED_RUN_STATUSES

    with transaction(engine) as session:
        runs = session.execute(
            select(CampaignRun.id, Campaign.snapshot, Campaign.definition)
            .join(Campaign, Campaign.id == CampaignRun.campaign_id)
            .where(Campaign.kind != "imported", CampaignRun.status.in_(MEASURED_RUN_STATUSES))
        ).all()
        window: dict[int, int] = {}
        for run_id, snapshot, draft in runs:
            document = (snapshot or {}).get("definition") or draft
            try:
                window[run_id] = parse_definition(document).response.window_days
            except CampaignInputError:
                continue
        members = read_members(session, run_ids=sorted(window))
    days = [window[run] for run in members["run_id"].to_pylist()]
    return members.select(["run_id", "player_id", "treated", "stratum", "assigned_at"]).append_column(
        "window_days", pa.array(days, pa.int64())
    )
