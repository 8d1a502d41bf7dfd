"""Association rules over the lake's baskets as of a date, on DuckDB or local Spark (``lottocrm rules``)."""

from __future__ import annotations

import datetime as dt

from lottocrm.analytics.lake_compute import LakeCompute
from lottocrm.analytics.rules.apriori import RuleOptions, RulesResult, mine_rules
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings


def mine(
    settings: Settings, *, options: RuleOptions, as_of: dt.date | None = None, engine: str = "duckdb"
) -> RulesResult:
    """Rules among the baskets ending the day before ``as_of`` (default: the day after the last ticket)."""
    with LakeCompute(Lake(settings.lake_path), timezone=settings.timezone, engine=engine) as compute:
        return mine_rules(compute, as_of=as_of or compute.last_sale_day(), options=options)
