"""``lottocrm contact-policy``: check and rebuild the contactability rows the gate reads."""

from __future__ import annotations

import time

import typer

from lottocrm.audit.service import Actor
from lottocrm.cli.context import fail, load_settings, progress, say
from lottocrm.db.engine import get_engine

contact_policy_app = typer.Typer(
    help="The contact policy's contactability rows: check them against the facts, rebuild them.",
    no_args_is_help=True,
)


@contact_policy_app.command("check")
def check(
    batch: int = typer.Option(2_000, min=1, max=10_000, help="Players compared per read."),
    repair: bool = typer.Option(False, "--repair", help="Recompute the rows found different."),
) -> None:
    """Compare every player's contactability row with the row their consents, responsible gaming,
    identities and cap ledger give now; list the players that differ (a writer bypassed the refresh)."""
    from lottocrm.contact_policy.upkeep import check_rows

    with get_engine(load_settings()).begin() as connection:
        result = check_rows(connection, actor=Actor.console(), repair=repair, batch=batch)
    shown = ", ".join(map(str, result.drifted[:20])) + (" …" if len(result.drifted) > 20 else "")
    if not result.drifted:
        say(f"{result.players:,} players checked: every contactability row matches its facts")
    elif result.repaired:
        say(
            f"{result.players:,} players checked: {len(result.drifted):,} rows differed, recomputed ({shown})"
        )
    else:
        raise fail(
            f"{result.players:,} players checked: {len(result.drifted):,} rows differ from their facts "
            f"({shown}); run `lottocrm contact-policy check --repair` to recompute them"
        )


@contact_policy_app.command("rebuild")
def rebuild() -> None:
    """Recompute every player's contactability row from the facts (after a change of the operator's time
    zone, or a bulk load that did not refresh them)."""
    from lottocrm.contact_policy.upkeep import rebuild_rows

    started = time.perf_counter()
    with get_engine(load_settings()).begin() as connection, progress() as bar:
        task = bar.add_task("contactability rows", total=None)
        written = rebuild_rows(
            connection,
            actor=Actor.console(),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    say(f"{written:,} contactability rows rebuilt in {time.perf_counter() - started:.1f} s")
