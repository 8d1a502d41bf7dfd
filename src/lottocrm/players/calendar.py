"""The players' own dates: birthdays and anniversaries of registration on a day of the operator's calendar,
and the daily job that announces the day.

A player born (or registered) on 29 February is counted on 28 February in years without a 29th, so that
nobody's birthday is skipped three years in four. A registration's anniversary is by the operator's local
date: a player who registered at 23:30 Moscow time on 5 March (20:30 UTC) has their anniversary on 5 March.
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, extract, func, or_, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.db.engine import transaction
from lottocrm.events.outbox import emit, event_id_for
from lottocrm.jobs.registry import JobContext
from lottocrm.players.events import CalendarDay
from lottocrm.players.models import Player

# Registrations are looked for this many years back (the operator's records do not go further).
YEARS_BACK = 60


def _leap_day_counts_today(day: dt.date) -> bool:
    return day.month == 2 and day.day == 28 and not calendar.isleap(day.year)


def birthdays_on(day: dt.date) -> Select[tuple[int]]:
    """Players whose birthday is ``day``."""
    month, of_month = extract("month", Player.birth_date), extract("day", Player.birth_date)
    same = and_(month == day.month, of_month == day.day)
    if _leap_day_counts_today(day):
        same = or_(same, and_(month == 2, of_month == 29))
    return select(Player.id).where(same)


def anniversaries_on(day: dt.date, zone: ZoneInfo | None = None) -> Select[tuple[int]]:
    """Players who registered on this local date in an earlier year (one year ago or more)."""
    zone = zone or clock.operator_zone()
    windows = []
    for year in range(day.year - YEARS_BACK, day.year):
        dates = [dt.date(year, day.month, day.day)] if _exists(year, day) else []
        if _leap_day_counts_today(day) and calendar.isleap(year):
            dates.append(dt.date(year, 2, 29))
        for date in dates:
            start = dt.datetime.combine(date, dt.time(), zone)
            end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(), zone)
            windows.append(and_(Player.registered_at >= start, Player.registered_at < end))
    return select(Player.id).where(or_(*windows))


def _exists(year: int, day: dt.date) -> bool:
    return not (day.month == 2 and day.day == 29 and not calendar.isleap(year))


def announce_day(session: Session, day: dt.date) -> CalendarDay:
    counted = CalendarDay(
        day=day,
        birthdays=session.scalar(select(func.count()).select_from(birthdays_on(day).subquery())) or 0,
        anniversaries=session.scalar(select(func.count()).select_from(anniversaries_on(day).subquery())) or 0,
    )
    # One announcement per day, however often the job runs that day.
    emit(session, counted, event_id=event_id_for("calendar", day.isoformat()))
    return counted


def calendar_day(context: JobContext) -> None:
    """The job: announce today's date of the operator's calendar (schedule it just after midnight)."""
    with transaction(context.engine) as session:
        announce_day(session, clock.local(clock.now()).date())
