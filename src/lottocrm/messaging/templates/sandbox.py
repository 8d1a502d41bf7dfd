"""The sandbox templates run in: Jinja2's immutable sandbox, narrowed to what a message needs, with a
bounded amount of work per render.

What a template can reach:

- the variables the caller gives (:mod:`.variables`: plain text, numbers and dates), our filters
  (:mod:`.filters`), Jinja's tests, ``range`` (Jinja's safe one) and its own macros;
- no attributes or methods, except those of the ``loop`` variable: ``{{ name.upper() }}``,
  ``{{ ''.__class__ }}`` and ``'{}'.format(…)`` are all refused with ``SecurityError``. A message needs
  filters, not Python objects, and every method left open is a way out or a way to allocate gigabytes
  (``'x'.ljust(10**9)``);
- no other templates (there is no loader) and none of Jinja's other globals (``cycler``, ``joiner``,
  ``namespace``, ``lipsum``, ``dict``).

How the work is bounded (a render must never hold a dispatch worker):

- **Steps.** The parsed template is rewritten before it is compiled: every ``{% for %}`` iterates through
  :func:`counted` and every ``~`` concatenation goes through :func:`bounded`. Each loop iteration, each
  call (macro, ``range``, ``loop.cycle``…) is a step taken from a per-render budget kept in a context
  variable (so concurrent renders in threads or tasks never share one). A template that takes more than
  ``max_steps`` steps fails, and so does one still running after ``time_limit`` seconds: the clock is
  checked at every step, and only a step can take time (without loops or calls, the work is linear in
  the template's length, which is limited too).
- **Sizes.** Every ``~``, ``+`` and ``*`` on text checks its result against ``max_output_chars`` and the
  rendered output is counted as it is produced, so no doubling trick (``{% set a = a ~ a %}`` twenty
  times) can build a huge string. ``*`` and ``**`` on numbers are capped at ``MAX_NUMBER_BITS``; ``%`` on
  text (printf formatting, whose width can be a billion) is refused. Those operators are intercepted,
  which also stops Jinja from folding them at compile time.
- Python's own recursion limit stops a macro that calls itself; :mod:`.render` reports it as a limit.
"""

from __future__ import annotations

import contextvars
import inspect
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, nodes
from jinja2.runtime import Context, LoopContext, Macro, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError, safe_range

from lottocrm.messaging.templates.filters import FILTERS

# 4 096 bits is a 1 233-digit number: more than any message means, little enough to compute at once.
MAX_NUMBER_BITS = 4096


@dataclass(frozen=True)
class RenderLimits:
    """How much one body's render may do. The defaults fit an HTML e-mail (Gmail clips a message at
    102 KB) and leave a thousand times a typical SMS template's work."""

    max_steps: int = 10_000
    max_output_chars: int = 100_000
    time_limit: float = 0.2
    max_source_chars: int = 100_000


DEFAULT_LIMITS = RenderLimits()


class LimitExceeded(Exception):
    """A render that went over one of its :class:`RenderLimits` (an English sentence with its values)."""

    def __init__(self, template: str, **params: int | float) -> None:
        super().__init__(template % params)
        self.template = template
        self.params = params


class _Budget:
    __slots__ = ("limits", "steps_left", "deadline")

    def __init__(self, limits: RenderLimits) -> None:
        self.limits = limits
        self.steps_left = limits.max_steps
        self.deadline = time.monotonic() + limits.time_limit

    def step(self) -> None:
        self.steps_left -= 1
        if self.steps_left < 0:
            raise LimitExceeded(
                "more than %(steps)d loop iterations and calls (a loop that does not end?)",
                steps=self.limits.max_steps,
            )
        if time.monotonic() > self.deadline:
            raise LimitExceeded(
                "rendering took longer than %(ms)d ms", ms=round(self.limits.time_limit * 1000)
            )

    def check_size(self, length: int) -> None:
        if length > self.limits.max_output_chars:
            raise LimitExceeded("text longer than %(chars)d characters", chars=self.limits.max_output_chars)


_budget: contextvars.ContextVar[_Budget] = contextvars.ContextVar("template_render_budget")


def _current_budget() -> _Budget:
    # A template rendered outside :func:`render_bounded` (nothing here does that) still gets limits.
    budget = _budget.get(None)
    return budget if budget is not None else _Budget(DEFAULT_LIMITS)


