"""Checks a segment's references to the store: the games, draws and campaigns its behaviour and response
conditions name must exist. The document checker (``conditions.parse``) knows no database; this runs where a
session is at hand (saving a version, the builder's preview) and names the place as the parser does
(``segment.all[1].params.game``)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.catalog.models import Game
from lottocrm.marketing.campaigns.models import Campaign
from lottocrm.marketing.segments.behaviour import draw_ids
from lottocrm.marketing.segments.conditions import All, Condition, Node, Not, SegmentError


def placed(node: Node, where: str = "segment") -> Iterator[tuple[str, Condition]]:
    """Every condition of the tree with its place, named as :func:`conditions.parse` names it."""
    if isinstance(node, Condition):
        yield where, node
    elif isinstance(node, Not):
        yield from placed(node.part, f"{where}.not")
    else:
        group = "all" if isinstance(node, All) else "any"
        for index, part in enumerate(node.parts):
            yield from placed(part, f"{where}.{group}[{index}]")


def check(session: Session, node: Node) -> None:
    for where, condition in placed(node):
        check_condition(session, condition, where)


def check_condition(session: Session, condition: Condition, where: str) -> None:
    spec = condition.spec
    if spec.source not in ("behaviour", "responses"):
        return
    params = dict(condition.params)
    if spec.source == "responses":
        if session.get(Campaign, params["campaign"]) is None:
            raise SegmentError(
                f"{where}.params.campaign", "there is no campaign %(id)s", id=params["campaign"]
            )
        return
    game = params.get("game")
    if game is not None and session.scalar(select(Game.id).where(Game.id == game)) is None:
        raise SegmentError(f"{where}.params.game", "there is no game %(id)s", id=game)
    if spec.param_rule == "draw" and not draw_ids(session, game, params.get("number"), params.get("on")):
        if "number" in params:
            raise SegmentError(
                f"{where}.params.number",
                "game %(game)s has no draw number %(number)s",
                game=game,
                number=params["number"],
            )
        raise SegmentError(
            f"{where}.params.on",
            "game %(game)s held no draw on %(day)s",
            game=game,
            day=params["on"].isoformat(),
        )
