"""Who an audit row's actor is, as a person reads it: "Мария Иванова (оператор)" rather than
``user:ivanova``, "API key “banners”" rather than ``apikey:3f9a…``."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.auth.models import ApiKey, User
from lottocrm.presentation import values as pv

# Machine actors by the prefix of their name (lottocrm.audit.service.Actor), read as a phrase with the rest.
_MACHINES = {
    "cli": "console: %(name)s",
    "job": "background job: %(name)s",
    "import": "import: %(name)s",
}


def describe_actors(session: Session, actors: Iterable[str]) -> dict[str, pv.PanelValue]:
    """Each actor's readable name: staff by name and role, keys by name (one query each, only when some
    are there); an account or key no longer found, and any other actor, by its recorded name."""
    wanted = set(actors)
    usernames = {actor.removeprefix("user:") for actor in wanted if actor.startswith("user:")}
    prefixes = {actor.removeprefix("apikey:") for actor in wanted if actor.startswith("apikey:")}
    users = (
        session.execute(
            select(User.username, User.display_name, User.role).where(User.username.in_(usernames))
        ).all()
        if usernames
        else []
    )
    keys = (
        session.execute(select(ApiKey.prefix, ApiKey.name).where(ApiKey.prefix.in_(prefixes))).all()
        if prefixes
        else []
    )
    described: dict[str, pv.PanelValue] = {actor: _machine(actor) for actor in wanted}
    for username, display_name, role in users:
        described[f"user:{username}"] = pv.Sentence(
            "%(name)s (%(role)s)", (("name", pv.Text(display_name)), ("role", pv.Message(role)))
        )
    for prefix, name in keys:
        described[f"apikey:{prefix}"] = pv.Sentence("API key “%(name)s”", (("name", pv.Text(name)),))
    return described


def _machine(actor: str) -> pv.PanelValue:
    kind, _, name = actor.partition(":")
    template = _MACHINES.get(kind)
    if template is None or not name:
        return pv.Text(actor)
    # A job's name is its kind, a code with a label in the catalog; a console user or a source is a name.
    shown = pv.Message(name) if kind == "job" else pv.Text(name)
    return pv.Sentence(template, (("name", shown),))


def matching_actors(session: Session, who: str) -> tuple[str, ...]:
    """The actors a person may mean by ``who``: staff whose username or name contains it, keys whose name
    contains it or whose prefix starts with it, and the console user of that name; a recorded name such as
    ``job:loyalty.expire_lots`` as it is.

    Accounts and keys are few, so they are matched here with Python's case folding (SQLite's LOWER folds
    ASCII only, and "мария" must find "Мария"); the log is then searched by its indexed actor column
    instead of by a substring scan of every row."""
    text = who.strip()
    if ":" in text:
        return (text,)
    folded = text.casefold()
    users = session.execute(select(User.username, User.display_name)).all()
    keys = session.execute(select(ApiKey.prefix, ApiKey.name)).all()
    found = [
        f"user:{username}"
        for username, display_name in users
        if folded in username.casefold() or folded in display_name.casefold()
    ]
    found += [
        f"apikey:{prefix}"
        for prefix, name in keys
        if folded in name.casefold() or prefix.casefold().startswith(folded)
    ]
    return (*found, f"cli:{text}")