def counted(iterable: Iterable[Any]) -> Iterator[Any]:
    """What every ``{% for %}`` iterates: the same items, each one a step of the render's budget."""
    budget = _current_budget()
    for item in iterable:
        budget.step()
        yield item


def bounded(text: str) -> str:
    """What every ``~`` concatenation passes through: its result, if not longer than the output limit."""
    _current_budget().check_size(len(text))
    return text


_COUNTED = f"{__name__}.counted"
_BOUNDED = f"{__name__}.bounded"


def _rewritten(tree: nodes.Template) -> nodes.Template:
    """``tree`` with each loop's iterable wrapped in :func:`counted` and each ``~`` in :func:`bounded`."""
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Call(nodes.ImportedName(_COUNTED), [loop.iter], [], None, None, lineno=loop.lineno)
    for concat in list(tree.find_all(nodes.Concat)):
        # find_all walks the original nodes, so each Concat is replaced in place under its parent.
        _replace(tree, concat, nodes.Call(nodes.ImportedName(_BOUNDED), [concat], [], None, None))
    return tree


def _replace(tree: nodes.Node, old: nodes.Node, new: nodes.Node) -> None:
    new.set_lineno(old.lineno)
    for parent in tree.find_all(nodes.Node):
        for name, value in parent.iter_fields():
            if value is old:
                setattr(parent, name, new)
                return
            if isinstance(value, list) and any(item is old for item in value):
                setattr(parent, name, [new if item is old else item for item in value])
                return
    raise AssertionError(f"{old!r} is not in the template")


def _shown(value: Any) -> Any:
    # A variable the caller gave as None (no middle name) prints as nothing, not as "None".
    return "" if value is None else value


class TemplateSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, *, html: bool) -> None:
        super().__init__(
            autoescape=html,
            undefined=StrictUndefined,
            finalize=_shown,
            # Block tags leave no blank lines or indentation behind: an SMS counts every character.
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.filters = dict(FILTERS)
        self.globals.clear()
        self.globals["range"] = safe_range

    def compile_body(self, source: str) -> Template:
        """A template from the parsed and rewritten source (raises ``TemplateSyntaxError``)."""
        return self.from_string(_rewritten(self.parse(source)))

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return isinstance(obj, LoopContext) and super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> None:
        # str.format is a method like any other here: refused, not wrapped.
        return None

    def is_safe_callable(self, obj: Any) -> bool:
        if isinstance(obj, Macro | LoopContext | Undefined) or any(
            obj is f for f in (safe_range, counted, bounded)
        ):
            # An Undefined "called" raises its own error, which names what was missing or refused.
            return True
        return inspect.ismethod(obj) and isinstance(obj.__self__, LoopContext)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        if not __self.is_safe_callable(__obj):
            raise SecurityError(f"{__obj!r} cannot be called from a template")
        _current_budget().step()
        return __context.call(__obj, *args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        budget = _current_budget()
        if operator == "%" and isinstance(left, str):
            raise SecurityError("formatting text with % is not available in templates: use the filters")
        if operator in ("*", "**") and _is_number(left) and _is_number(right):
            bits = (
                left.bit_length() * abs(right) if operator == "**" else left.bit_length() + right.bit_length()
            )
            if bits > MAX_NUMBER_BITS:
                raise LimitExceeded("a number larger than %(bits)d bits", bits=MAX_NUMBER_BITS)
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, str | list | tuple) and isinstance(times, int):
                    budget.check_size(len(sequence) * times)
        if operator == "+" and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            budget.check_size(len(left) + len(right))
        return self.binop_table[operator](left, right)


def _is_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def render_bounded(template: Template, context: dict[str, Any], limits: RenderLimits) -> str:
    """``template`` rendered with ``context`` within ``limits`` (raises what the template raised, or
    :class:`LimitExceeded`)."""
    budget = _Budget(limits)
    token = _budget.set(budget)
    try:
        pieces: list[str] = []
        length, limit = 0, limits.max_output_chars
        # What Template.render does, with the output counted as it comes (Template.generate would wrap
        # each piece in one more generator).
        try:
            for piece in template.root_render_func(template.new_context(context)):
                length += len(piece)
                if length > limit:
                    budget.check_size(length)
                pieces.append(piece)
        except Exception:
            # Jinja rewrites the traceback so its frames carry the template's line numbers, and re-raises.
            template.environment.handle_exception()
        return "".join(pieces)
    finally:
        _budget.reset(token)
