"""The closed set of variables a template may use, each with what it means and an example value.

The caller (the dispatcher, the preview) gives them as a mapping; a name outside this set is refused, so a
template can only ever see what is documented here, and the editor lists exactly these. A value may be None
(a player without a middle name): it shows as nothing. A template that names a variable the caller did not
give fails loudly instead (StrictUndefined), because a message with a silent hole in it is worse than none.

The example values are what a new version is rendered against when it is saved: they find undefined
names, runtime errors and the SMS length, so they are typical, slightly long values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from lottocrm.messaging.templates.errors import UnknownVariables, VariableValueInvalid

Group = Literal["profile", "analytics", "message"]


@dataclass(frozen=True)
class Variable:
    name: str
    group: Group
    description: str
    example: object
    kind: type | tuple[type, ...]


VARIABLES: tuple[Variable, ...] = (
    Variable("first_name", "profile", "Player's first name", "Константин", str),
    Variable("middle_name", "profile", "Player's patronymic (may be empty)", "Александрович", str),
    Variable("last_name", "profile", "Player's last name", "Иванов", str),
    Variable("region_name", "profile", "Name of the player's region", "Свердловская область", str),
    Variable("loyalty_balance", "profile", "Loyalty points available now (use |points)", 12_450, int),
    Variable("loyalty_tier", "profile", "Name of the player's loyalty tier", "Золотой", str),
    Variable("favourite_game", "analytics", "The game the player buys most", "Русское лото", str),
    Variable("next_game", "analytics", "The game to offer the player next", "Жилищная лотерея", str),
    Variable(
        "next_game_draw_date",
        "analytics",
        "Date of the next draw of the game to offer (use |date)",
        dt.date(2026, 12, 5),
        (dt.date, dt.datetime),
    ),
    Variable("days_since_last_purchase", "analytics", "Whole days since the player's last ticket", 23, int),
    Variable(
        "promo_code",
        "message",
        "The player's promo code from the campaign's or journey's offer",
        "K7QX2MPA",
        str,
    ),
    Variable(
        "unsubscribe_url",
        "message",
        "Personal one-click unsubscribe link (required in marketing e-mails)",
        "https://lottery.example/unsubscribe/eyJwIjoxMjM0NTY3OCwiYyI6ImVtYWlsIn0.Zm9vYmFyYmF6",
        str,
    ),
)

_BY_NAME = {variable.name: variable for variable in VARIABLES}
NAMES = frozenset(_BY_NAME)


def available_variables() -> tuple[Variable, ...]:
    """Every variable a template may use, in the order the editor lists them."""
    return VARIABLES


def sample_context() -> dict[str, object]:
    """The example values, as a context: what a version is rendered against when it is saved."""
    return {variable.name: variable.example for variable in VARIABLES}


def checked_context(values: Mapping[str, object]) -> dict[str, object]:
    """``values`` as a render context, refusing names outside the set and values of the wrong kind (a
    string where points are expected would render, but wrongly)."""
    unknown = sorted(name for name in values if name not in NAMES)
    if unknown:
        raise UnknownVariables(unknown)
    for name, value in values.items():
        variable = _BY_NAME[name]
        # bool is an int to Python, never a number of points to a player; a moment without its zone cannot
        # be put on the operator's calendar.
        naive = isinstance(value, dt.datetime) and value.tzinfo is None
        if value is not None and (not isinstance(value, variable.kind) or isinstance(value, bool) or naive):
            raise VariableValueInvalid(
                "template variable %(name)s must be %(kind)s, got %(value)s",
                name=name,
                kind=_kind_name(variable.kind),
                value=repr(value)[:60],
            )
    return dict(values)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)
