"""The players a marketer previews a template for: picked by id, or a few active players at random, each
with the variables the template sees, read as the dispatcher reads them (``context.py``): the profile, the
loyalty account, the analytical record and the next game to offer, None where the store does not know.

The message's own variable (``unsubscribe_url``, signed for a message that does not exist in a preview)
is given as its documented example, and the page says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm.messaging.templates.context import player_variables
from lottocrm.messaging.templates.errors import TemplateError
from lottocrm.messaging.templates.variables import VARIABLES, sample_context
from lottocrm.players.models import Player

RANDOM_COUNT = 3
MAX_IDS = 10
# Variables of a message rather than a player: the documented example stands in (see the module's doc).
EXAMPLE_ONLY = frozenset(v.name for v in VARIABLES if v.group == "message")


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
    read = player_variables(session, [player.id for player in players])
    example = sample_context()
    samples = []
    for player in players:
        variables = {name: example[name] for name in EXAMPLE_ONLY}
        variables.update(read[player.id])
        name = " ".join(part for part in (player.last_name, player.first_name, player.middle_name) if part)
        samples.append(SamplePlayer(player_id=player.id, name=name, variables=variables))
    return samples
