"""The ``identity.resolve`` job (listed in ``identity/wiring.py``; schedule it with ``lottocrm jobs
schedule``). Payload: ``{"incremental": bool, "certain": float, "probable": float}``, all optional.

Acts as ``job:identity.resolve``. Owns its transactions (the run writes once, at its end); a store too
small to learn from is not an error for a scheduled job, so it is skipped.
"""

from __future__ import annotations

import logging

from lottocrm.audit.service import Actor
from lottocrm.identity.errors import TooFewPlayers
from lottocrm.identity.pipeline import MIN_PLAYERS, ResolveOptions, resolve
from lottocrm.identity.thresholds import Thresholds
from lottocrm.jobs.registry import JobContext

logger = logging.getLogger(__name__)


def resolve_job(context: JobContext) -> None:
    payload = context.job.payload or {}
    defaults = Thresholds()
    thresholds = Thresholds(
        certain=float(payload.get("certain", defaults.certain)),
        probable=float(payload.get("probable", defaults.probable)),
    )
    options = ResolveOptions(thresholds=thresholds, incremental=bool(payload.get("incremental", False)))
    try:
        resolve(context.engine, actor=Actor.job(context.job.kind), options=options)
    except TooFewPlayers:
        logger.info("identity.resolve skipped: fewer than %s players", MIN_PLAYERS)
