"""A template's problems as the editor shows them: in the reader's language, beside the field they are in,
with the line.

The service words its own findings as message ids the catalog translates. Jinja's syntax errors are
English sentences from the library; the common ones are recognised here and said again in the catalog's
words (with Jinja's tokens shown as the marks a person types: «}}», «%}»), so a Russian page never shows
Jinja's English. One not recognised is shown as "not valid template text" with Jinja's words after it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lottocrm.errors import Term, fill
from lottocrm.messaging.templates.errors import Problem

Translate = Callable[[str], str]

# Jinja's token names, as the author sees them in the text.
_TOKENS = {
    "end of print statement": "}}",
    "end of statement block": "%}",
    "begin of print statement": "{{",
    "begin of statement block": "{%",
    "end of template": "",
}
# (Jinja's sentence, our message id, the groups' names); tried in order, the first that matches wins.
_JINJA_SENTENCES: tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...] = (
    (
        re.compile(r"Unexpected end of template\..*innermost block that needs to be closed is '(\w+)'", re.S),
        "the text ends before the {%% %(tag)s %%} block is closed (its {%% end%(tag)s %%} is missing)",
        ("tag",),
    ),
    (
        re.compile(r"unexpected end of template, expected '(.+?)'\.?$", re.S),
        "the text ends in the middle of an expression: %(mark)s is missing",
        ("mark",),
    ),
    (
        re.compile(r"Encountered unknown tag '(\w+)'", re.S),
        "unknown tag %(tag)s (a {%% … %%} that is not if, for, set or macro, or an end without its start)",
        ("tag",),
    ),
    (
        re.compile(r"[Nn]o filter named '(\w+)'"),
        "there is no filter %(name)s (see the list of filters)",
        ("name",),
    ),
    (re.compile(r"[Nn]o test named '(\w+)'"), "there is no test %(name)s", ("name",)),
    (
        re.compile(r"expected token '(.+?)', got '(.+?)'"),
        "expected %(mark)s, found %(found)s",
        ("mark", "found"),
    ),
    (re.compile(r"unexpected char '(.+?)' at \d+"), "the character %(found)s cannot stand here", ("found",)),
    (re.compile(r"unexpected '(.+?)'"), "%(found)s cannot stand here", ("found",)),
    (
        re.compile(r"'(\w+)' is undefined"),
        "%(name)s is not a template variable (see the list of variables)",
        ("name",),
    ),
)
# The SMS alphabets as the trade writes them.
_ALPHABETS = {"gsm7": "GSM-7", "ucs2": "UCS-2"}
_FALLBACK = "not valid template text (%(reason)s)"
# Anything else a render raised (a filter given text where it needs a number…): the Python error as it is.
_RENDER_FAILED = "with the example values the text fails: %(error)s: %(reason)s"


def _mark(token: str) -> str:
    return f"«{_TOKENS.get(token, token)}»"


def _jinja_sentence(reason: str) -> tuple[str, dict[str, str]]:
    for pattern, message_id, names in _JINJA_SENTENCES:
        found = pattern.search(reason)
        if found:
            return message_id, {
                name: _mark(value) if name in ("mark", "found") else f"«{value}»"
                for name, value in zip(names, found.groups(), strict=True)
            }
    return _FALLBACK, {"reason": reason}


def problem_text(problem: Problem, translate: Translate) -> str:
    """What the problem says, translated, without its place (the page shows it beside its field)."""
    template, params = problem.template, dict(problem.params)
    if template == "%(reason)s":
        template, params = _jinja_sentence(str(params.get("reason", "")))
    elif problem.code == "render":
        template = _RENDER_FAILED
    if "encoding" in params:
        params["encoding"] = _ALPHABETS.get(str(params["encoding"]).lower(), str(params["encoding"]))
    if "channel" in params:
        params["channel"] = Term(str(params["channel"]))
    text = fill(translate(template), params, translate)
    if problem.line is not None:
        return translate("line %(line)s: %(text)s") % {"line": problem.line, "text": text}
    return text


def by_field(problems: list[Problem], translate: Translate) -> dict[str, list[str]]:
    """Each body's problems as text, keyed by the body's field (``version``: the whole version)."""
    shown: dict[str, list[str]] = {}
    for problem in problems:
        shown.setdefault(problem.body, []).append(problem_text(problem, translate))
    return shown
