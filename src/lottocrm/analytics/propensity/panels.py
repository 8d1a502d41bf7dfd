"""The propensity panel of the player 360: likeliest games, and the next game to offer and why.

Found by ``lottocrm.players.panels``. Reads the player's latest stored rows (indexes on player_id, as_of);
labels are English message ids the page translates, values are typed (``lottocrm.presentation.values``).
The reason for an offer is stored as data and becomes a ``Sentence`` here, so the page renders it in the
reader's language with numbers in that locale's format, and the API gets the English sentence. The
micro-segment is shown by the analytical-record panel (``lottocrm.analytics.record_panel``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, Date, Select, String, cast, exists, func, literal, null, select, union_all
from sqlalchemy.orm import Session

from lottocrm.analytics.propensity.models import PlayerGamePropensity, PlayerNextGame, PropensityRun
from lottocrm.analytics.propensity.offers import FIRST_GAME, RULE
from lottocrm.catalog.models import Game
from lottocrm.contact_policy.errors import UnknownPlayer
from lottocrm.contact_policy.explain import sentence
from lottocrm.contact_policy.reasons import HARD_STOPS, Reason
from lottocrm.contact_policy.service import decide
from lottocrm.presentation.values import (
    Day,
    Days,
    Joined,
    Message,
    Number,
    PanelOut,
    PanelValue,
    Sentence,
    Share,
    Text,
    panel,
)


def _stored_rows(player_id: int) -> Select[Any]:
    """One query for the whole panel: the player's likeliest games and offers of their latest as-of date,
    with the run's horizon, then every game's name (a few dozen rows: the catalogue, which also names the
    games a reason mentions)."""
    latest = union_all(
        select(func.max(PlayerGamePropensity.as_of).label("as_of")).where(
            PlayerGamePropensity.player_id == player_id
        ),
        select(func.max(PlayerNextGame.as_of)).where(PlayerNextGame.player_id == player_id),
    ).subquery()
    as_of = select(func.max(latest.c.as_of)).scalar_subquery()
    likely = select(
        literal(LIKELY).label("part"),
        PlayerGamePropensity.rank,
        PlayerGamePropensity.game_id,
        PlayerGamePropensity.probability.label("value"),
        cast(null(), String).label("reason_kind"),
        cast(null(), JSON).label("reason_detail"),
        PlayerGamePropensity.as_of,
    ).where(PlayerGamePropensity.player_id == player_id, PlayerGamePropensity.as_of == as_of)
    offers = select(
        literal(OFFER),
        PlayerNextGame.rank,
        PlayerNextGame.game_id,
        PlayerNextGame.lift,
        PlayerNextGame.reason_kind,
        PlayerNextGame.reason_detail,
        PlayerNextGame.as_of,
    ).where(PlayerNextGame.player_id == player_id, PlayerNextGame.as_of == as_of)
    names = select(
        literal(NAME), null(), Game.id, null(), null(), cast(null(), JSON), cast(null(), Date)
    ).where(exists(likely.union_all(offers).subquery().select()))
    stored = union_all(likely, offers, names).subquery()
    return (
        select(stored, Game.name, PropensityRun.horizon_days)
        .outerjoin(Game, Game.id == stored.c.game_id)
        .outerjoin(PropensityRun, PropensityRun.as_of == stored.c.as_of)
        .order_by(stored.c.part, stored.c.rank)
    )


# The parts of the panel's one query, in the order they sort.
LIKELY, NAME, OFFER = "1-likely", "2-name", "3-offer"


def _peers(detail: dict) -> PanelValue:
    if detail["scope"] == "channel_region":
        region = Text(detail["region"]) if detail["region"] else Message("no region")
        return Joined((Message(detail["channel"]), region), separator=", ")
    if detail["scope"] == "channel":
        return Message(detail["channel"])
    return Message("all channels and regions")


def reason(offer: PlayerNextGame, *, name: Callable[[int], str]) -> Sentence:
    """Why ``offer`` was made, as a sentence the page renders in the reader's language."""
    detail = offer.reason_detail or {}
    game = Text(name(offer.game_id))
    if offer.reason_kind == RULE and offer.lift is not None:
        lift = Number(offer.lift, digits=1)
        if not detail.get("antecedent"):
            # Stored before reasons were data: the rule's antecedent was only in the old sentence.
            return Sentence(
                "players like this one play %(game)s %(lift)s× as often", (("game", game), ("lift", lift))
            )
        return Sentence(
            "plays %(games)s: such players play %(game)s %(lift)s× as often (confidence %(confidence)s)",
            (
                ("games", Joined(tuple(Text(name(g)) for g in detail["antecedent"]), separator=" + ")),
                ("game", game),
                ("lift", lift),
                ("confidence", Share(detail["confidence"])),
            ),
        )
    if offer.reason_kind == FIRST_GAME and detail:
        return Sentence(
            "no purchase yet: %(share)s of %(buyers)s first-time buyers of the last %(days)s days "
            "(%(peers)s) chose %(game)s first",
            (
                ("share", Share(detail["share"])),
                ("buyers", Number(detail["buyers"])),
                ("days", Number(detail["days"])),
                ("peers", _peers(detail)),
                ("game", game),
            ),
        )
    return Sentence("propensity only: no cross-sell rule fires", ())


# What stops an operator offering a game in a conversation the player started: the contact policy's stops
# that hold whatever the channel (responsible gaming, age, a closed account, no personal-data consent). A
# missing advertising consent for calls does not: the player called, nobody is being called.
OFFER_STOPS = HARD_STOPS | {"player_not_active", "no_personal_data_consent"}


def _offer_stop(session: Session, player_id: int) -> Reason | None:
    try:
        decision = decide(session, player_id=player_id, channel="call", message_class="marketing")
    except UnknownPlayer:
        return None  # offers stored for an id the store does not hold: no one to protect or to show
    return next((reason for reason in decision.reasons if reason.code in OFFER_STOPS), None)


def player_panels(session: Session, *, player_id: int) -> list[PanelOut]:
    stored = session.execute(_stored_rows(player_id)).all()
    likely = [row for row in stored if row.part == LIKELY]
    offers = [row for row in stored if row.part == OFFER]
    if not likely and not offers:
        return []
    names = {row.game_id: row.name for row in stored if row.name is not None}
    first = (likely or offers)[0]
    as_of, horizon = first.as_of, first.horizon_days

    def name(game_id: int) -> str:
        return names.get(game_id, str(game_id))

    rows: list[tuple[str, PanelValue]] = [("Propensity as of", Day(as_of))]
    stop = _offer_stop(session, player_id) if offers else None
    if likely:
        shares = Joined(
            tuple(Joined((Text(name(row.game_id)), Share(row.value)), separator=" ") for row in likely)
        )
        within = (Text(" ("), Days(horizon), Text(")")) if horizon else ()
        rows.append(("Most likely games", Joined((shares, *within), separator="")))
    if offers and stop is not None:
        rows.append(("Next game to offer", Sentence("none: %(why)s", (("why", sentence(stop)),))))
    elif offers:
        best = PlayerNextGame(
            game_id=offers[0].game_id,
            lift=offers[0].value,
            reason_kind=offers[0].reason_kind,
            reason_detail=offers[0].reason_detail,
        )
        rows.append(("Next game to offer", Text(name(best.game_id))))
        rows.append(("Why this game", reason(best, name=name)))
        if len(offers) > 1:
            rows.append(("Also worth offering", Joined(tuple(Text(name(row.game_id)) for row in offers[1:]))))
    return [panel("propensity", "Games and offers", rows)]
