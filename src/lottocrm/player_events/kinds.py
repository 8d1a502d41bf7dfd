"""The event types the website and app may send, and what each carries in ``properties``.

One class per type: the API validates against it, the documentation lists it, and the journeys (issue #15)
read the same names. ``anonymous`` says whether an event may stand without a player the store knows: a
page seen before signing in, or a registration sent before the account reached the store, is kept under
its device and the account id as claimed; money and tickets are refused instead (kept as dead letters, to
be sent again once the player exists), so that a deposit is never counted for nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
# Up to a billion roubles: anything larger is a unit mistake (roubles sent as kopecks twice over).
Kopecks = Annotated[int, Field(gt=0, le=10**11)]


class Properties(BaseModel):
    # A misspelt property is refused, not dropped: a silently ignored field is a bug found months later.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Registration(Properties):
    method: Literal["phone", "email", "gosuslugi", "social"] | None = None


class SignIn(Properties):
    method: Literal["password", "code", "biometric", "social"] | None = None


class PageView(Properties):
    url: Url
    title: Annotated[str, StringConstraints(max_length=500)] | None = None
    referrer: Url | None = None


class GameView(Properties):
    game: Code
    url: Url | None = None


class Deposit(Properties):
    amount_kopecks: Kopecks
    method: Literal["card", "sbp", "wallet", "other"] | None = None


class TicketPurchase(Properties):
    game: Code
    ticket_id: Code
    amount_kopecks: Kopecks
    draw_number: Annotated[int, Field(ge=1)] | None = None


class BannerImpression(Properties):
    placement: Code
    offer: Code
    decision_id: Code | None = None


class BannerClick(BannerImpression):
    pass


@dataclass(frozen=True)
class Kind:
    name: str
    properties: type[Properties]
    anonymous: bool
    # The property naming a game, checked against the catalogue of games.
    game_property: str | None = None


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("registration", Registration, anonymous=True),
        Kind("sign_in", SignIn, anonymous=True),
        Kind("page_view", PageView, anonymous=True),
        Kind("game_view", GameView, anonymous=True, game_property="game"),
        Kind("deposit", Deposit, anonymous=False),
        Kind("ticket_purchase", TicketPurchase, anonymous=False, game_property="game"),
        Kind("banner_impression", BannerImpression, anonymous=True),
        Kind("banner_click", BannerClick, anonymous=True),
    )
}
EVENT_CHANNELS = ("website", "app")
