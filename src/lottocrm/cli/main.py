"""The ``lottocrm`` command line. Each domain registers its commands here; the commands live beside them."""

from __future__ import annotations

import logging

import typer

from lottocrm import __version__
from lottocrm.cli import churn, clv, db, demo, importing, lake, mart, report, serve, simulate, users, worker
from lottocrm.cli import propensity as propensity_cli
from lottocrm.cli.context import state
from lottocrm.cli.loyalty import loyalty_app

app = typer.Typer(
    name="lottocrm",
    help="lottocrm — CRM for lottery operators: store, lake, import, simulation, analytics.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lottocrm {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="No progress bars or chatter; errors still print."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    state.quiet = quiet
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


app.command("init")(db.init)
app.add_typer(db.db_app, name="db")
app.add_typer(clv.clv_app, name="clv")
app.add_typer(churn.churn_app, name="churn")
app.command("serve")(serve.serve)
worker.register(app)
app.add_typer(importing.import_app, name="import")
app.add_typer(lake.lake_app, name="lake")
app.command("simulate")(simulate.simulate_command)
app.add_typer(loyalty_app, name="loyalty")
app.add_typer(users.user_app, name="user")
app.add_typer(users.apikey_app, name="apikey")
app.command("report")(report.report)
mart.register(app)
propensity_cli.register(app)
app.command("demo")(demo.demo)
