"""A campaign's results: its members (both arms) from the store, what each did from the lake, measured.

For a campaign run here, each member's response, spend and pre-period spend come from the fact lake over the
member's own window (``lottocrm.analytics.campaign_response``: one DuckDB query, members passed as Arrow).
Imported history carries its responses and revenue on the member rows and is measured as it was recorded.
Both go through the same statistics (``marketing.results.measure_campaign``); lift is broken down by the
lifecycle part of each member's stratum ("active:7" → "active").

Reading only: nothing is written, so there is no audit row and no event (results hold no personal data).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.analytics.campaign_response import campaign_responses, latest_sale
from lottocrm.errors import NotFound, ServiceError
from lottocrm.lake.store import Lake
from lottocrm.marketing.campaigns.definition import CampaignInputError, parse_definition
from lottocrm.marketing.campaigns.models import Campaign, CampaignRun
from lottocrm.marketing.reporting.members import delivery_counts, read_members
from lottocrm.marketing.reporting.schemas import ArmDelivery, CampaignResults, ResponseRule
from lottocrm.marketing.reporting.variants import lift_by_variant
from lottocrm.marketing.results.measure import measure_campaign

# Runs whose members are all written: a run still selecting its audience, or one that failed, is not measured.
MEASURED_RUN_STATUSES = ("queued", "done")


class ResultsUnavailable(ServiceError):
    code, http_status = "campaign_results_unavailable", 422


def campaign_results(
    session: Session, *, campaign_id: int, lake: Lake, run_id: int | None = None
) -> CampaignResults:
    """The results of one run of the campaign (``run_id``), or of all its measured runs pooled."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("there is no campaign %(id)s", id=campaign_id)
    runs = _runs(session, campaign=campaign, run_id=run_id)
    run_ids = [run.id for run in runs]
    imported = campaign.kind == "imported"
    rule, control_share, cost_per_message = _imported_rule(campaign) if imported else _lake_rule(campaign)
    members = read_members(session, run_ids=run_ids, with_enrolment=rule.kind == "loyalty_enrolment")
    treated = members["treated"].to_numpy(zero_copy_only=False)
    _check_arms(campaign, treated)
    delivery = _delivery(session, run_ids=run_ids, imported=imported)
    first, last = (value.as_py() for value in pc.min_max(members["assigned_at"]).values())
    if imported:
        responded, spend, pre_spend = _recorded(campaign, members)
        window_ends_at = lake_through = None
        preliminary = False
    else:
        responded, spend, pre_spend = _from_lake(lake, members, rule)
        assert rule.window_days is not None
        window_ends_at = last + dt.timedelta(days=rule.window_days)
        lake_through = latest_sale(lake)
        # Also preliminary while the lake has not been loaded to the window's end (yesterday's retail sales
        # not in yet): a response it does not hold yet would count as none.
        preliminary = clock.now() < window_ends_at or lake_through is None or lake_through < window_ends_at
    basis = "campaign" if control_share is not None else "observed"
    if control_share is None:
        control_share = float((~treated).sum() / len(treated))
    sent_treated = delivery[0].sent
    measurement = measure_campaign(
        treated=treated,
        responded=responded,
        control_share=control_share,
        spend=spend,
        pre_period_spend=pre_spend,
        segment=_lifecycle(members["stratum"]),
        cost=cost_per_message * sent_treated if cost_per_message else None,
        preliminary=preliminary,
    )
    variants = lift_by_variant(
        variant=members["variant"].to_numpy(zero_copy_only=False),
        treated=treated,
        responded=np.asarray(responded, dtype=bool),
        spend=spend,
        control=measurement.control,
        confidence=measurement.confidence,
    )
    return CampaignResults(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        kind=campaign.kind,
        run_ids=tuple(run_ids),
        response_rule=rule,
        first_assigned_at=first.isoformat(),
        last_assigned_at=last.isoformat(),
        window_ends_at=window_ends_at.isoformat() if window_ends_at else None,
        lake_through=lake_through.isoformat() if lake_through else None,
        preliminary=preliminary,
        control_share=control_share,
        control_share_basis=basis,
        delivery=delivery,
        measurement=measurement,
        variants=variants,
    )


