"""``lottocrm campaign boost list|add|remove``: boost windows, the days when players interested in an event
may receive more campaigns than the daily budget (see marketing/campaigns/boosts.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from lottocrm.audit.service import Actor
from lottocrm.cli.context import console, load_settings, say
from lottocrm.db.engine import get_engine, transaction
from lottocrm.marketing.boosts import service as boosts

boost_app = typer.Typer(
    help="Boost windows: more campaigns a day around an event, for the players of a segment only.",
    no_args_is_help=True,
)


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from None


@boost_app.command("list")
def list_windows(
    include_past: Annotated[bool, typer.Option("--all", help="Also windows that have ended")] = False,
) -> None:
    """The boost windows that are open or ahead (all of them with --all)."""
    with transaction(get_engine(load_settings())) as session:
        found = boosts.windows(session, include_past=include_past)
        table = Table("id", "name", "first day", "last day", "extra a day", "segment", title="Boost windows")
        for window in found:
            table.add_row(
                str(window.id),
                window.name,
                window.first_day.isoformat(),
                window.last_day.isoformat(),
                str(window.extra_per_day),
                str(window.segment_id),
            )
    console.print(table)


@boost_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="What the event is, e.g. 'New Year draw'")],
    first_day: Annotated[str, typer.Option("--from", help="First operator day, YYYY-MM-DD")],
    last_day: Annotated[str, typer.Option("--to", help="Last operator day (included), YYYY-MM-DD")],
    segment_id: Annotated[int, typer.Option("--segment", min=1, max=2**63 - 1, help="Interested players")],
    extra: Annotated[int, typer.Option("--extra", help="Campaigns a day on top of the budget")] = 1,
) -> None:
    """Add a boost window."""
    with transaction(get_engine(load_settings())) as session:
        window = boosts.add_window(
            session,
            actor=Actor.console(),
            name=name,
            first_day=_day(first_day),
            last_day=_day(last_day),
            extra_per_day=extra,
            segment_id=segment_id,
        )
        say(f"boost window {window.id} added: {window.first_day} to {window.last_day}, +{extra} a day")


@boost_app.command("remove")
def remove(window_id: Annotated[int, typer.Argument(min=1, max=2**63 - 1)]) -> None:
    """Remove a boost window (runs already chosen under it keep what they chose)."""
    with transaction(get_engine(load_settings())) as session:
        boosts.remove_window(session, actor=Actor.console(), window_id=window_id)
    say(f"boost window {window_id} removed")
