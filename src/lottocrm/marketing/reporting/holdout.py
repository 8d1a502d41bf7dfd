"""The global holdout's monthly report: what all marketing together added, measured against the players it
never reached.

Each year a hash salted with the year (``holdout:<year>``, as the campaign selection uses) keeps the same
share of players out of every marketing send. Their purchases in a month, against those of everyone else,
estimate the cumulative effect of all the year's marketing: response (bought at least once) and spend per
player with Welch's interval, the relative lift by the delta method, and the incremental revenue — the
per-player lift times the players marketing could reach — with its interval (``marketing.results.compare``).
The same figures over the year so far (1 January to the month's end) follow.

**Population**: every player registered before the month's end, whatever their consent now. Consent and
responsible-gaming state today are partly outcomes of marketing (a player unsubscribes from a campaign), so
filtering on them would compare unlike groups; the hash is independent of everything, so the comparison is
fair, and the effect is averaged over players marketing could not reach as well.

**Spend** is read from the fact lake (every ticket, by its sale moment), not the analytical record, whose
rolling 30/90-day sums do not fall on month boundaries. The report is *preliminary* while the month is not
over or the lake has no sale at or after the month's end (yesterday's retail sales not loaded yet).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.analytics.campaign_response import latest_sale
from lottocrm.analytics.group_spend import GroupSpend, group_spend
from lottocrm.db.hash_unit import hash_unit_sql, threshold
from lottocrm.errors import ServiceError
from lottocrm.lake.store import Lake
from lottocrm.marketing.campaigns.selection import holdout_salt
from lottocrm.marketing.campaigns.settings import CampaignSettings
from lottocrm.marketing.results._json import JsonResult
from lottocrm.marketing.results.arms import ArmSummary, summarise_counts
from lottocrm.marketing.results.lift import Lift, compare
from lottocrm.players.models import Player

MONTH = re.compile(r"(\d{4})-(\d{2})")
FIRST_YEAR = 2000
HOLDOUT, MARKETED = "holdout", "marketed"


class HoldoutMonthInvalid(ServiceError):
    code, http_status = "holdout_month_invalid", 422


class HoldoutNotMeasurable(ServiceError):
    code, http_status = "holdout_not_measurable", 422


@dataclass(frozen=True)
class HoldoutWindow(JsonResult):
    """One span: the holdout against the rest, response and spend (kopecks per player) compared."""

    starts_at: str
    ends_at: str
    holdout: ArmSummary
    marketed: ArmSummary
    response: Lift
    spend: Lift

    @property
    def incremental_revenue_kopecks(self) -> float:
        return self.spend.incremental


@dataclass(frozen=True)
class HoldoutReport(JsonResult):
    month: str
    salt: str
    holdout_percent: int
    preliminary: bool
    lake_through: str | None
    spend_source: str
    population: str
    this_month: HoldoutWindow
    year_to_date: HoldoutWindow


def parse_month(text: str, *, now: dt.datetime | None = None) -> tuple[int, int]:
    """``YYYY-MM`` → (year, month); a malformed month or one that has not begun is refused, saying why."""
    found = MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < FIRST_YEAR:
        raise HoldoutMonthInvalid(
            "%(month)s is not a month: write it as YYYY-MM, e.g. 2026-11 (years from %(first)s)",
            month=str(text)[:40],
            first=FIRST_YEAR,
        )
    year, month = int(found.group(1)), int(found.group(2))
    current = clock.local(now or clock.now())
    if (year, month) > (current.year, current.month):
        raise HoldoutMonthInvalid(
            "%(month)s has not begun yet: the latest month with figures is %(current)s",
            month=f"{year:04d}-{month:02d}",
            current=f"{current.year:04d}-{current.month:02d}",
        )
    return year, month


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """The operator's calendar month as [start, end) in UTC."""
    start, _ = clock.day_bounds(dt.date(year, month, 1))
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    end, _ = clock.day_bounds(following)
    return start, end


def holdout_report(
    session: Session, *, lake: Lake, month: str, settings: CampaignSettings | None = None
) -> HoldoutReport:
    settings = settings or CampaignSettings.from_environment()
    year, number = parse_month(month)
    label = f"{year:04d}-{number:02d}"
    if settings.global_holdout_percent == 0:
        raise HoldoutNotMeasurable(
            "the global holdout is set to %(percent)s %%: there is no one to compare with", percent=0
        )
    if lake.row_count("tickets") == 0:
        raise HoldoutNotMeasurable(
            "the lake at %(path)s holds no tickets: spend is read from it", path=str(lake.root)
        )
    start, end = month_bounds(year, number)
    year_start, _ = month_bounds(year, 1)
    salt = holdout_salt(year)
    population = _population(session, salt=salt, percent=settings.global_holdout_percent, before=end)
    lake_through = latest_sale(lake)
    return HoldoutReport(
        month=label,
        salt=salt,
        holdout_percent=settings.global_holdout_percent,
        preliminary=clock.now() < end or lake_through is None or lake_through < end,
        lake_through=lake_through.isoformat() if lake_through else None,
        spend_source="lake",
        population="registered before the month's end",
        this_month=_window(lake, population, start, end, month=label),
        year_to_date=_window(lake, population, year_start, end, month=label),
    )


def _population(session: Session, *, salt: str, percent: int, before: dt.datetime) -> pa.Table:
    below = threshold(percent / 100)
    group = case((hash_unit_sql(salt, Player.id) < below, HOLDOUT), else_=MARKETED)
    rows = session.execute(select(Player.id, group).where(Player.registered_at < before)).all()
    return pa.table(
        {"player_id": [row[0] for row in rows], "group": [row[1] for row in rows]},
        schema=pa.schema([pa.field("player_id", pa.int64()), pa.field("group", pa.string())]),
    )


def _window(
    lake: Lake, population: pa.Table, start: dt.datetime, end: dt.datetime, *, month: str
) -> HoldoutWindow:
    found = group_spend(lake=lake, population=population, low=start, high=end)
    sizes = {name: found[name].players if name in found else 0 for name in (HOLDOUT, MARKETED)}
    if min(sizes.values()) < 2:
        raise HoldoutNotMeasurable(
            "in %(month)s the global holdout has %(holdout)s registered player(s) and the rest %(rest)s: "
            "comparing needs at least 2 in each group",
            month=month,
            holdout=sizes[HOLDOUT],
            rest=sizes[MARKETED],
        )
    holdout, marketed = (_summary(name, found[name]) for name in (HOLDOUT, MARKETED))
    return HoldoutWindow(
        starts_at=start.isoformat(),
        ends_at=end.isoformat(),
        holdout=holdout,
        marketed=marketed,
        response=compare(metric="response", treatment=marketed.response, control=holdout.response),
        spend=compare(metric="spend", treatment=marketed.spend, control=holdout.spend),  # type: ignore[arg-type]
    )


def _summary(group: str, spend: GroupSpend) -> ArmSummary:
    return summarise_counts(
        arm=group,
        n=spend.players,
        responders=spend.buyers,
        spend_total=spend.spend_kopecks,
        spend_sum_squares=float(spend.spend_sum_squares),
    )
