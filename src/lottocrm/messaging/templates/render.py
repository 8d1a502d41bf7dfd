"""Compile a version's channel bodies once and render them for one player at a time.

A version has up to six bodies: the SMS text, the e-mail's subject, plain text and (optional) HTML, and
the push notification's title and body. HTML is the only one rendered with autoescape: a player's name
typed as ``<b>`` shows as text in the e-mail, while the SMS and push texts are never HTML. The subject and
the push title are one line: whatever a variable holds, newlines and runs of spaces become one space (a
newline in a Subject header would start another header).

Compiled bodies are cached by their text (an LRU of :data:`CACHE_SIZE` versions): a published version is
immutable, so a dispatcher rendering a campaign's 700 000 messages compiles it once; a draft being edited
compiles each new text once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from types import TracebackType
from typing import Any

from jinja2 import Template, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SecurityError

from lottocrm.messaging.templates.errors import Problem, RenderFailed, TemplateInvalid
from lottocrm.messaging.templates.sandbox import (
    DEFAULT_LIMITS,
    LimitExceeded,
    RenderLimits,
    TemplateSandbox,
    render_bounded,
)
from lottocrm.messaging.templates.variables import checked_context

HTML_BODIES = frozenset({"email_html"})
ONE_LINE_BODIES = frozenset({"email_subject", "push_title"})
CACHE_SIZE = 512
# Jinja names the code of a template compiled from a string this way in the tracebacks it rewrites.
_TEMPLATE_FILENAME = "<template>"

_TEXT_SANDBOX = TemplateSandbox(html=False)
_HTML_SANDBOX = TemplateSandbox(html=True)


@dataclass(frozen=True)
class Bodies:
    """A version's text per channel; None where the version does not speak on that channel."""

    sms_text: str | None = None
    email_subject: str | None = None
    email_text: str | None = None
    email_html: str | None = None
    push_title: str | None = None
    push_body: str | None = None

    def present(self) -> dict[str, str]:
        """The bodies given (an empty text counts as none), by field name, in channel order."""
        return {name: value for name in BODY_FIELDS if (value := getattr(self, name))}


BODY_FIELDS: tuple[str, ...] = tuple(field.name for field in fields(Bodies))


@dataclass(frozen=True)
class RenderedMessage:
    """One player's message, per channel (None where the version has no body)."""

    sms_text: str | None = None
    email_subject: str | None = None
    email_text: str | None = None
    email_html: str | None = None
    push_title: str | None = None
    push_body: str | None = None


def sandbox_for(body: str) -> TemplateSandbox:
    return _HTML_SANDBOX if body in HTML_BODIES else _TEXT_SANDBOX


def compile_body(body: str, source: str, limits: RenderLimits) -> Template:
    """One body compiled, or :class:`TemplateInvalid` naming its syntax error and line."""
    if len(source) > limits.max_source_chars:
        raise TemplateInvalid(
            [
                Problem(
                    body,
                    "limit",
                    "the text is %(chars)d characters long; the limit is %(limit)d",
                    {"chars": len(source), "limit": limits.max_source_chars},
                )
            ]
        )
    try:
        return sandbox_for(body).compile_body(source)
    except TemplateSyntaxError as exc:
        problem = Problem(body, "syntax", "%(reason)s", {"reason": exc.message or ""}, exc.lineno)
        raise TemplateInvalid([problem]) from None
    except RecursionError:
        raise TemplateInvalid([Problem(body, "syntax", "expressions are nested too deeply")]) from None


def render_body(body: str, template: Template, context: dict[str, Any], limits: RenderLimits) -> str:
    """One body rendered, or :class:`RenderFailed` saying what stopped it and on which line."""
    try:
        text = render_bounded(template, context, limits)
    except Exception as exc:  # noqa: BLE001 - whatever a template raises is the template's problem to report
        raise RenderFailed(render_problem(body, exc)) from exc
    return " ".join(text.split()) if body in ONE_LINE_BODIES else text


def render_problem(body: str, exc: BaseException) -> Problem:
    """What an exception raised by a render means to the template's author."""
    line = _template_line(exc.__traceback__)
    if isinstance(exc, SecurityError):
        return Problem(body, "sandbox", "refused by the sandbox: %(reason)s", {"reason": str(exc)}, line)
    if isinstance(exc, UndefinedError):
        return Problem(body, "undefined", "%(reason)s", {"reason": exc.message or str(exc)}, line)
    if isinstance(exc, LimitExceeded):
        return Problem(body, "limit", exc.template, dict(exc.params), line)
    if isinstance(exc, RecursionError):
        return Problem(body, "limit", "macros call each other too deeply", {}, line)
    return Problem(
        body, "render", "%(error)s: %(reason)s", {"error": type(exc).__name__, "reason": str(exc)}, line
    )


def _template_line(traceback: TracebackType | None) -> int | None:
    # Jinja rewrites a render's traceback so the template's frames carry template line numbers; the
    # innermost one is where the template was when it failed.
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == _TEMPLATE_FILENAME:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


class CompiledVersion:
    """A version's bodies, compiled, ready to render for any number of players."""

    def __init__(self, bodies: Bodies, limits: RenderLimits) -> None:
        self.bodies = bodies
        self.limits = limits
        compiled: dict[str, Template] = {}
        problems: list[Problem] = []
        for body, source in bodies.present().items():
            try:
                compiled[body] = compile_body(body, source, limits)
            except TemplateInvalid as exc:
                problems += exc.problems
        if problems:
            raise TemplateInvalid(problems)
        self.templates = compiled

    def render(
        self, variables: Mapping[str, object], *, only: Collection[str] | None = None
    ) -> RenderedMessage:
        """Every body for one player (``variables`` from :mod:`.variables`' set), or those named in ``only``
        (the dispatcher renders one channel's bodies, not the other channels' too)."""
        context = checked_context(variables)
        return RenderedMessage(
            **{
                body: render_body(body, template, context, self.limits)
                for body, template in self.templates.items()
                if only is None or body in only
            }
        )


@lru_cache(maxsize=CACHE_SIZE)
def compile_version(bodies: Bodies, limits: RenderLimits = DEFAULT_LIMITS) -> CompiledVersion:
    """The compiled version for ``bodies`` (cached), or :class:`TemplateInvalid` with every syntax error."""
    return CompiledVersion(bodies, limits)
