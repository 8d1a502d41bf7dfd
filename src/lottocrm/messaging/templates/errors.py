"""What can be wrong with a template, said so its author can find it: which channel body, which line, what.

A :class:`Problem` is one finding (a syntax error, an unknown variable, a sandbox escape attempt, an SMS over
the parts limit…). Saving a version raises :class:`TemplateInvalid` with every problem found, so the editor
shows them all at once; rendering one message raises :class:`RenderFailed` with the one that stopped it.
Warnings (emoji in an SMS) are problems too, returned beside the saved version instead of raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from lottocrm.errors import Conflict, NotFound, Param, ServiceError, fill

ProblemCode = Literal[
    "syntax",
    "undefined",
    "sandbox",
    "limit",
    "render",
    "sms_too_long",
    "emoji",
    "unsubscribe_missing",
    "body_missing",
]


@dataclass(frozen=True)
class Problem:
    """One finding in one channel body (``body`` is the field: ``sms_text``, ``email_html``…).

    ``template`` is an English sentence with ``%(name)s`` placeholders and ``params`` its values, as
    :class:`lottocrm.errors.ServiceError` keeps them, so a page can translate the sentence.
    """

    body: str
    code: ProblemCode
    template: str
    params: dict[str, Param] = field(default_factory=dict)
    line: int | None = None

    @property
    def message(self) -> str:
        return fill(self.template, self.params)

    def __str__(self) -> str:
        where = self.body if self.line is None else f"{self.body}, line {self.line}"
        return f"{where}: {self.message}"


class TemplateError(ServiceError):
    code = "template_invalid"
    http_status = 422


class TemplateInvalid(TemplateError):
    """A version that cannot be saved or published as it is; ``problems`` lists every finding."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("%(problems)s", problems="; ".join(str(problem) for problem in problems))
        self.problems = problems


class RenderFailed(TemplateError):
    """One message could not be rendered (a variable the caller did not give, a limit, a sandbox refusal)."""

    code = "template_render_failed"

    def __init__(self, problem: Problem) -> None:
        super().__init__("%(problem)s", problem=str(problem))
        self.problem = problem


class UnknownVariables(TemplateError):
    """The caller offered variables outside the documented set (a typo in the caller, or a new field that
    must first be documented in :mod:`.variables`)."""

    code = "template_unknown_variables"

    def __init__(self, names: list[str]) -> None:
        super().__init__(
            "unknown template variables: %(names)s (see available_variables())", names=", ".join(names)
        )
        self.names = names


class VariableValueInvalid(TemplateError):
    """A variable given with a value of the wrong kind (text where points are expected would render, but
    wrongly)."""

    code = "template_variable_invalid"


class TemplateNotFound(TemplateError, NotFound):
    code = "template_not_found"


class VersionNotFound(TemplateError, NotFound):
    code = "template_version_not_found"


class VersionFrozen(TemplateError, Conflict):
    """A published or archived version is evidence of what was sent: it is never edited."""

    code = "template_version_frozen"


class VersionNotPublished(TemplateError, Conflict):
    """Messages are rendered only from a version that was published."""

    code = "template_version_not_published"


class MessageClassFixed(TemplateError, Conflict):
    """A template's class (legal, service, marketing) decides which consent it needs; it never changes."""

    code = "template_class_fixed"


class TemplateCodeTaken(TemplateError, Conflict):
    code = "template_code_taken"
