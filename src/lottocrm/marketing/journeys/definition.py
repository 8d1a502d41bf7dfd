"""A journey's document: its entry, its steps, its control and its rules, as the marketer edits it.

Checked in two passes. Pydantic checks each part's shape on every save (a step with a wait of both a
duration and a local time, a split whose shares do not add up); :mod:`lottocrm.marketing.journeys.graph`
checks the whole (steps that cannot be reached, paths without an exit, loops without a wait). What needs
the database (templates exist and fit the journey's message class) is checked when a version goes live.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lottocrm.marketing.journeys.triggers import TRIGGERS
from lottocrm.marketing.segments.conditions import SegmentError, parse

StepId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]
Channel = Literal["sms", "email", "push", "call"]
# Everything a journey waits for, and every instance it keeps, must still be there when the wait ends: an
# instance's events older than this are no longer kept (player_events, contact history counts).
RETENTION_MINUTES = 180 * 24 * 60
MAX_STEPS = 60
LOCAL_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _segment_condition(document: dict[str, Any]) -> dict[str, Any]:
    try:
        parse(document)
    except SegmentError as error:
        # The segment checker names the place inside the condition; pydantic adds the step's place.
        raise ValueError(error.message) from None
    return document


class Entry(_Strict):
    """What starts an instance: a trigger, a condition the player must meet at that moment (a segment
    condition; none: everyone), and what one instance is kept per."""

    trigger: str
    condition: dict[str, Any] | None = None
    key: Literal["player", "ticket", "draw"] = "player"
    segment_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    # big_win: the smallest prize that counts, kopecks.
    min_prize_kopecks: int | None = Field(default=None, ge=1, le=10**13)

    @field_validator("trigger")
    @classmethod
    def _known_trigger(cls, value: str) -> str:
        if value not in TRIGGERS:
            raise ValueError(f"no trigger {value!r}; the triggers are {', '.join(TRIGGERS)}")
        return value

    @field_validator("condition")
    @classmethod
    def _condition(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else _segment_condition(value)

    @model_validator(mode="after")
    def _fits_trigger(self) -> Entry:
        trigger = TRIGGERS[self.trigger]
        if self.key not in trigger.keys:
            raise ValueError(f"a {self.trigger} journey keeps one instance per {' or '.join(trigger.keys)}")
        if (self.trigger == "segment_entered") != (self.segment_id is not None):
            raise ValueError("a segment_id goes with the segment_entered trigger, and only with it")
        if (self.trigger == "big_win") != (self.min_prize_kopecks is not None):
            raise ValueError("min_prize_kopecks goes with the big_win trigger, and only with it")
        return self


class ReEntry(_Strict):
    """Whether a player who finished (or left) may start again: never, or after a cooldown."""

    mode: Literal["never", "after_cooldown"] = "never"
    cooldown_days: int | None = Field(default=None, ge=1, le=3650)

    @model_validator(mode="after")
    def _cooldown(self) -> ReEntry:
        if (self.mode == "after_cooldown") != (self.cooldown_days is not None):
            raise ValueError("cooldown_days goes with after_cooldown, and only with it")
        return self


class Wait(_Strict):
    """Wait a duration, until a local time of the player's zone, or for a trigger (with a timeout)."""

    kind: Literal["wait"]
    minutes: int | None = Field(default=None, ge=1)
    until_local_time: str | None = None
    for_trigger: str | None = None
    timeout_minutes: int | None = Field(default=None, ge=1)
    next: StepId
    # Where an instance goes when the awaited trigger did not happen within the timeout.
    on_timeout: StepId | None = None

    @field_validator("until_local_time")
    @classmethod
    def _clock(cls, value: str | None) -> str | None:
        if value is not None and not LOCAL_TIME.match(value):
            raise ValueError(f"{value!r} is not a time of day like 10:00")
        return value

    @model_validator(mode="after")
    def _one_way_of_waiting(self) -> Wait:
        ways = [self.minutes is not None, self.until_local_time is not None, self.for_trigger is not None]
        if sum(ways) != 1:
            raise ValueError("a wait is for minutes, until_local_time or for_trigger — exactly one")
        if self.for_trigger is not None:
            trigger = TRIGGERS.get(self.for_trigger)
            if trigger is None or not trigger.waitable:
                waitable = ", ".join(name for name, t in TRIGGERS.items() if t.waitable)
                raise ValueError(f"cannot wait for {self.for_trigger!r}; a wait is for one of {waitable}")
            if self.timeout_minutes is None or self.on_timeout is None:
                raise ValueError("a wait for a trigger needs timeout_minutes and on_timeout")
        elif self.timeout_minutes is not None or self.on_timeout is not None:
            raise ValueError("timeout_minutes and on_timeout go with for_trigger only")
        longest = self.minutes or self.timeout_minutes or 0
        if longest > RETENTION_MINUTES:
            raise ValueError(
                f"a wait of {longest} minutes is longer than the {RETENTION_MINUTES // 1440} days "
                "a journey's data is kept"
            )
        return self

    def targets(self) -> tuple[str, ...]:
        return (self.next,) if self.on_timeout is None else (self.next, self.on_timeout)


