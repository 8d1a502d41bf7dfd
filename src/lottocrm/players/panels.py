"""Panels other domains add to the 360 view, shown only when their data exists.

A domain contributes by shipping a module listed in ``PROVIDER_MODULES`` with a function
``player_panels(session, *, player_id) -> list[PanelOut]``. Modules are looked up, never imported blindly,
so the page works before (and without) those domains. Loyalty is read straight from its tables when they exist
because its balance and tier are plain columns.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Callable
from functools import lru_cache

from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from lottocrm.players.schemas import PanelOut

PROVIDER_MODULES = (
    "lottocrm.analytics.panels",
    "lottocrm.analytics.clv.panels",
    "lottocrm.analytics.churn.panels",
    "lottocrm.analytics.propensity.panels",
    "lottocrm.loyalty.panels",
)
PanelProvider = Callable[..., list[PanelOut]]
log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _module_providers() -> tuple[PanelProvider, ...]:
    found = []
    for name in PROVIDER_MODULES:
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            continue
        if spec is not None:
            provider = getattr(importlib.import_module(name), "player_panels", None)
            if callable(provider):
                found.append(provider)
    return tuple(found)


_tables_by_database: dict[str, frozenset[str]] = {}


def _tables(session: Session) -> frozenset[str]:
    """Table names, read once per database on the request's own connection (a second SQLite connection
    would wait for the request's write lock)."""
    key = str(session.get_bind().url)
    if key not in _tables_by_database:
        _tables_by_database[key] = frozenset(inspect(session.connection()).get_table_names())
    return _tables_by_database[key]


def _loyalty_panel(session: Session, player_id: int) -> list[PanelOut]:
    if "loyalty_accounts" not in _tables(session) or "lottocrm.loyalty.panels" in _module_names():
        return []
    account = session.execute(
        text("SELECT id, balance, tier FROM loyalty_accounts WHERE player_id = :player_id"),
        {"player_id": player_id},
    ).first()
    if account is None:
        return []
    rows = [("balance", str(account.balance or 0)), ("tier", account.tier or "—")]
    recent = session.execute(
        text(
            "SELECT kind, points, created_at FROM loyalty_operations WHERE account_id = :account "
            "ORDER BY created_at DESC, id DESC LIMIT 5"
        ),
        {"account": account.id},
    )
    rows += [(f"{row.kind}", f"{row.points:+d} · {str(row.created_at)[:16]}") for row in recent]
    return [PanelOut(key="loyalty", title="Loyalty", rows=rows)]


def _module_names() -> set[str]:
    return {provider.__module__ for provider in _module_providers()}


def player_panels(session: Session, *, player_id: int) -> list[PanelOut]:
    panels = _loyalty_panel(session, player_id)
    for provider in _module_providers():
        try:
            panels.extend(provider(session, player_id=player_id))
        except Exception:
            # Another domain's panel failing must not take the operator's whole screen down with it.
            log.exception("player panel provider %s failed", provider.__module__)
    return panels