def responders(session: Session, *, campaign_id: int, lake: Lake, player_id: int | None = None) -> set[int]:
    """The treated members of the campaign's measured runs who responded by the campaign's own response
    definition within its window (read from the lake as the results read it; recorded, for imported history),
    only ``player_id`` when given. A campaign that does not exist, was never sent or cannot be measured has
    none: a segment condition on it holds for nobody."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return set()
    run_ids = list(
        session.scalars(
            select(CampaignRun.id).where(
                CampaignRun.campaign_id == campaign_id, CampaignRun.status.in_(MEASURED_RUN_STATUSES)
            )
        )
    )
    if not run_ids:
        return set()
    imported = campaign.kind == "imported"
    try:
        rule = _imported_rule(campaign)[0] if imported else _lake_rule(campaign)[0]
    except ResultsUnavailable:
        return set()
    members = read_members(
        session, run_ids=run_ids, with_enrolment=rule.kind == "loyalty_enrolment", player_id=player_id
    )
    members = members.filter(members["treated"])
    if members.num_rows == 0:
        return set()
    if imported:
        responded = pc.fill_null(members["responded"], False)
    else:
        assert rule.kind is not None and rule.window_days is not None
        responded = campaign_responses(
            lake=lake,
            members=members,
            window_days=rule.window_days,
            game_id=rule.game_id,
            response_kind=rule.kind,
        )["responded"]
    return set(members["player_id"].filter(responded).to_pylist())


def _runs(session: Session, *, campaign: Campaign, run_id: int | None) -> list[CampaignRun]:
    query = select(CampaignRun).where(CampaignRun.campaign_id == campaign.id).order_by(CampaignRun.id)
    if run_id is not None:
        run = session.scalars(query.where(CampaignRun.id == run_id)).first()
        if run is None:
            raise NotFound("campaign %(id)s has no run %(run)s", id=campaign.id, run=run_id)
        if run.status not in MEASURED_RUN_STATUSES:
            raise ResultsUnavailable(
                "run %(run)s of campaign %(id)s is %(status)s: it has no complete audience to measure",
                run=run_id,
                id=campaign.id,
                status=run.status,
            )
        return [run]
    runs = list(session.scalars(query.where(CampaignRun.status.in_(MEASURED_RUN_STATUSES))))
    if not runs:
        raise ResultsUnavailable(
            "campaign %(id)s has not been sent yet: there is nothing to measure", id=campaign.id
        )
    return runs


def _document(campaign: Campaign) -> dict[str, Any]:
    """What the runs sent: the definition frozen at approval, else (never approved) the draft."""
    frozen = (campaign.snapshot or {}).get("definition")
    return frozen if isinstance(frozen, dict) else campaign.definition


def _lake_rule(campaign: Campaign) -> tuple[ResponseRule, float | None, int]:
    try:
        definition = parse_definition(_document(campaign))
    except CampaignInputError as error:
        raise ResultsUnavailable(
            "campaign %(id)s cannot be measured: %(problem)s", id=campaign.id, problem=error.message
        ) from None
    response = definition.response
    rule = ResponseRule("lake", response.kind, response.game_id, response.window_days)
    return rule, definition.control_share, definition.cost_per_message_kopecks


def _imported_rule(campaign: Campaign) -> tuple[ResponseRule, float | None, int]:
    share = _document(campaign).get("control_share")
    return ResponseRule("imported", None, None, None), (float(share) if share is not None else None), 0


def _check_arms(campaign: Campaign, treated: np.ndarray) -> None:
    for arm, n in (("treatment", int(treated.sum())), ("control", int((~treated).sum()))):
        if n < 2:
            raise ResultsUnavailable(
                "campaign %(id)s has %(n)s player(s) in its %(arm)s arm: comparing needs at least 2 in each",
                id=campaign.id,
                n=n,
                arm=arm,
            )


def _delivery(session: Session, *, run_ids: list[int], imported: bool) -> tuple[ArmDelivery, ...]:
    counts = delivery_counts(session, run_ids=run_ids)
    arms = []
    for arm in ("treatment", "control"):
        found = counts[arm]
        if imported:
            # History from elsewhere: the treated were contacted, the control was not; no receipts came along.
            sent = found["members"] if arm == "treatment" else 0
            arms.append(ArmDelivery(arm, found["members"], sent, sent, None, None))
        else:
            arms.append(
                ArmDelivery(
                    arm, found["members"], found["queued"], found["sent"], found["delivered"], found["failed"]
                )
            )
    return tuple(arms)


def _recorded(campaign: Campaign, members: pa.Table) -> tuple[np.ndarray, np.ndarray | None, None]:
    if members["responded"].null_count:
        raise ResultsUnavailable(
            "imported campaign %(id)s has members without a recorded response", id=campaign.id
        )
    responded = members["responded"].to_numpy(zero_copy_only=False)
    revenue = members["revenue_kopecks"]
    spend = revenue.to_numpy(zero_copy_only=False).astype(np.int64) if revenue.null_count == 0 else None
    return responded, spend, None


def _from_lake(lake: Lake, members: pa.Table, rule: ResponseRule) -> tuple[np.ndarray, ...]:
    if lake.row_count("tickets") == 0:
        raise ResultsUnavailable(
            "the lake at %(path)s holds no tickets: responses are read from it (import or simulate tickets)",
            path=str(lake.root),
        )
    assert rule.kind is not None and rule.window_days is not None
    found = campaign_responses(
        lake=lake,
        members=members,
        window_days=rule.window_days,
        game_id=rule.game_id,
        response_kind=rule.kind,
    )
    return tuple(found[name].to_numpy(zero_copy_only=False) for name in ("responded", "spend", "pre_spend"))


def _lifecycle(strata: pa.ChunkedArray) -> np.ndarray:
    """The lifecycle part of each stratum ("active:7" → "active"); a stratum without a value part as it is."""
    parts = pc.split_pattern(strata, ":", max_splits=1)
    return pc.list_element(parts, 0).to_numpy(zero_copy_only=False).astype(str)
