"""The propensity panel of the player 360: likeliest games, the next game to offer and why, micro-segment.

Found by ``lottocrm.players.panels``. Reads the player's latest stored rows (indexes on player_id, as_of);
labels are English message ids the page translates. The reason for an offer is stored as data and rendered
here through the message catalogue in ``locale`` (numbers in that locale's format): the page passes values
through the catalogue as whole strings, which cannot translate a sentence with numbers in it.
"""

from __future__ import annotations

from collections.abc import Callable

from babel import Locale
from babel.numbers import format_decimal, format_percent
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm.analytics.clusters.models import ClusterProfile, PlayerCluster
from lottocrm.analytics.propensity.models import PlayerGamePropensity, PlayerNextGame, PropensityRun
from lottocrm.analytics.propensity.offers import FIRST_GAME, RULE
from lottocrm.catalog.models import Game
from lottocrm.players.schemas import PanelOut
from lottocrm.web.i18n import DEFAULT_LOCALE, translations

BABEL_LOCALES = {"ru": "ru_RU", "en": "en_GB"}


def _game_names(session: Session, game_ids: set[int]) -> dict[int, str]:
    if not game_ids:
        return {}
    found = session.execute(select(Game.id, Game.name).where(Game.id.in_(game_ids)))
    return {int(game_id): name for game_id, name in found}


def _latest(session: Session, model, player_id: int):  # type: ignore[no-untyped-def]
    return session.scalar(select(func.max(model.as_of)).where(model.player_id == player_id))


def reason_text(offer: PlayerNextGame, *, name: Callable[[int], str], locale: str = DEFAULT_LOCALE) -> str:
    """Why ``offer`` was made, as one sentence in ``locale``."""
    _ = translations(locale).gettext
    babel = Locale.parse(BABEL_LOCALES.get(locale, BABEL_LOCALES[DEFAULT_LOCALE]))
    detail = offer.reason_detail or {}
    game = name(offer.game_id)
    if offer.reason_kind == RULE and offer.lift is not None:
        lift = format_decimal(offer.lift, format="0.0", locale=babel)
        if not detail.get("antecedent"):
            # Stored before reasons were data: the rule's antecedent was only in the old sentence.
            return _("players like this one play %(game)s %(lift)s× as often") % {"game": game, "lift": lift}
        return _(
            "plays %(games)s: such players play %(game)s %(lift)s× as often (confidence %(confidence)s)"
        ) % {
            "games": " + ".join(name(g) for g in detail["antecedent"]),
            "game": game,
            "lift": lift,
            "confidence": format_percent(detail["confidence"], locale=babel),
        }
    if offer.reason_kind == FIRST_GAME and detail:
        if detail["scope"] == "channel_region":
            peers = f"{_(detail['channel'])}, {detail['region'] or _('no region')}"
        elif detail["scope"] == "channel":
            peers = _(detail["channel"])
        else:
            peers = _("all channels and regions")
        return _(
            "no purchase yet: %(share)s of %(buyers)s first-time buyers of the last %(days)s days "
            "(%(peers)s) chose %(game)s first"
        ) % {
            "share": format_percent(detail["share"], locale=babel),
            "buyers": format_decimal(detail["buyers"], format="#,##0", locale=babel),
            "days": detail["days"],
            "peers": peers,
            "game": game,
        }
    return _("propensity only: no cross-sell rule fires")


def player_panels(session: Session, *, player_id: int, locale: str = DEFAULT_LOCALE) -> list[PanelOut]:
    rows: list[tuple[str, str]] = []
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
    if as_of is not None:
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

        rows.append(("Propensity as of", as_of.isoformat()))
        if likely:
            shares = " · ".join(f"{name(row.game_id)} {row.probability:.0%}" for row in likely)
            rows.append(("Most likely games", f"{shares} ({horizon} d)" if horizon else shares))
        if offers:
            best = offers[0]
            rows.append(("Next game to offer", name(best.game_id)))
            rows.append(("Why this game", reason_text(best, name=name, locale=locale)))
            if len(offers) > 1:
                rows.append(("Also worth offering", " · ".join(name(row.game_id) for row in offers[1:])))
    cluster_as_of = _latest(session, PlayerCluster, player_id)
    if cluster_as_of is not None:
        label = session.scalar(
            select(ClusterProfile.label)
            .join(
                PlayerCluster,
                (PlayerCluster.as_of == ClusterProfile.as_of)
                & (PlayerCluster.cluster == ClusterProfile.cluster),
            )
            .where(PlayerCluster.as_of == cluster_as_of, PlayerCluster.player_id == player_id)
        )
        if label:
            rows.append(("Micro-segment", f"{label} ({cluster_as_of.isoformat()})"))
    if not rows:
        return []
    return [PanelOut(key="propensity", title="Games and offers", rows=rows)]
