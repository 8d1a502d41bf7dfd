"""The calendar of a team, built once per team's settings and span of years and kept (a few milliseconds
to build, microseconds to use)."""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache

from lottocrm import clock
from lottocrm.contact_centre.sla.calendar import BusinessCalendar
from lottocrm.contact_centre.sla.hours import WeekHours
from lottocrm.contact_centre.sla.production import NO_RULES, production_calendar_for
from lottocrm.contact_centre.teams.models import Team


@lru_cache(maxsize=64)
def _built(
    timezone: str, hours_json: str, production: bool, first_year: int, last_year: int
) -> BusinessCalendar:
    years = range(first_year, last_year + 1)
    return BusinessCalendar(
        zone=clock.zone_named(timezone),
        hours=WeekHours.parse(json.loads(hours_json)),
        rules=production_calendar_for(years) if production else NO_RULES,
        first=dt.date(first_year, 1, 1),
        last=dt.date(last_year, 12, 31),
    )


def calendar_for(team: Team, *, since: dt.datetime) -> BusinessCalendar:
    """``team``'s calendar from the year before ``since`` to five years after now: room for any deadline a
    sane policy sets on sparse hours (a change of hours is a new key, so a stale calendar is never used)."""
    return _built(
        team.timezone,
        json.dumps(team.hours, sort_keys=True),
        team.production_calendar,
        min(since.year, clock.now().year) - 1,
        clock.now().year + 5,
    )
