"""After a write-back of the analytical record commits, compute the dashboard's reports that read it.

Subscribed to ``analytics.record_written`` (analytics' wiring), so it runs in the worker, after commit. The
segment migration takes seconds on a large record; computed here, the first dashboard load after a mart
finds it stored. Without a worker nothing is wrong, only slower: the page computes on its miss.

Idempotent, so a redelivered event costs one cache lookup: the runner computes only what is not stored for
the record as it stands now — which is also why an older event delivered after a newer write refreshes
for the newer one.
"""

from __future__ import annotations

from lottocrm.analytics.queries.registry import record_reports
from lottocrm.analytics.queries.runner import ReportRunner
from lottocrm.events.delivery import EventContext


def refresh_record_reports(context: EventContext) -> None:
    ReportRunner(context.engine).run_all(record_reports())
