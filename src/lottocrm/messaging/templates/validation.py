"""The checks a version passes before it is saved or published, each finding naming its body and line.

1. Every body compiles (a syntax error, an unknown filter: the line and Jinja's message).
2. Read from the parsed text, before anything runs: a name outside the documented variables (in any
   branch, taken or not), an attribute or method (``name.upper()``; one starting with ``_`` is reported as
   the escape attempt it is), another template included or imported.
3. Rendered against the example values (:func:`.variables.sample_context`) within the render limits: what
   the sandbox refuses at run time, a limit, any other error, on its line.
4. The SMS text with the example values: more parts than ``LOTTOCRM_SMS_MAX_PARTS`` is refused with the
   count; emoji are a warning, not a refusal, that says how many more parts they cost (one emoji makes
   the whole text UCS-2: 70 characters in one SMS, 67 per part, instead of GSM-7's 160 and 153).
5. A marketing e-mail's text and HTML must each show ``{{ unsubscribe_url }}`` with the example values
   (one-click unsubscribe, RFC 8058; the right to refuse advertising at any time, 38-FZ art. 18).
6. A channel is whole: an e-mail has a subject and a plain text (HTML is optional), a push has a title and
   a body, and a version speaks on at least one channel.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import meta, nodes

from lottocrm.messaging.sms_text import sms_parts
from lottocrm.messaging.templates.errors import Problem, RenderFailed, TemplateInvalid
from lottocrm.messaging.templates.render import Bodies, compile_body, render_body, sandbox_for
from lottocrm.messaging.templates.sandbox import DEFAULT_LIMITS, RenderLimits
from lottocrm.messaging.templates.settings import TemplateSettings
from lottocrm.messaging.templates.variables import NAMES, sample_context

_TEMPLATE_GLOBALS = frozenset({"range"})
# A channel's bodies that must all be present once any of them is, and the one that may be left out.
_CHANNELS = {"e-mail": ("email_subject", "email_text"), "push": ("push_title", "push_body")}
_EMAIL_BODIES = ("email_subject", "email_text", "email_html")
_UNSUBSCRIBE_BODIES = ("email_text", "email_html")
_EMOJI_SHOWN = 5


@dataclass(frozen=True)
class Findings:
    errors: list[Problem]
    warnings: list[Problem]


def check_version(
    bodies: Bodies, *, message_class: str, settings: TemplateSettings, limits: RenderLimits = DEFAULT_LIMITS
) -> Findings:
    """Everything wrong with ``bodies`` for a template of ``message_class`` (nothing raised)."""
    errors = _completeness(bodies)
    warnings: list[Problem] = []
    sample = sample_context()
    rendered: dict[str, str] = {}
    for body, source in bodies.present().items():
        try:
            template = compile_body(body, source, limits)
        except TemplateInvalid as exc:
            errors += exc.problems
            continue
        static = _static_problems(body, source)
        errors += static
        if static:
            continue
        try:
            rendered[body] = render_body(body, template, sample, limits)
        except RenderFailed as exc:
            errors.append(exc.problem)
    if "sms_text" in rendered:
        sms_errors, sms_warnings = _sms_problems(bodies.sms_text or "", rendered["sms_text"], settings)
        errors += sms_errors
        warnings += sms_warnings
    if message_class == "marketing":
        errors += _unsubscribe_problems(bodies, rendered, str(sample["unsubscribe_url"]))
    return Findings(errors=errors, warnings=warnings)


def validated(
    bodies: Bodies, *, message_class: str, settings: TemplateSettings, limits: RenderLimits = DEFAULT_LIMITS
) -> list[Problem]:
    """The warnings for ``bodies``, or :class:`TemplateInvalid` with every error."""
    findings = check_version(bodies, message_class=message_class, settings=settings, limits=limits)
    if findings.errors:
        raise TemplateInvalid(findings.errors)
    return findings.warnings


def _completeness(bodies: Bodies) -> list[Problem]:
    present = bodies.present()
    if not present:
        return [Problem("version", "body_missing", "a version needs the text of at least one channel")]
    problems = []
    for channel, required in _CHANNELS.items():
        group = _EMAIL_BODIES if channel == "e-mail" else required
        if any(body in present for body in group):
            problems += [
                Problem(body, "body_missing", "the %(channel)s needs this text too", {"channel": channel})
                for body in required
                if body not in present
            ]
    return problems


def _static_problems(body: str, source: str) -> list[Problem]:
    tree = sandbox_for(body).parse(source)
    problems = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        name = _accessed_name(node)
        if name is not None and name.startswith("_"):
            problems.append(
                Problem(
                    body,
                    "sandbox",
                    "access to %(name)s is refused: templates cannot reach Python internals",
                    {"name": name},
                    node.lineno,
                )
            )
        elif isinstance(node, nodes.Getattr) and not _is_loop(node.node):
            problems.append(
                Problem(
                    body,
                    "sandbox",
                    "attributes and methods (.%(name)s) are not available in templates: use a filter",
                    {"name": node.attr},
                    node.lineno,
                )
            )
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        problems.append(
            Problem(body, "sandbox", "a template cannot include or import another", {}, node.lineno)
        )
    unknown = meta.find_undeclared_variables(tree) - NAMES - _TEMPLATE_GLOBALS
    for name in sorted(unknown, key=lambda n: (_first_use(tree, n) or 0, n)):
        problems.append(
            Problem(
                body,
                "undefined",
                "%(name)s is not a template variable (see the list of variables)",
                {"name": name},
                _first_use(tree, name),
            )
        )
    return problems


def _accessed_name(node: nodes.Getattr | nodes.Getitem) -> str | None:
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    return None


def _is_loop(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Name) and node.name == "loop"


def _first_use(tree: nodes.Template, name: str) -> int | None:
    lines = [node.lineno for node in tree.find_all(nodes.Name) if node.name == name and node.ctx == "load"]
    return min(lines, default=None)


def _sms_problems(source: str, text: str, settings: TemplateSettings) -> tuple[list[Problem], list[Problem]]:
    measured = sms_parts(text)
    errors = []
    if measured.parts > settings.sms_max_parts:
        errors.append(
            Problem(
                "sms_text",
                "sms_too_long",
                "with the example values the SMS takes %(parts)d parts (%(units)d characters, %(encoding)s); "
                "the limit is %(limit)d",
                {
                    "parts": measured.parts,
                    "units": measured.units,
                    "encoding": measured.encoding.upper(),
                    "limit": settings.sms_max_parts,
                },
            )
        )
    emoji = _emoji_in(source)
    if not emoji:
        return errors, []
    without = sms_parts("".join(char for char in text if not is_emoji(char)))
    warning = Problem(
        "sms_text",
        "emoji",
        "emoji (%(emoji)s) make the SMS UCS-2, 70 characters per SMS and 67 per part: "
        "%(parts)d parts instead of %(without)d",
        {"emoji": " ".join(emoji[:_EMOJI_SHOWN]), "parts": measured.parts, "without": without.parts},
        _first_line_with(source, emoji[0]),
    )
    return errors, [warning]


def is_emoji(char: str) -> bool:
    """Pictographs and the characters that build them: what most handsets show as emoji."""
    code = ord(char)
    return (
        code >= 0x1F000  # pictographs, emoticons, transport, flags' regional indicators
        or 0x2600 <= code <= 0x27BF  # miscellaneous symbols and dingbats (☀ ✅ ❤)
        or 0x2B00 <= code <= 0x2BFF  # stars and arrows used as emoji (⭐ ⬆)
        or code in (0x200D, 0xFE0F, 0x20E3)  # joiner, emoji presentation, keycap
    )


def _emoji_in(source: str) -> list[str]:
    return list(dict.fromkeys(char for char in source if is_emoji(char) and char not in "\u200d\ufe0f\u20e3"))


def _first_line_with(source: str, char: str) -> int:
    return source[: source.index(char)].count("\n") + 1


def _unsubscribe_problems(bodies: Bodies, rendered: dict[str, str], url: str) -> list[Problem]:
    present = bodies.present()
    return [
        Problem(
            body,
            "unsubscribe_missing",
            "a marketing e-mail must show {{ unsubscribe_url }} (one-click unsubscribe: RFC 8058, 38-FZ)",
        )
        for body in _UNSUBSCRIBE_BODIES
        if body in present and body in rendered and url not in rendered[body]
    ]
