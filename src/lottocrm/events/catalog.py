"""Every event the installed domains can emit: name → payload class, collected from their ``events.py``.

The catalogue is what a subscriber may rely on. A test emits each event through the code that really emits
it and validates the envelope against the class found here.
"""

from __future__ import annotations

from typing import Any

from lottocrm import domains
from lottocrm.events.model import DomainEvent, EventPayload
from lottocrm.manifest import Domain, resolve


class UnknownEvent(LookupError):
    pass


def catalogue() -> dict[str, type[EventPayload]]:
    """Built once per set of installed domains, found again by that set's identity (cheap on every emit)."""
    installed = domains.INSTALLED
    if _built[0] is not installed:
        _built[:] = [installed, _collect(installed)]
    return _built[1]


_built: list[Any] = [None, {}]


def _collect(installed: tuple[Domain, ...]) -> dict[str, type[EventPayload]]:
    found: dict[str, type[EventPayload]] = {}
    for module in (resolve(path) for domain in installed for path in domain.events):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, EventPayload) and value is not EventPayload:
                if value.__module__ != module.__name__ or not hasattr(value, "name"):
                    continue  # imported from elsewhere, or a base class of several events
                if value.name in found and found[value.name] is not value:
                    raise RuntimeError(f"event {value.name!r} is declared twice")
                found[value.name] = value
    return found


def payload_class(name: str) -> type[EventPayload]:
    try:
        return catalogue()[name]
    except KeyError:
        raise UnknownEvent(f"no event {name!r} in the catalogue") from None


def read_payload(event: DomainEvent) -> EventPayload:
    """The envelope's payload as its typed class; an envelope of another version is refused, not guessed."""
    cls = payload_class(event.name)
    if event.version != cls.version:
        raise UnknownEvent(f"event {event.name!r} version {event.version}; this code reads {cls.version}")
    return cls.model_validate(event.payload)
