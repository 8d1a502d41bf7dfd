"""Panels other domains add to the 360 view, shown only when their data exists.

A domain contributes by shipping a module listed in ``PROVIDER_MODULES`` with a function
``player_panels(session, *, player_id) -> list[PanelOut]``. Modules are looked up, never imported blindly,
so the page works before (and without) those domains. Loyalty is read straight from its tables when they exist
because its balance and tier are plain columns.

A provider has no locale: it builds its panel with ``panel_values.panel`` from typed values (money, shares,
dates, message ids), which the API shows as English text and the page formats in the reader's language. A
plain ``PanelOut`` still works; its values are then shown as English text looked up in the catalog.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Callable
from functools import lru_cache

from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from lottocrm.players.panel_values import Joined, Message, Moment, Number, PanelValue, panel
from lottocrm.players.schemas import PanelOut

PROVIDER_MODULES = (
    "lottocrm.analytics.panels",
    "lottocrm.analytics.clv.panels",
    "lottocrm.analytics.churn.panels",
    "lottocrm.analytics.propensity.panels",
    "lottocrm.loyalty.panels",
)
PanelProvider = Callable[..., list[PanelOut]]
# Operation kinds and tier codes of the loyalty tables, as message ids the page translates.
OPERATION_LABELS = {
    "earn": "Points earned",
    "earn_reversal": "Earning reversed",
    "welcome_bonus": "Welcome bonus",
    "authorize": "Points held",
    "capture": "Points redeemed",
    "void": "Hold released",
    "refund": "Points refunded",
    "expire": "Points expired",
    "adjust": "Adjustment",
}
TIER_LABELS = {"bronze": "Bronze", "silver": "Silver", "gold": "Gold", "vip": "VIP"}
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
    tier = account.tier or "—"
    rows: list[tuple[str, PanelValue]] = [
        ("Balance", Number(account.balance or 0)),
        ("Loyalty tier", Message(TIER_LABELS.get(tier, tier))),
    ]
    recent = session.execute(
        text(
            "SELECT kind, points, created_at FROM loyalty_operations WHERE account_id = :account "
            "ORDER BY created_at DESC, id DESC LIMIT 5"
        ),
        {"account": account.id},
    )
    rows += [
        (
            OPERATION_LABELS.get(row.kind, row.kind),
            Joined((Number(row.points, signed=True), Moment(row.created_at))),
        )
        for row in recent
    ]
    return [panel("loyalty", "Loyalty", rows)]


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
