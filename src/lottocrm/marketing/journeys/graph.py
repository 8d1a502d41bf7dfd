"""Whole-journey checks, after each step's own: every step it names exists, every step can be reached from
the start, every reachable step leads to an exit, and no loop runs without a wait (an instance would spin
through it at once, sending on every turn). Each finding names its step, in the order a reader would fix
them; ``check`` raises them all at once.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from lottocrm.errors import ServiceError
from lottocrm.marketing.journeys.definition import STEP_KINDS, JourneyDefinition, Wait


class JourneyInputError(ServiceError):
    code, http_status = "journey_invalid", 422


def parse_journey(document: Any) -> JourneyDefinition:
    """The checked journey, or :class:`JourneyInputError` listing every fault with its place."""
    try:
        journey = JourneyDefinition.model_validate(document)
    except ValidationError as error:
        raise JourneyInputError("the journey is not valid: %(problems)s", problems=_problems(error)) from None
    found = faults(journey)
    if found:
        raise JourneyInputError("the journey is not valid: %(problems)s", problems="; ".join(found))
    return journey


def _problems(error: ValidationError) -> str:
    def place(item: Any) -> str:
        # pydantic names a tagged union's member ("steps.a.wait.minutes"); the tag is noise to a reader.
        parts = [str(part) for part in item["loc"]]
        if len(parts) > 2 and parts[0] == "steps" and parts[2] in STEP_KINDS:
            del parts[2]
        return ".".join(parts) or "journey"

    return "; ".join(f"{place(item)}: {item['msg'].removeprefix('Value error, ')}" for item in error.errors())


def faults(journey: JourneyDefinition) -> list[str]:
    steps = journey.steps
    found = []
    if journey.start not in steps:
        return [f"start: no step {journey.start!r}"]
    for name, step in steps.items():
        for target in step.targets():
            if target not in steps:
                found.append(f"steps.{name}: goes to {target!r}, which is not a step")
    if found:
        return found
    reachable = _reach(journey.start, steps)
    unreachable = [name for name in steps if name not in reachable]
    if unreachable:
        found.append(f"steps {', '.join(unreachable)}: cannot be reached from the start ({journey.start})")
    exits = {name for name, step in steps.items() if step.kind == "exit"}
    if not exits & reachable:
        found.append("the journey has no reachable exit step")
    else:
        stuck = [name for name in steps if name in reachable and not (_reach(name, steps) & exits)]
        if stuck:
            found.append(f"steps {', '.join(stuck)}: no path from them reaches an exit")
    for loop in _loops_without_wait(steps):
        found.append(f"steps {' → '.join([*loop, loop[0]])}: a loop without a wait")
    return found


def _reach(start: str, steps: dict[str, Any]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for target in steps[todo.pop()].targets():
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _loops_without_wait(steps: dict[str, Any]) -> list[list[str]]:
    """Cycles of the graph with the waits taken out: each strongly connected part with a cycle, once."""
    instant = {
        name: [t for t in step.targets() if not isinstance(steps[t], Wait)]
        for name, step in steps.items()
        if not isinstance(step, Wait)
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; a journey has at most 60 steps, so recursion is fine
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in instant[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            part = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                part.append(member)
                if member == node:
                    break
            if len(part) > 1 or node in instant[node]:
                loops.append(sorted(part, key=index.__getitem__))

    for node in instant:
        if node not in index:
            visit(node)
    return loops
