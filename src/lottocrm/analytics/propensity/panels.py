"""The propensity panel of the player 360: likeliest games, and the next game to offer and why.

Found by ``lottocrm.players.panels``. Reads the player's latest stored rows (indexes on player_id, as_of);
labels are English message ids the page translates, values are typed (``lottocrm.presentation.values``).
The reason for an offer is stored as data and becomes a ``Sentence`` here, so the page renders it in the
reader's language with numbers in that locale's format, and the API gets the English sentence. The
micro-segment is shown by the analytical-record panel (``lottocrm.analytics.record_panel``).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm.analytics.propensity.models import PlayerGamePropensity, PlayerNextGame, PropensityRun
from lottocrm.analytics.propensity.offers import FIRST_GAME, RULE
from lottocrm.catalog.models import Game
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


def _game_names(session: Session, game_ids: set[int]) -> dict[int, str]:
    if not game_ids:
        return {}
    found = session.execute(select(Game.id, Game.name).where(Game.id.in_(game_ids)))
    return {int(game_id): name for game_id, name in found}


def _latest(session: Session, model, player_id: int):  # type: ignore[no-untyped-def]
    return session.scalar(select(func.max(model.as_of)).where(model.player_id == player_id))


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


def player_panels(session: Session, *, player_id: int) -> list[PanelOut]:
    as_of = max(
        (
            d
            for d in (
                _latest(session, PlayerGamePropensity, player_id),
                _latest(session, PlayerNextGame, player_id),
            )
            if d
        ),
        default=None,
    )
    if as_of is None:
        return []
    likely = session.scalars(
        select(PlayerGamePropensity)
        .where(PlayerGamePropensity.as_of == as_of, PlayerGamePropensity.player_id == player_id)
        .order_by(PlayerGamePropensity.rank)
    ).all()
    offers = session.scalars(
        select(PlayerNextGame)
        .where(PlayerNextGame.as_of == as_of, PlayerNextGame.player_id == player_id)
        .order_by(PlayerNextGame.rank)
    ).all()
    horizon = session.scalar(select(PropensityRun.horizon_days).where(PropensityRun.as_of == as_of))
    names = _game_names(
        session,
        {row.game_id for row in likely}
        | {row.game_id for row in offers}
        | {g for row in offers for g in (row.reason_detail or {}).get("antecedent", [])},
    )

    def name(game_id: int) -> str:
        return names.get(game_id, str(game_id))

    rows: list[tuple[str, PanelValue]] = [("Propensity as of", Day(as_of))]
    if likely:
        shares = Joined(
            tuple(Joined((Text(name(row.game_id)), Share(row.probability)), separator=" ") for row in likely)
        )
        within = (Text(" ("), Days(horizon), Text(")")) if horizon else ()
        rows.append(("Most likely games", Joined((shares, *within), separator="")))
    if offers:
        best = offers[0]
        rows.append(("Next game to offer", Text(name(best.game_id))))
        rows.append(("Why this game", reason(best, name=name)))
        if len(offers) > 1:
            rows.append(("Also worth offering", Joined(tuple(Text(name(row.game_id)) for row in offers[1:]))))
    return [panel("propensity", "Games and offers", rows)]
