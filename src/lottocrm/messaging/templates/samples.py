"""The players a marketer previews a template for: picked by id, or a few active players at random, each
with the variables the template sees, read from the profile (name, region, loyalty points).

The analytical variables (favourite and next game, days since the last ticket) come from the analytics
record, which the editor does not read: they are given as the documented example values and the page says
so, so a preview never fails on them and never pretends to know them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm import vocab
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyTier
from lottocrm.messaging.templates.errors import TemplateError
from lottocrm.messaging.templates.variables import VARIABLES, sample_context
from lottocrm.players.models import Player

RANDOM_COUNT = 3
MAX_IDS = 10
# Variables the editor cannot read for a player: the documented example stands in (see the module's doc).
EXAMPLE_ONLY = frozenset(v.name for v in VARIABLES if v.group != "profile")


class SamplePlayersInvalid(TemplateError):
    code = "template_sample_players_invalid"
    http_status = 400


@dataclass(frozen=True)
class SamplePlayer:
    player_id: int
    name: str
    variables: dict[str, object]


def parse_ids(text: str) -> list[int]:
    """Player ids typed as "1001, 1002 1003"; refused by the first piece that is not one."""
    pieces = [piece for piece in re.split(r"[\s,;]+", text.strip()) if piece]
    if len(pieces) > MAX_IDS:
        raise SamplePlayersInvalid(
            "a preview shows at most %(limit)s players: %(count)s ids given", limit=MAX_IDS, count=len(pieces)
        )
    ids = []
    for piece in pieces:
        if not piece.isascii() or not piece.isdigit() or len(piece) > 18:
            raise SamplePlayersInvalid("%(piece)r is not a player id (a whole number)", piece=piece[:40])
        ids.append(int(piece))
    return list(dict.fromkeys(ids))


def players_by_id(session: Session, ids: list[int]) -> list[SamplePlayer]:
    found = {player.id: player for player in session.scalars(select(Player).where(Player.id.in_(ids)))}
    missing = [player_id for player_id in ids if player_id not in found]
    if missing:
        raise SamplePlayersInvalid(
            "no player with the id %(ids)s", ids=", ".join(str(player_id) for player_id in missing)
        )
    return _with_variables(session, [found[player_id] for player_id in ids])


def random_active_players(session: Session, *, count: int = RANDOM_COUNT) -> list[SamplePlayer]:
    """``count`` active players picked at random (fewer if there are fewer)."""
    players = session.scalars(
        select(Player).where(Player.status == "active").order_by(func.random()).limit(count)
    ).all()
    return _with_variables(session, list(players))


def _with_variables(session: Session, players: list[Player]) -> list[SamplePlayer]:
    accounts = {
        row.player_id: row
        for row in session.execute(
            select(LoyaltyAccount.player_id, LoyaltyAccount.balance, LoyaltyTier.name.label("tier"))
            .outerjoin(LoyaltyTier, LoyaltyTier.code == LoyaltyAccount.tier)
            .where(LoyaltyAccount.player_id.in_([p.id for p in players]))
        )
    }
    example = sample_context()
    samples = []
    for player in players:
        variables = {name: example[name] for name in EXAMPLE_ONLY}
        variables.update(
            first_name=player.first_name,
            middle_name=player.middle_name,
            last_name=player.last_name,
            region_name=vocab.region_name(player.region, locale="ru") if player.region else None,
            loyalty_balance=(account.balance or 0) if (account := accounts.get(player.id)) else 0,
            loyalty_tier=account.tier if account else None,
        )
        name = " ".join(part for part in (player.last_name, player.first_name, player.middle_name) if part)
        samples.append(SamplePlayer(player_id=player.id, name=name, variables=variables))
    return samples
