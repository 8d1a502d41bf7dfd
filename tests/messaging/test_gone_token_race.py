"""A gone app token is reported twice at once: the FCM transport hands the dispatcher's ``settle`` a
permanent "gone" failure (which marks the device unreachable) and also emits ``SubscriptionGone``, which
the ``Sender`` applies on a worker thread (which marks it unreachable too). ``ledger.mark_unreachable``
checks for the row, then inserts it: two transactions that both find none both insert, and on PostgreSQL
the one that commits second fails on the primary key. When that one is the dispatcher's settle, the whole
batch's answers are lost and its messages stay "sending" (found by the 30-day simulation on PostgreSQL).

Two sessions here play the two threads in a fixed order, so the race is certain, not timed.
``mark_unreachable`` now inserts in a savepoint and takes a key conflict as "already reported".
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor
from lottocrm.contact_policy import ledger
from lottocrm.contact_policy.models import UnreachablePoint

REPORTER = Actor("job:test")
TOKEN = "fcm-token-gone"


def _mark(session: Session) -> None:
    ledger.mark_unreachable(session, actor=REPORTER, channel="push", contact_point=TOKEN, reason="gone")


def test_two_concurrent_reports_of_one_gone_token_both_commit(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        # SQLite's BEGIN IMMEDIATE makes the second writer wait before it reads: no race to show.
        pytest.skip("the race needs writers that read before they wait")
    errors: list[BaseException] = []
    with Session(engine) as settle:
        _mark(settle)  # the dispatcher's settle has flushed its row, not yet committed

        def inbound() -> None:
            try:
                with Session(engine) as session, session.begin():
                    _mark(session)  # reads no committed row, inserts, waits on settle's key
            except BaseException as error:  # carried to the test's thread
                errors.append(error)

        worker = threading.Thread(target=inbound)
        worker.start()
        worker.join(timeout=1.0)  # the insert is now waiting on the key settle holds
        settle.commit()
        worker.join(timeout=30)
    assert errors == []
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(UnreachablePoint)) == 1
