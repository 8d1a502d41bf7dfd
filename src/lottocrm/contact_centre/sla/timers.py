"""A case's three SLA timers, computed from its facts and its state history on its team's calendar.

Nothing is counted as it happens: the pauses are rebuilt from the state history each time (Zammad's
``TicketBizBreak``), so a corrected history, a changed calendar or a changed policy gives the right due
times on the next computation, and no running counter can drift (design research §2.1).

- *First response* runs from the case's creation until the operator's first reply.
- *Next update* runs from the player's oldest contact not yet answered until the reply to it.
- *Resolution* runs from creation until the case is done (solved, closed or merged).

All three stop while the case is in a state that pauses the clock. A timer is breached when it was met after
its due time, or is still running past it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lottocrm.contact_centre.sla.calendar import BusinessCalendar, Pause


@dataclass(frozen=True)
class Targets:
    """Business seconds per timer; None: the policy sets no such target."""

    first_response: int | None
    update: int | None
    resolution: int | None


@dataclass(frozen=True)
class CaseFacts:
    """Moments in epoch seconds (see ``calendar.epoch``)."""

    created: int
    first_response: int | None
    awaiting_since: int | None
    answered: int | None
    solved: int | None
    pauses: tuple[Pause, ...]


@dataclass(frozen=True)
class Timer:
    due: int | None  # None while the clock is stopped by a pause that began before the due time
    met: int | None
    elapsed: int | None  # business seconds it took, once met
    breached: bool


@dataclass(frozen=True)
class SlaState:
    first_response: Timer | None
    update: Timer | None
    resolution: Timer | None

    @property
    def next_due(self) -> int | None:
        """The earliest due time of a timer still running: when the case next needs attention."""
        dues = [
            timer.due
            for timer in (self.first_response, self.update, self.resolution)
            if timer is not None and timer.met is None and timer.due is not None
        ]
        return min(dues) if dues else None


def pauses_from_history(changes: Iterable[tuple[int, str]], pausing: frozenset[str]) -> tuple[Pause, ...]:
    """The periods spent in a pausing state, from the state changes ``(moment, new state)`` in order; the
    last one open (end None) when the case is in such a state now."""
    pauses: list[Pause] = []
    began: int | None = None
    for moment, state in changes:
        if state in pausing and began is None:
            began = moment
        elif state not in pausing and began is not None:
            if moment > began:
                pauses.append((began, moment))
            began = None
    if began is not None:
        pauses.append((began, None))
    return tuple(pauses)


def _before(pauses: Sequence[Pause], moment: int) -> tuple[Pause, ...]:
    """The pauses as they stood at ``moment``: what came later did not stop the clock before it."""
    return tuple(
        (start, None if end is None or end > moment else end) for start, end in pauses if start < moment
    )


def _timer(
    calendar: BusinessCalendar,
    *,
    start: int,
    target: int,
    met: int | None,
    pauses: Sequence[Pause],
    now: int,
) -> Timer:
    if met is not None:
        elapsed = calendar.elapsed(start, met, pauses)
        return Timer(
            due=calendar.deadline(start, target, _before(pauses, met)),
            met=met,
            elapsed=elapsed,
            breached=elapsed > target,
        )
    due = calendar.deadline(start, target, pauses)
    return Timer(due=due, met=None, elapsed=None, breached=due is not None and now > due)


def evaluate(calendar: BusinessCalendar, facts: CaseFacts, targets: Targets, *, now: int) -> SlaState:
    first = update = resolution = None
    if targets.first_response is not None:
        first = _timer(
            calendar,
            start=facts.created,
            target=targets.first_response,
            met=facts.first_response,
            pauses=facts.pauses,
            now=now,
        )
    if targets.update is not None and facts.awaiting_since is not None and facts.solved is None:
        update = _timer(
            calendar,
            start=facts.awaiting_since,
            target=targets.update,
            met=facts.answered,
            pauses=facts.pauses,
            now=now,
        )
    if targets.resolution is not None:
        resolution = _timer(
            calendar,
            start=facts.created,
            target=targets.resolution,
            met=facts.solved,
            pauses=facts.pauses,
            now=now,
        )
    return SlaState(first_response=first, update=update, resolution=resolution)