class Branch(_Strict):
    """Go to ``yes`` when the player meets the segment condition now, else to ``no``."""

    kind: Literal["branch"]
    condition: dict[str, Any]
    yes: StepId
    no: StepId

    @field_validator("condition")
    @classmethod
    def _condition(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _segment_condition(value)

    def targets(self) -> tuple[str, ...]:
        return (self.yes, self.no)


class Arm(_Strict):
    name: str = Field(min_length=1, max_length=40)
    percent: int = Field(ge=1, le=99)
    next: StepId


class Split(_Strict):
    """Send players down arms at random, by a hash of (player, journey, step): the same player always takes
    the same arm, even on re-entry. The journey's control is taken before any step, not here."""

    kind: Literal["split"]
    arms: tuple[Arm, ...] = Field(min_length=2, max_length=5)

    @model_validator(mode="after")
    def _shares(self) -> Split:
        if sum(arm.percent for arm in self.arms) != 100:
            raise ValueError("the arms' percents add up to 100")
        if len({arm.name for arm in self.arms}) != len(self.arms):
            raise ValueError("two arms share a name")
        return self

    def targets(self) -> tuple[str, ...]:
        return tuple(arm.next for arm in self.arms)


class Send(_Strict):
    """A message through messaging, so through the contact policy: the first channel the player can be
    reached on, in this order."""

    kind: Literal["send"]
    template_id: int = Field(ge=1, le=2**63 - 1)
    channels: tuple[Channel, ...] = Field(min_length=1, max_length=4)
    next: StepId

    @field_validator("channels")
    @classmethod
    def _distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a channel is listed twice")
        return value

    def targets(self) -> tuple[str, ...]:
        return (self.next,)


class GiveOffer(_Strict):
    """Bonus points through the loyalty ledger, or a promo code (shown by the next message)."""

    kind: Literal["offer"]
    bonus_points: int | None = Field(default=None, ge=1, le=10**7)
    promo_code: bool = False
    value_kopecks: int = Field(default=0, ge=0, le=10**9)
    next: StepId

    @model_validator(mode="after")
    def _something(self) -> GiveOffer:
        if (self.bonus_points is None) == (not self.promo_code):
            raise ValueError("an offer step gives bonus_points or a promo_code — one of them")
        return self

    def targets(self) -> tuple[str, ...]:
        return (self.next,)


class CallTask(_Strict):
    """A task on the contact centre's call list (it passes the contact policy when it is dialled)."""

    kind: Literal["call_task"]
    note: str = Field(min_length=1, max_length=500)
    next: StepId

    def targets(self) -> tuple[str, ...]:
        return (self.next,)


class SetAttribute(_Strict):
    """Record something about the player for later conditions (``journey.attribute`` in segments)."""

    kind: Literal["set_attribute"]
    attribute: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    value: str = Field(max_length=200)
    next: StepId

    def targets(self) -> tuple[str, ...]:
        return (self.next,)


class Exit(_Strict):
    kind: Literal["exit"]

    def targets(self) -> tuple[str, ...]:
        return ()


Step = Annotated[
    Wait | Branch | Split | Send | GiveOffer | CallTask | SetAttribute | Exit, Field(discriminator="kind")
]

# Each step class's tag ("wait", "send", …), read from the union itself.
STEP_KINDS = frozenset(
    get_args(member.model_fields["kind"].annotation)[0] for member in get_args(get_args(Step)[0])
)


class JourneyDefinition(_Strict):
    entry: Entry
    start: StepId
    steps: dict[StepId, Step] = Field(min_length=1, max_length=MAX_STEPS)
    # Marketing journeys keep a control (never sent, measured like a campaign's); service journeys (a win
    # notice) keep none: a service message is not withheld to measure it.
    message_class: Literal["marketing", "service"] = "marketing"
    control_share: float = Field(default=0.10, ge=0.0, le=0.5)
    re_entry: ReEntry = ReEntry()
    # The goal: an instance whose player does this ends there (counted as reached), wherever it is. Both
    # arms are measured by it within ``goal_window_days`` of entering; a control instance ends after that.
    goal: str | None = None
    goal_window_days: int = Field(default=30, ge=1, le=RETENTION_MINUTES // 1440)
    description: str = Field(default="", max_length=2000)

    @field_validator("goal")
    @classmethod
    def _goal(cls, value: str | None) -> str | None:
        if value is not None and (value not in TRIGGERS or not TRIGGERS[value].waitable):
            raise ValueError(f"{value!r} cannot be a goal; a goal is one of the triggers a wait can wait for")
        return value

    @model_validator(mode="after")
    def _control_fits_class(self) -> JourneyDefinition:
        if self.message_class == "service" and self.control_share != 0:
            raise ValueError("a service journey keeps no control group (control_share 0)")
        if self.message_class == "marketing" and self.control_share < 0.01:
            raise ValueError("a marketing journey keeps a control group of at least 1 %")
        return self
