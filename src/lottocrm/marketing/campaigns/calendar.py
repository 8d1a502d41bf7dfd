"""The campaign calendar: one operator month as weeks (Monday first) of what was sent and what is to come.

Past runs come from ``campaign_runs`` (their state and audience: treated and control members). Upcoming
occurrences are expanded from each campaign's schedule (``schedule.next_occurrence``: a cron line fires,
each draw of a game) from now to the month's end — what an approved campaign froze in its snapshot, a
draft's own definition (a draft has not been approved, so its dates are only planned). A paused or ended
campaign has nothing to come. A day lists a few entries and counts the rest.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.marketing.campaigns.definition import CampaignDefinition, CampaignInputError, parse_definition
from lottocrm.marketing.campaigns.models import CAMPAIGN_STATUSES, Campaign, CampaignRun
from lottocrm.marketing.campaigns.schedule import next_occurrence

PER_DAY = 3
# A cron line firing every minute would give 44 640 occurrences a month; an hourly one fits.
MAX_OCCURRENCES = 31 * 24
UPCOMING_STATUSES = ("draft", "scheduled", "running")
MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class Entry:
    campaign_id: int
    name: str
    at: dt.datetime
    # "run" (sent or being sent: ``state`` is the run's) or "planned" (``state`` is the campaign's).
    kind: str
    state: str
    size: int | None


@dataclass(frozen=True)
class Day:
    date: dt.date
    in_month: bool
    today: bool
    entries: tuple[Entry, ...]
    more: int


@dataclass(frozen=True)
class MonthCalendar:
    year: int
    month: int
    weeks: tuple[tuple[Day, ...], ...]
    entries: int
    truncated: tuple[str, ...]


def parse_month(text: str) -> tuple[int, int]:
    """``YYYY-MM`` → (year, month), years 2000 to 2100."""
    found = MONTH.fullmatch(text.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12 or not 2000 <= int(found.group(1)) <= 2100:
        raise CampaignInputError(
            "%(month)s is not a month: write it as YYYY-MM, e.g. 2026-11", month=text[:40]
        )
    return int(found.group(1)), int(found.group(2))


def month_calendar(
    session: Session, *, year: int, month: int, status: str | None = None, per_day: int = PER_DAY
) -> MonthCalendar:
    if status is not None and status not in CAMPAIGN_STATUSES:
        raise CampaignInputError("%(status)s is not a campaign state", status=status[:40])
    first = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    start, _ = clock.day_bounds(first)
    end, _ = clock.day_bounds(following)
    entries = _runs(session, start, end, status)
    planned, truncated = _planned(session, start, end, status)
    by_day: dict[dt.date, list[Entry]] = defaultdict(list)
    for entry in sorted([*entries, *planned], key=lambda item: (item.at, item.campaign_id)):
        by_day[clock.local(entry.at).date()].append(entry)
    today = clock.operator_day()
    day = first - dt.timedelta(days=first.weekday())
    last = following - dt.timedelta(days=1)
    weeks = []
    while day <= last:
        week = []
        for _ in range(7):
            found = by_day.get(day, [])
            week.append(
                Day(
                    day,
                    day.month == month,
                    day == today,
                    tuple(found[:per_day]),
                    max(len(found) - per_day, 0),
                )
            )
            day += dt.timedelta(days=1)
        weeks.append(tuple(week))
    return MonthCalendar(year, month, tuple(weeks), len(entries) + len(planned), tuple(truncated))


def _runs(session: Session, start: dt.datetime, end: dt.datetime, status: str | None) -> list[Entry]:
    query = (
        select(CampaignRun, Campaign.name)
        .join(Campaign, Campaign.id == CampaignRun.campaign_id)
        .where(CampaignRun.started_at >= start, CampaignRun.started_at < end)
    )
    if status is not None:
        query = query.where(Campaign.status == status)
    found = []
    for run, name in session.execute(query):
        counts = run.counts or {}
        size = counts["treatment"] + counts.get("control", 0) if "treatment" in counts else None
        found.append(Entry(run.campaign_id, name, run.started_at, "run", run.status, size))
    return found


def _planned(
    session: Session, start: dt.datetime, end: dt.datetime, status: str | None
) -> tuple[list[Entry], list[str]]:
    statuses = [status] if status is not None else list(UPCOMING_STATUSES)
    campaigns = session.scalars(
        select(Campaign).where(Campaign.status.in_(statuses), Campaign.status.in_(UPCOMING_STATUSES))
    ).all()
    after = max(start, clock.now())
    found: list[Entry] = []
    truncated: list[str] = []
    for campaign in campaigns:
        schedule = _definition(campaign)
        if schedule is None:
            continue
        moment = after - dt.timedelta(microseconds=1)
        for number in range(MAX_OCCURRENCES + 1):
            occurrence = next_occurrence(session, schedule.schedule, after=moment)
            if occurrence is None or occurrence.at >= end:
                break
            if number == MAX_OCCURRENCES:
                truncated.append(campaign.name)
                break
            found.append(
                Entry(campaign.id, campaign.name, occurrence.at, "planned", campaign.status, _size(campaign))
            )
            moment = occurrence.at
    return found, truncated


def _definition(campaign: Campaign) -> CampaignDefinition | None:
    """What the campaign will send: the approved snapshot, else the draft (None: a draft not valid yet)."""
    frozen = (campaign.snapshot or {}).get("definition")
    try:
        return parse_definition(frozen if isinstance(frozen, dict) else campaign.definition)
    except CampaignInputError:
        return None


def _size(campaign: Campaign) -> int | None:
    return campaign.approved_audience
