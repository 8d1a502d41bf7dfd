"""Every model, imported so ``Base.metadata`` is complete for Alembic and for tests."""

from lottocrm.catalog.models import Draw, Game, PointOfSale
from lottocrm.db.base import Base
from lottocrm.ingest.models import ImportBatch
from lottocrm.players.models import ConsentEvent, Player, PlayerIdentity, ResponsibleGaming

__all__ = [
    "Base",
    "ConsentEvent",
    "Draw",
    "Game",
    "ImportBatch",
    "Player",
    "PlayerIdentity",
    "PointOfSale",
    "ResponsibleGaming",
]
