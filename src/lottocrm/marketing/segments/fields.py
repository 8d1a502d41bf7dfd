"""The fields a segment may test: their kind, where their value lives and their name for people.

Plain data, so the condition checker, the form and the API's schema read it without touching a database.
``source`` names the table the value comes from (``sources.py`` knows how to join it: the latest as-of
date of a score, the player's loyalty account, the contact policy's row); ``column`` is that table's column.
Labels are English message ids, translated where they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from lottocrm import vocab

LIFECYCLE = (
    "registered_no_purchase",
    "new",
    "active",
    "vip",
    "at_risk",
    "sleeping",
    "churned",
    "deep_churn",
)
RISK_BANDS = ("low", "medium", "high")


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    choices: tuple[str, ...] | None = None
    # For a whole-number parameter (a game id): the largest accepted.
    maximum: int = 2**31 - 1
    # "int", "date" (YYYY-MM-DD) or, with ``choices``, one of them.
    kind: str = "int"
    # May be left out: which combinations a field accepts is its ``param_rule`` (conditions.py checks it).
    optional: bool = False


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # integer | number | money | choice | bool | date
    source: str
    column: str
    label: str
    group: str
    choices: tuple[str, ...] | None = None
    # The type of a choice field's values when they are not a fixed list (game ids are whole numbers).
    value_type: type = str
    params: tuple[Param, ...] = ()
    # The values a whole-number field accepts, where the field has natural ones (an age).
    bounds: tuple[int, int] | None = None
    # A date field whose column holds a moment (UTC): it is compared on the operator's calendar day.
    moment: bool = False
    # How optional parameters combine: "window" (the last ``days`` or ``from``–``to``, optionally one game),
    # "draw" (a game's draw by ``number`` or by the day it was held ``on``).
    param_rule: str | None = None


GAME = Param("game", "the game's id")
CAMPAIGN = Param("campaign", "the campaign's id", maximum=2**62)
CHANNEL = Param("channel", "a channel", choices=vocab.CONSENT_CHANNELS)
# A behaviour window: the last N operator days (today included), or two dates, both included.
MAX_WINDOW_DAYS = 3_650
WINDOW = (
    Param("days", "the last so many days", maximum=MAX_WINDOW_DAYS, optional=True),
    Param("from", "the window's first day", kind="date", optional=True),
    Param("to", "the window's last day", kind="date", optional=True),
    Param("game", "the game's id", optional=True),
)
DRAW = (
    GAME,
    Param("number", "the draw's number", optional=True),
    Param("on", "the day the draw was held", kind="date", optional=True),
)


def _behaviour(name: str, kind: str, column: str, label: str, **more: object) -> FieldSpec:
    return _f(name, kind, "behaviour", column, label, params=WINDOW, param_rule="window", **more)


def _f(name: str, kind: str, source: str, column: str, label: str, **more: object) -> FieldSpec:
    return FieldSpec(name, kind, source, column, label, group=name.split(".")[0], **more)  # type: ignore[arg-type]


_ALL = (
    # The player's profile.
    _f("profile.age", "integer", "player", "birth_date", "Age, years", bounds=(0, 150)),
    _f("profile.birth_date", "date", "player", "birth_date", "Birth date"),
    _f("profile.gender", "choice", "player", "gender", "Gender", choices=vocab.GENDERS),
    _f("profile.region", "choice", "player", "region", "Region code"),
    _f("profile.registered", "date", "player", "registered_at", "Registration date", moment=True),
    _f(
        "profile.registration_channel",
        "choice",
        "player",
        "registration_channel",
        "Registration channel",
        choices=vocab.REGISTRATION_CHANNELS,
    ),
    _f("profile.age_verified", "bool", "player", "age_verified", "Age verified"),
    # The analytical record (the latest as-of date written back).
    _f("record.segment", "choice", "record", "segment", "Lifecycle segment", choices=LIFECYCLE),
    _f("record.r_level", "integer", "record", "r_level", "RFM recency level"),
    _f("record.f_level", "integer", "record", "f_level", "RFM frequency level"),
    _f("record.m_level", "integer", "record", "m_level", "RFM monetary level"),
    _f(
        "record.days_since_registration",
        "integer",
        "record",
        "days_since_registration",
        "Days since registration",
    ),
    _f("record.first_purchase", "date", "record", "first_purchase_on", "First purchase date"),
    _f("record.second_purchase", "date", "record", "second_purchase_on", "Second purchase date"),
    _f("record.last_purchase", "date", "record", "last_purchase_on", "Last purchase date"),
    _f("record.recency_days", "integer", "record", "recency_days", "Days since last purchase"),
    _f("record.tenure_days", "integer", "record", "tenure_days", "Days between first and last purchase"),
    _f("record.purchase_days", "integer", "record", "frequency", "Days with a purchase"),
    _f("record.tickets", "integer", "record", "tickets", "Tickets bought"),
    _f("record.spend", "money", "record", "monetary_kopecks", "Spend, all time"),
    _f("record.average_check", "money", "record", "average_check_kopecks", "Average check"),
    _f("record.spend_30d", "money", "record", "spend_30d_kopecks", "Spend, last 30 days"),
    _f("record.spend_90d", "money", "record", "spend_90d_kopecks", "Spend, last 90 days"),
    _f("record.spend_trend_30d", "number", "record", "spend_trend_30d", "Spend trend, 30 days"),
    _f("record.spend_trend_90d", "number", "record", "spend_trend_90d", "Spend trend, 90 days"),
    _f("record.interval_mean_days", "number", "record", "interval_mean_days", "Mean days between purchases"),
    _f("record.favourite_game", "choice", "record", "favourite_game_id", "Favourite game", value_type=int),
    _f("record.favourite_game_share", "number", "record", "favourite_game_share", "Favourite game's share"),
    _f("record.draw_share", "number", "record", "draw_share", "Share of draw games"),
    _f(
        "record.main_channel",
        "choice",
        "record",
        "main_channel",
        "Main sales channel",
        choices=vocab.SALES_CHANNELS,
    ),
    _f("record.wins", "integer", "record", "wins_count", "Wins"),
    _f("record.wins_amount", "money", "record", "wins_kopecks", "Amount won"),
    _f("record.last_win", "date", "record", "last_win_on", "Last win date"),
    _f("record.biggest_win", "money", "record", "biggest_win_kopecks", "Biggest win"),
    # Scores.
    _f("clv.value", "money", "clv", "clv_kopecks", "Lifetime value"),
    _f("clv.p_alive", "number", "clv", "probability_alive", "Probability still playing"),
    _f("clv.expected_purchases", "number", "clv", "expected_purchases", "Expected purchases"),
    _f("clv.expected_spend", "money", "clv", "expected_spend_kopecks", "Expected spend"),
    _f("churn.probability", "number", "churn", "probability", "Churn probability"),
    _f("churn.band", "choice", "churn", "risk_band", "Churn risk", choices=RISK_BANDS),
    _f(
        "propensity.probability",
        "number",
        "propensity",
        "probability",
        "Propensity to play the game",
        params=(GAME,),
    ),
    _f(
        "propensity.rank",
        "integer",
        "propensity",
        "rank",
        "The game's rank among the player's",
        params=(GAME,),
    ),
    _f(
        "propensity.played_before",
        "bool",
        "propensity",
        "played_before",
        "Played the game before",
        params=(GAME,),
    ),
    _f("next_game.game", "choice", "next_game", "game_id", "Next game to offer", value_type=int),
    _f("next_game.score", "number", "next_game", "score", "Next game's score"),
    _f("cluster.number", "choice", "cluster", "cluster", "Micro-segment", value_type=int),
    # Loyalty.
    _f("loyalty.member", "bool", "loyalty", "member", "Loyalty member"),
    _f("loyalty.tier", "choice", "loyalty", "tier", "Loyalty tier"),
    _f("loyalty.balance", "integer", "loyalty", "balance", "Points balance"),
    _f("loyalty.has_card", "bool", "loyalty", "has_card", "Has an active loyalty card"),
    # The contact policy's view: may marketing reach the player on a channel now.
    _f("contact.reachable", "bool", "contact", "reachable", "Reachable for marketing", params=(CHANNEL,)),
    _f("contact.consent", "bool", "contact", "consent", "Advertising consent", params=(CHANNEL,)),
    # Behaviour in a window, read from the fact lake (staged for an audience, read directly for one player).
    _behaviour("behaviour.tickets", "integer", "tickets", "Tickets bought in the window"),
    _behaviour("behaviour.spend", "money", "spend_kopecks", "Spend in the window"),
    _behaviour("behaviour.days_played", "integer", "days", "Days played in the window"),
    _behaviour("behaviour.wins", "integer", "wins", "Wins in the window"),
    _behaviour("behaviour.wins_amount", "money", "wins_kopecks", "Amount won in the window"),
    _behaviour("behaviour.last_purchase", "date", "last_sold_at", "Last purchase in the window", moment=True),
    _f(
        "behaviour.played_draw",
        "bool",
        "behaviour",
        "played",
        "Played the draw",
        params=DRAW,
        param_rule="draw",
    ),
    # Campaign history: chosen by a campaign, in either arm.
    _f("campaigns.received", "bool", "campaigns", "treatment", "Received the campaign", params=(CAMPAIGN,)),
    _f(
        "campaigns.held_back",
        "bool",
        "campaigns",
        "control",
        "Held back as the campaign's control",
        params=(CAMPAIGN,),
    ),
    _f(
        "campaigns.responded",
        "bool",
        "responses",
        "responded",
        "Responded to the campaign",
        params=(CAMPAIGN,),
    ),
)

FIELDS: dict[str, FieldSpec] = {spec.name: spec for spec in _ALL}
GROUPS = (
    "profile",
    "record",
    "clv",
    "churn",
    "propensity",
    "next_game",
    "cluster",
    "loyalty",
    "contact",
    "behaviour",
    "campaigns",
)
