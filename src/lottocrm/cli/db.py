"""``lottocrm db …`` and ``lottocrm init``: create and migrate the operational store and the data folder."""

from __future__ import annotations

import typer
from sqlalchemy.exc import OperationalError

from lottocrm.audit import schema
from lottocrm.audit.service import Actor
from lottocrm.cli.context import fail, load_settings, say
from lottocrm.db import migrate
from lottocrm.db.engine import get_engine

db_app = typer.Typer(help="Create, migrate and inspect the operational database.", no_args_is_help=True)


def _engine():  # type: ignore[no-untyped-def]
    return get_engine(load_settings())


def _describe(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions)) or "base (empty)"


@db_app.command("upgrade")
def upgrade(
    revision: str = typer.Argument("heads", help="Target revision (default: the latest of every branch)."),
) -> None:
    """Create the schema or migrate it forward."""
    try:
        schema.upgrade(_engine(), actor=Actor.console(), revision=revision)
    except OperationalError as exc:
        raise fail(f"cannot reach the database: {exc.orig}") from None
    say(f"database at revision {_describe(migrate.current_revisions(_engine()))}")


@db_app.command("downgrade")
def downgrade(revision: str = typer.Argument(..., help="Target revision, e.g. 'base' or '0001'.")) -> None:
    """Migrate the schema back to an older revision."""
    schema.downgrade(_engine(), actor=Actor.console(), revision=revision)
    say(f"database at revision {_describe(migrate.current_revisions(_engine()))}")


@db_app.command("current")
def current() -> None:
    """Print the schema revision and whether it is the latest."""
    engine = _engine()
    current, latest = migrate.current_revisions(engine), migrate.head_revisions(engine)
    hint = "" if current == latest else "  (run `lottocrm db upgrade`)"
    say(f"current: {_describe(current)}  latest: {_describe(latest)}{hint}")


def init() -> None:
    """Create the data folder (store, lake, ground truth) and the database schema."""
    settings = load_settings()
    for folder in (settings.data_dir, settings.lake_path, settings.quarantine_dir):
        folder.mkdir(parents=True, exist_ok=True)
    engine = get_engine(settings)
    schema.upgrade(engine, actor=Actor.console())
    say(f"data folder ready: {settings.data_dir}")
    revision = _describe(migrate.current_revisions(engine))
    say(f"database: {engine.url.render_as_string(hide_password=True)} (revision {revision})")
    say(f"lake: {settings.lake_path}")
