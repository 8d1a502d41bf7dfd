"""Every model, imported so ``Base.metadata`` is complete for Alembic and for tests."""

from lottocrm.analytics.churn.models import ChurnModelRecord, ChurnScore
from lottocrm.analytics.clusters.models import ClusterProfile, PlayerCluster
from lottocrm.analytics.clv.models import ClvFit, PlayerClv
from lottocrm.analytics.mart.models import PlayerAnalytics
from lottocrm.analytics.propensity.models import PlayerGamePropensity, PlayerNextGame, PropensityRun
from lottocrm.analytics.reports.models import ReportCacheEntry
from lottocrm.audit.models import AuditEvent
from lottocrm.auth.models import ApiKey, LoginFailure, User, WebSession
from lottocrm.catalog.models import Draw, Game, PointOfSale
from lottocrm.db.base import Base
from lottocrm.ingest.models import ImportBatch
from lottocrm.jobs.models import Job, JobSchedule
from lottocrm.loyalty.models import (
    EarnRule,
    IdempotencyRecord,
    LoyaltyAccount,
    LoyaltyCard,
    LoyaltyHold,
    LoyaltyLot,
    LoyaltyLotDraw,
    LoyaltyOperation,
    LoyaltyPartner,
    LoyaltyPosting,
    LoyaltyTier,
    PartnerApiKey,
    Reward,
    RewardOrder,
)
from lottocrm.players.models import ConsentEvent, FormerIdentity, Player, PlayerIdentity, ResponsibleGaming
from lottocrm.players.search import PLAYER_NAME_TRIGRAM_INDEX

__all__ = [
    "ApiKey",
    "AuditEvent",
    "ChurnModelRecord",
    "ChurnScore",
    "ClvFit",
    "PlayerClv",
    "PLAYER_NAME_TRIGRAM_INDEX",
    "User",
    "WebSession",
    "FormerIdentity",
    "LoginFailure",
    "ReportCacheEntry",
    "EarnRule",
    "IdempotencyRecord",
    "LoyaltyAccount",
    "LoyaltyCard",
    "LoyaltyHold",
    "LoyaltyLot",
    "LoyaltyLotDraw",
    "LoyaltyOperation",
    "LoyaltyPartner",
    "LoyaltyPosting",
    "LoyaltyTier",
    "PartnerApiKey",
    "Reward",
    "RewardOrder",
    "Base",
    "ConsentEvent",
    "Draw",
    "Game",
    "ImportBatch",
    "Job",
    "JobSchedule",
    "Player",
    "PlayerAnalytics",
    "ClusterProfile",
    "PlayerCluster",
    "PlayerGamePropensity",
    "PlayerNextGame",
    "PropensityRun",
    "PlayerIdentity",
    "PointOfSale",
    "ResponsibleGaming",
]
