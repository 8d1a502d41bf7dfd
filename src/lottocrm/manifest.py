"""What a domain tells the platform about itself, in its own ``wiring.py``: plain data, dotted paths.

A manifest names modules and objects as strings (``"lottocrm.loyalty.till.api:router"``) instead of importing
them, so reading every manifest costs nothing: ``lottocrm --help`` lists commands without importing pandas,
and the worker learns every job kind without importing the CLI. :mod:`lottocrm.domains` lists the installed
manifests and resolves a path only when its object is needed.

A path is ``"package.module"`` (the module itself) or ``"package.module:attribute"``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


def resolve(path: str) -> Any:
    """The module or attribute a dotted path names, imported now."""
    module_name, _, attribute = path.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


@dataclass(frozen=True)
class Command:
    """A top-level CLI command: a Typer app (a group of subcommands) or a plain function (one command).
    ``help`` is what ``lottocrm --help`` shows without importing ``target``."""

    name: str
    target: str
    help: str


@dataclass(frozen=True)
class Job:
    """A durable job kind and its handler ``(JobContext) -> None``."""

    kind: str
    handler: str


@dataclass(frozen=True)
class Subscriber:
    """Runs after commit whenever ``event`` is emitted: one durable job per event, of kind ``name``.

    ``handler`` is ``(EventContext) -> None``; it runs at least once (a killed worker's job is run again), so
    it must be idempotent.
    """

    name: str
    event: str
    handler: str


@dataclass(frozen=True)
class Domain:
    """One domain's contributions. Every field but ``name`` is optional.

    - ``models``: modules that declare tables (Alembic and the tests need them all imported).
    - ``api`` / ``ui``: FastAPI routers, mounted under ``/api/v1`` / at the root, in installation order.
    - ``web_setup``: ``(app, *, api_prefix) -> None`` hooks that add middleware or startup resources.
    - ``commands``: top-level CLI commands.
    - ``jobs`` and ``subscribers``: what the worker runs.
    - ``panels``: 360 panel providers ``(session, *, player_id) -> list[PanelOut]``.
    - ``timeline``: 360 timeline sources, objects with ``entries(session, *, player_id, before, limit)``.
    - ``events``: modules that declare this domain's events in the catalogue.
    - ``message_values``: per-message template variables, ``(session, messages) -> {message id: {name:
      value}}``, asked by the dispatcher for each batch it renders (a campaign message's promo code).
    """

    name: str
    models: tuple[str, ...] = ()
    api: tuple[str, ...] = ()
    ui: tuple[str, ...] = ()
    web_setup: tuple[str, ...] = ()
    commands: tuple[Command, ...] = ()
    jobs: tuple[Job, ...] = ()
    subscribers: tuple[Subscriber, ...] = ()
    panels: tuple[str, ...] = ()
    timeline: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    message_values: tuple[str, ...] = ()
