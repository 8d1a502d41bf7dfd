"""What a campaign sends, to whom, when and how its effect is measured: the document a marketer edits.

Checked by pydantic on every save, so a stored draft is always well-formed; what can only be checked against
the database (the templates exist and are marketing, the game exists, the schedule is still ahead) is checked
by the service at approval. ``problems`` turns pydantic's findings into one line per fault with its place.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lottocrm.errors import ServiceError

Channel = Literal["sms", "email", "push", "call"]


class CampaignInputError(ServiceError):
    code, http_status = "campaign_input_invalid", 422


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Variant(_Strict):
    """One content of an A/B test: a published marketing template and its share of the treated players."""

    name: str = Field(min_length=1, max_length=40)
    template_id: int = Field(ge=1, le=2**63 - 1)
    weight: int = Field(default=1, ge=1, le=100)


class Response(_Strict):
    """What counts as a response, for treated and control players alike: within ``window_days`` after the
    player was chosen, a purchase (of any game, or of ``game_id``), or a loyalty enrolment."""

    kind: Literal["purchase", "loyalty_enrolment"] = "purchase"
    game_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    window_days: int = Field(default=14, ge=1, le=180)

    @model_validator(mode="after")
    def _game_only_for_purchases(self) -> Response:
        if self.kind != "purchase" and self.game_id is not None:
            raise ValueError("a game narrows a purchase response only")
        return self


class Schedule(_Strict):
    """When runs start: ``once`` at ``at``; ``cron`` by a cron line in the operator's zone until ``until``;
    ``draw``: each draw of ``game_id``, ``hours_before`` hours before it is drawn; ``jackpot``: once per
    draw, as soon as the jackpot of ``game_id``'s next draw exceeds ``jackpot_above_kopecks``."""

    kind: Literal["once", "cron", "draw", "jackpot"] = "once"
    at: dt.datetime | None = None
    cron: str | None = Field(default=None, max_length=100)
    game_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    hours_before: float | None = Field(default=None, ge=0, le=24 * 14)
    jackpot_above_kopecks: int | None = Field(default=None, gt=0, le=10**14)
    until: dt.datetime | None = None

    @field_validator("at", "until")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("a moment needs its time zone (e.g. 2027-01-01T10:00:00+03:00)")
        return value

    @model_validator(mode="after")
    def _complete(self) -> Schedule:
        needed = {
            "once": ("at",),
            "cron": ("cron",),
            "draw": ("game_id", "hours_before"),
            "jackpot": ("game_id", "jackpot_above_kopecks"),
        }[self.kind]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} schedule needs {', '.join(missing)}")
        if self.kind == "cron" and not croniter.is_valid(self.cron):
            raise ValueError(f"{self.cron!r} is not a cron line (minute hour day month weekday)")
        return self


class Offer(_Strict):
    """What a treated player is given besides the message, and what it may cost.

    ``bonus_points``: credited through the loyalty ledger to the treated players who respond within the
    response window (the control is measured by the same rule, and gets nothing). ``promo_code``: a unique
    code per treated player, made at launch and shown by the ``promo_code`` template variable.
    ``next_game``: the message suggests the player's next game (the ``next_game`` variable).
    ``value_kopecks``: the most one treated player's offer can cost the operator; the worst case of a run is
    treated × value. ``budget_kopecks``: what the offer may cost per run; a worst case above it is refused
    at approval unless ``cap_to_budget``, which keeps only as many players (both arms alike, in the
    campaign's random order) as the budget can pay for."""

    bonus_points: int | None = Field(default=None, ge=1, le=10**7)
    promo_code: bool = False
    next_game: bool = False
    value_kopecks: int = Field(default=0, ge=0, le=10**9)
    budget_kopecks: int | None = Field(default=None, ge=1, le=10**13)
    cap_to_budget: bool = False

    @model_validator(mode="after")
    def _something_offered(self) -> Offer:
        if self.bonus_points is None and not self.promo_code and not self.next_game:
            raise ValueError("an offer gives bonus points, a promo code or a next-game suggestion")
        if self.budget_kopecks is not None and self.value_kopecks == 0:
            raise ValueError("a budget needs the value of one player's offer")
        if self.cap_to_budget and self.budget_kopecks is None:
            raise ValueError("capping to the budget needs a budget")
        return self


class CampaignDefinition(_Strict):
    channels: tuple[Channel, ...] = Field(min_length=1, max_length=4)
    variants: tuple[Variant, ...] = Field(min_length=1, max_length=5)
    # The share of the audience kept as this campaign's control (never sent, measured alike).
    control_share: float = Field(default=0.10, ge=0.01, le=0.5)
    response: Response = Response()
    schedule: Schedule
    # Arbitration: the expected absolute lift of the response rate and what one response is worth; without
    # them the priority decides (higher first).
    priority: int = Field(default=50, ge=1, le=100)
    expected_uplift: float | None = Field(default=None, gt=0, le=1)
    value_per_response_kopecks: int | None = Field(default=None, ge=0, le=10**10)
    cost_per_message_kopecks: int = Field(default=0, ge=0, le=10**6)
    offer: Offer | None = None
    description: str = Field(default="", max_length=2000)

    @field_validator("channels")
    @classmethod
    def _distinct_channels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a channel is listed twice")
        return value

    @field_validator("variants")
    @classmethod
    def _distinct_variants(cls, value: tuple[Variant, ...]) -> tuple[Variant, ...]:
        if len({variant.name for variant in value}) != len(value):
            raise ValueError("two variants share a name")
        return value

    def expected_value(self) -> float | None:
        """Expected incremental value of sending to one player, kopecks: uplift × value − cost."""
        if self.expected_uplift is None or self.value_per_response_kopecks is None:
            return None
        return self.expected_uplift * self.value_per_response_kopecks - self.cost_per_message_kopecks


def parse_definition(document: Any) -> CampaignDefinition:
    try:
        return CampaignDefinition.model_validate(document)
    except ValidationError as error:
        found = problems(error)
        raise CampaignInputError("the campaign is not valid: %(problems)s", problems=found) from None


def problems(error: ValidationError) -> str:
    def place(item: Any) -> str:
        return ".".join(str(part) for part in item["loc"]) or "campaign"

    return "; ".join(f"{place(item)}: {item['msg']}" for item in error.errors())
