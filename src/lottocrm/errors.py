"""The one shape of a refusal: a message for a person, a stable machine code, the HTTP status it means.

Services raise subclasses of :class:`ServiceError`; each delivery layer maps them once — the API to a JSON
body with ``code``, a page to a readable message, the CLI to a one-line error — instead of every handler
catching each class and choosing a status.

A message is English. When it carries values (a username, a limit), it is written as a template with
``%(name)s`` placeholders and the values are passed apart, so a page can translate the template and fill
the values in (``lottocrm.web.i18n.refusal``); the API and the CLI show the English text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


class Term(str):
    """A value that is itself a word of the vocabulary (a role, a contact kind): a page shows it translated,
    the API and the CLI as it is."""


Param = str | int | Term | tuple[Term, ...]


def fill(template: str, params: Mapping[str, Param], translate: Callable[[str], str] = str) -> str:
    """``template`` with its placeholders filled, terms passed through ``translate``; a tuple of terms reads
    as a list ("phone, email")."""

    def shown(value: Param) -> str | int:
        if isinstance(value, tuple):
            return ", ".join(translate(term) for term in value)
        return translate(value) if isinstance(value, Term) else value

    return template % {name: shown(value) for name, value in params.items()} if params else template


class ServiceError(Exception):
    code = "invalid"
    http_status = 400
    # Seconds after which the same request may succeed (sent as Retry-After); None: waiting will not help.
    retry_after: int | None = None

    def __init__(self, message: str, **params: Param) -> None:
        self.template = message
        self.params = params
        self.message = fill(message, params)
        super().__init__(self.message)


class NotFound(ServiceError):
    code, http_status = "not_found", 404


class Conflict(ServiceError):
    code, http_status = "conflict", 409
