"""What can start a journey, and what an instance may be keyed by.

Each trigger is a fact about one player; ``keys`` lists what one instance may be kept per: the player (one
instance at a time), or the thing the fact is about (a ticket, a draw), so that a player with two winning
tickets of one draw is told about each. ``waitable`` triggers may also be awaited inside a journey ("wait
until the first purchase, at most 7 days").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Trigger:
    name: str
    description: str
    keys: tuple[str, ...] = ("player",)
    waitable: bool = True


TRIGGERS: dict[str, Trigger] = {
    trigger.name: trigger
    for trigger in (
        Trigger("registered", "The player registered (website, app, or an imported account)."),
        Trigger("signed_in", "The player signed in on the website or in the app."),
        Trigger("deposit", "The player topped up their account."),
        Trigger("ticket_purchase", "The player bought a ticket (any channel).", keys=("player", "ticket")),
        Trigger("game_view", "The player looked at a game's page."),
        Trigger("banner_click", "The player clicked a banner."),
        Trigger("ticket_won", "A ticket of the player won.", keys=("player", "ticket", "draw")),
        # Not waitable: "large" is the journey's own threshold (its entry's min_prize_kopecks).
        Trigger(
            "big_win", "A ticket of the player won a large prize.", keys=("player", "ticket"), waitable=False
        ),
        Trigger(
            "birthday",
            "It is the player's birthday (29 February on the 28th in other years).",
            waitable=False,
        ),
        Trigger("registration_anniversary", "A year (or more) since the player registered.", waitable=False),
        Trigger("churn_risk_entered", "A churn scoring run moved the player into high risk.", waitable=False),
        Trigger("tier_upgraded", "The player's loyalty tier went up."),
        Trigger(
            "jackpot_above", "A coming draw's jackpot passed the player's own level.", keys=("player", "draw")
        ),
        Trigger("segment_entered", "The player entered a segment (evaluated daily).", waitable=False),
    )
}
