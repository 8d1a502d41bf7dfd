"""``lottocrm contact-centre``: the contact centre's upkeep from the console."""

from __future__ import annotations

import time

import typer

from lottocrm.audit.service import Actor
from lottocrm.cli.context import fail, load_settings, say
from lottocrm.db.engine import get_engine, transaction
from lottocrm.errors import ServiceError

contact_centre_app = typer.Typer(
    help="The contact centre: recompute the SLA due times of open cases.", no_args_is_help=True
)


@contact_centre_app.command("recompute-sla")
def recompute_sla(
    team: str | None = typer.Option(None, help="Only this team's cases (its code); all teams when left out."),
    by: str | None = typer.Option(None, help="Who is acting, for the audit log (default: your login)."),
) -> None:
    """Recompute the first-response and resolution due times of every open case from its state history,
    in bulk (after a change of working hours or of an SLA policy)."""
    from lottocrm.contact_centre.sla.bulk import recompute_all

    started = time.perf_counter()
    try:
        with transaction(get_engine(load_settings())) as session:
            changed = recompute_all(session, actor=Actor.console(by), team=team)
    except ServiceError as error:
        raise fail(error.message) from None
    say(f"{changed:,} due times moved, in {time.perf_counter() - started:.1f} s")
