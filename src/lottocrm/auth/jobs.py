"""Periodic upkeep of sign-in data, run by ``lottocrm worker`` on a cron schedule::

lottocrm jobs schedule purge-sessions '*/15 * * * *' auth.purge_sessions
"""

from __future__ import annotations

import logging

from lottocrm.audit.service import Actor
from lottocrm.auth import service as auth
from lottocrm.db.engine import transaction
from lottocrm.jobs.registry import JobContext

PURGE_SESSIONS_KIND = "auth.purge_sessions"
log = logging.getLogger(__name__)


def purge_sessions(context: JobContext) -> None:
    """Delete expired web sessions and stale failed-sign-in rows (idempotent: a retry purges nothing new)."""
    with transaction(context.engine) as session:
        purged = auth.purge_expired(session, actor=Actor.job(PURGE_SESSIONS_KIND))
    log.info("purged %d expired sessions, %d old failed sign-ins", purged.sessions, purged.login_failures)
