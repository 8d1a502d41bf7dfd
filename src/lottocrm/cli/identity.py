"""``lottocrm identity resolve``: find the registrations that are one person.

Splink and DuckDB are imported inside the command, so ``lottocrm identity --help`` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from lottocrm.audit.service import Actor
from lottocrm.cli.context import DB_NOT_READY, fail, load_settings, progress, say
from lottocrm.identity.thresholds import DEFAULT_CERTAIN, DEFAULT_PROBABLE

identity_app = typer.Typer(
    help="Identity resolution: find the registrations that are one person, queue the doubtful pairs.",
    no_args_is_help=True,
)

FULL_STEPS, INCREMENTAL_STEPS = 10, 5


@identity_app.command("resolve")
def resolve_command(
    incremental: Annotated[
        bool,
        typer.Option("--incremental", help="Score only players created since the last run, with its model."),
    ] = False,
    certain: Annotated[
        float, typer.Option("--certain", help="Link pairs at or above this probability without review.")
    ] = DEFAULT_CERTAIN,
    probable: Annotated[
        float,
        typer.Option("--probable", help="Queue pairs from this probability up to --certain for review."),
    ] = DEFAULT_PROBABLE,
    max_size: Annotated[
        int, typer.Option("--max-size", min=2, help="Most registrations one person may hold.")
    ] = 6,
    min_density: Annotated[
        float,
        typer.Option(
            "--min-density", min=0.0, max=1.0, help="Least share of linked pairs in a person of 3+."
        ),
    ] = 0.5,
    threads: Annotated[int, typer.Option("--threads", min=1, max=64, help="DuckDB threads.")] = 2,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who runs it (audited); default: your operating-system account."),
    ] = None,
) -> None:
    """Link registrations of one person: exact keys, then the trained model; queue doubtful pairs."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from lottocrm.db.engine import get_engine
    from lottocrm.identity.clusters import Guards
    from lottocrm.identity.pipeline import ResolveOptions, resolve
    from lottocrm.identity.thresholds import Thresholds

    settings = load_settings()
    try:
        guards = Guards(max_size=max_size, min_density=min_density)
    except ValueError as exc:
        raise fail(str(exc)) from None
    options = ResolveOptions(
        thresholds=Thresholds(certain=certain, probable=probable),
        guards=guards,
        incremental=incremental,
        threads=threads,
    )
    try:
        with progress() as bar:
            task = bar.add_task("starting", total=INCREMENTAL_STEPS if incremental else FULL_STEPS)

            def step(description: str) -> None:
                bar.update(task, advance=1, description=description)

            summary = resolve(get_engine(settings), actor=Actor.console(by), options=options, on_step=step)
            bar.update(task, completed=bar.tasks[0].total, description="done")
    except (OperationalError, ProgrammingError):
        raise fail(DB_NOT_READY) from None
    s = summary
    say(
        f"{s.mode} run {s.run_id}: {s.scored_players:,} of {s.players:,} players scored; "
        f"{s.exact_links:,} exact links, {s.pairs:,} pairs stored ({s.certain_pairs:,} certain)"
    )
    say(
        f"persons: {s.persons:,} ({s.persons_created:,} new, {s.persons_changed:,} changed, "
        f"{s.persons_dissolved:,} dissolved); review queue: {s.review_added:,} added, "
        f"{s.review_pending:,} pending"
    )
    if s.labels:
        say(f"steward decisions: {s.labels:,}, the model alone agrees with {s.labels_agreeing:,}")
