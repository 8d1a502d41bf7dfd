"""Compute the dashboard's reports once their inputs change, so a dashboard load finds them stored.

Subscribers (analytics' wiring), run in the worker after the change commits:

- ``analytics.refresh_record_reports`` on ``analytics.record_written``: the segment reports;
- ``analytics.refresh_ticket_reports`` on ``ingest.tickets_committed`` and
  ``analytics.refresh_player_reports`` on ``players.registered``: the reports over the lake's tickets and the
  store's players (KPIs, cohorts, the funnel, sales by game, channel and region).

Each computes, for the inputs as they stand when it runs, only what is not stored yet. So a redelivered event
costs a cache lookup, an older event delivered after a newer change refreshes for the newer one, and a burst
of imports queued behind a long refresh is folded into the next one: the jobs after it find their results
stored. Without a worker nothing is wrong, only later: the dashboard shows what is stored and its charts
compute what is missing (docs/analytics-reports.md).

The worker's settings (the same ``LOTTOCRM_*`` that gave it its database) name the lake the imports write to.
"""

from __future__ import annotations

from sqlalchemy import Engine

from lottocrm.analytics.queries.base import Source
from lottocrm.analytics.queries.registry import dashboard_reports, reports_reading
from lottocrm.analytics.queries.runner import ReportRunner
from lottocrm.events.delivery import EventContext
from lottocrm.lake.store import Lake
from lottocrm.settings import get_settings


def refresh_record_reports(context: EventContext) -> None:
    ReportRunner(context.engine).run_all(reports_reading(Source.RECORD))


def refresh_lake_reports(context: EventContext) -> None:
    runner = ReportRunner(context.engine, lake=Lake(get_settings().lake_path))
    runner.run_all(reports_reading(Source.TICKETS, Source.PLAYERS))


def compute_dashboard(engine: Engine, *, lake: Lake) -> None:
    """Every report the dashboard shows, computed where missing: for a data folder filled without a worker
    (``lottocrm demo``, a simulation) before the web UI starts."""
    ReportRunner(engine, lake=lake).run_all(list(dashboard_reports().values()))
