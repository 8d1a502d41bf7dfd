"""What the ``lottocrm loyalty`` commands share: one transaction per command, who acts, dates typed in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lottocrm.cli.context import fail, load_settings
from lottocrm.db.engine import get_engine, transaction
from lottocrm.loyalty.errors import LoyaltyError

# Who acts, for the commands where naming yourself is optional (the audit row falls back to the OS account).
BY = typer.Option(None, "--by", help="Who does it (audited); default: your operating-system account.")


def engine() -> Engine:
    return get_engine(load_settings())


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction; a refusal from the domain becomes a readable error and exit code 1."""
    try:
        with transaction(engine()) as session:
            yield session
    except LoyaltyError as exc:
        raise fail(f"{exc.code}: {exc.message}") from None


def day(value: str) -> dt.datetime:
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=dt.UTC)
    except ValueError:
        raise fail(f"{value!r} is not a date like 2026-11-01") from None
