"""The composition root: the installed domains, in order, and what they contribute.

Each domain describes itself in its own ``wiring.py`` (see :mod:`lottocrm.manifest`); adding a domain is one
line in ``INSTALLED``. This module imports only those manifests — plain data — so anything may ask it what
is installed; the objects behind the dotted paths are imported when first asked for. The web application,
the command line, the worker, Alembic and the 360 view all read from here, and nothing else names an upper
domain.

Order matters where contributions are shown in sequence (routers, 360 panels): lower domains first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from lottocrm.analytics.wiring import DOMAIN as ANALYTICS
from lottocrm.audit.wiring import DOMAIN as AUDIT
from lottocrm.auth.wiring import DOMAIN as AUTH
from lottocrm.catalog.wiring import DOMAIN as CATALOG
from lottocrm.contact_centre.wiring import DOMAIN as CONTACT_CENTRE
from lottocrm.contact_policy.wiring import DOMAIN as CONTACT_POLICY
from lottocrm.db.wiring import DOMAIN as DATABASE
from lottocrm.events.wiring import DOMAIN as EVENTS
from lottocrm.identity.wiring import DOMAIN as IDENTITY
from lottocrm.ingest.wiring import DOMAIN as INGEST
from lottocrm.jobs.wiring import DOMAIN as JOBS
from lottocrm.lake.wiring import DOMAIN as LAKE
from lottocrm.loyalty.wiring import DOMAIN as LOYALTY
from lottocrm.manifest import Command, Domain, Job, Subscriber, resolve
from lottocrm.marketing.wiring import DOMAIN as MARKETING
from lottocrm.messaging.wiring import DOMAIN as MESSAGING
from lottocrm.player_events.wiring import DOMAIN as PLAYER_EVENTS
from lottocrm.players.wiring import DOMAIN as PLAYERS
from lottocrm.simulator.wiring import DOMAIN as SIMULATOR
from lottocrm.web.wiring import DOMAIN as WEB

INSTALLED: tuple[Domain, ...] = (
    DATABASE,
    JOBS,
    EVENTS,
    AUDIT,
    CATALOG,
    LAKE,
    PLAYERS,
    AUTH,
    CONTACT_POLICY,
    PLAYER_EVENTS,
    INGEST,
    LOYALTY,
    ANALYTICS,
    IDENTITY,
    MESSAGING,
    MARKETING,
    CONTACT_CENTRE,
    SIMULATOR,
    WEB,
)


def _check(domains: tuple[Domain, ...]) -> None:
    """Two domains claiming one command, job kind or domain name is a wiring mistake: fail at start-up."""
    for label, names in (
        ("domain", [d.name for d in domains]),
        ("command", [c.name for d in domains for c in d.commands]),
        (
            "job kind",
            [*(j.kind for d in domains for j in d.jobs), *(s.name for d in domains for s in d.subscribers)],
        ),
    ):
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise RuntimeError(f"{label} {name!r} is wired twice")
            seen.add(name)


_check(INSTALLED)


def commands() -> tuple[Command, ...]:
    return tuple(command for domain in INSTALLED for command in domain.commands)


def jobs() -> tuple[Job, ...]:
    return tuple(job for domain in INSTALLED for job in domain.jobs)


def subscribers() -> tuple[Subscriber, ...]:
    return tuple(subscriber for domain in INSTALLED for subscriber in domain.subscribers)


def subscribers_of(event: str) -> tuple[Subscriber, ...]:
    """Asked on every emit: computed once per set of installed domains (a test may install more), and
    looked up by that set's identity, since hashing every manifest would cost more than the lookup."""
    installed = INSTALLED
    if _by_event[0] is not installed:
        found: dict[str, tuple[Subscriber, ...]] = {}
        for subscriber in (s for domain in installed for s in domain.subscribers):
            found[subscriber.event] = (*found.get(subscriber.event, ()), subscriber)
        _by_event[:] = [installed, found]
    return _by_event[1].get(event, ())


_by_event: list[Any] = [None, {}]


def _resolved(paths: Iterator[str]) -> tuple[Any, ...]:
    return tuple(resolve(path) for path in paths)


def import_models() -> None:
    """Import every module that declares tables, so ``Base.metadata`` is complete (Alembic, tests)."""
    _resolved(path for domain in INSTALLED for path in domain.models)


def panel_providers() -> tuple[Callable[..., Any], ...]:
    return _resolved(path for domain in INSTALLED for path in domain.panels)


def timeline_sources() -> tuple[Any, ...]:
    return _resolved(path for domain in INSTALLED for path in domain.timeline)


def message_value_providers() -> tuple[Callable[..., Any], ...]:
    return _resolved(path for domain in INSTALLED for path in domain.message_values)


def api_routers() -> tuple[Any, ...]:
    return _resolved(path for domain in INSTALLED for path in domain.api)


def ui_routers() -> tuple[Any, ...]:
    return _resolved(path for domain in INSTALLED for path in domain.ui)


def web_setups() -> tuple[Callable[..., None], ...]:
    return _resolved(path for domain in INSTALLED for path in domain.web_setup)
