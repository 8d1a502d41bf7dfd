"""Approving a campaign: everything that can be known before the first message is checked now, the
campaign is frozen into its snapshot, and it is scheduled.

Refused, with the reason, and nothing changed: a campaign that is not a draft; a segment that is archived or
empty now; a template that is not a published marketing template; a schedule with no occurrence ahead (a
moment passed, a game with no draw to come); channels on which the gate lets no member be reached (consent,
responsible gaming, caps); a control too small to measure the expected effect (unless the approver accepts
that); an offer whose worst case is over its budget and may not be capped (``offers.py``); an approval by
the campaign's author when its audience or cost (messages, and the offer's worst case) is above the
four-eyes threshold. Approving a jackpot campaign, or one whose offer gives points, makes the cron schedule
of the job that watches jackpots or credits the points, if the operator has not made it.

The control's power is judged on the response rate, with the baseline taken from the segment itself: the
share of its members whose last purchase falls within one response window back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor, record
from lottocrm.contact_policy.service import current_policy
from lottocrm.errors import ServiceError
from lottocrm.marketing.boosts.service import open_boosts
from lottocrm.marketing.campaigns.definition import CampaignDefinition, CampaignInputError, parse_definition
from lottocrm.marketing.campaigns.jackpot import WATCH_JOB, ensure_watch_schedule
from lottocrm.marketing.campaigns.launch_jobs import schedule_launch
from lottocrm.marketing.campaigns.offer_points import CREDIT_JOB
from lottocrm.marketing.campaigns.offers import check_budget, roubles, worst_case_kopecks
from lottocrm.marketing.campaigns.schedule import first_occurrence
from lottocrm.marketing.campaigns.selection import Plan, waterfall
from lottocrm.marketing.campaigns.service import CampaignStateConflict, get_campaign
from lottocrm.marketing.campaigns.settings import CampaignSettings
from lottocrm.marketing.results.power import Detectability, minimum_detectable_effect
from lottocrm.marketing.segments.audience import count, frame_at
from lottocrm.marketing.segments.conditions import All, Condition, Node
from lottocrm.marketing.segments.service import current_version, get_segment, tree
from lottocrm.messaging.templates.models import MessageTemplate
from lottocrm.messaging.templates.service import published_version

# PostHog's floor: a rate is measurable only when the control expects more than five responders.
MIN_EXPECTED_RESPONDERS = 5


class AudienceUnreachable(ServiceError):
    code, http_status = "campaign_audience_unreachable", 422


class ControlTooSmall(ServiceError):
    code, http_status = "campaign_control_too_small", 422


class SecondApproverNeeded(ServiceError):
    code, http_status = "campaign_needs_second_approver", 403


@dataclass(frozen=True)
class Approval:
    campaign_id: int
    first_run_at: dt.datetime
    counts: dict[str, int]
    control: int
    detectability: Detectability | None
    four_eyes: bool


def approve_campaign(
    session: Session,
    *,
    actor: Actor,
    campaign_id: int,
    accept_small_control: bool = False,
    settings: CampaignSettings | None = None,
) -> Approval:
    settings = settings or CampaignSettings.from_environment()
    campaign = get_campaign(session, campaign_id, lock=True)
    if campaign.status != "draft":
        raise CampaignStateConflict(
            "campaign %(id)s is %(status)s: only a draft is approved", id=campaign.id, status=campaign.status
        )
    definition = parse_definition(campaign.definition)
    assert campaign.segment_id is not None
    segment = get_segment(session, campaign.segment_id)
    if segment.archived_at is not None:
        raise CampaignInputError("segment %(name)s is archived", name=segment.name)
    version = current_version(session, segment.id)
    templates = frozen_templates(session, definition)
    now = clock.now()
    occurrence = first_occurrence(session, definition.schedule, now=now)
    node = tree(version)
    frame = frame_at(session, now)
    counts = waterfall(session, approval_plan(session, campaign.id, node, frame, definition, settings))
    check_reachable(counts, definition)
    control = round(counts["chosen"] * definition.control_share)
    detectability = check_measurable(session, node, frame, definition, counts, control, accept_small_control)
    costing = cost_of(definition, counts, settings)
    if actor.name == campaign.created_by and (refusal := costing.refusal_of_author()) is not None:
        raise refusal
    policy_version, _ = current_policy(session)
    campaign.snapshot = {
        "definition": definition.model_dump(mode="json"),
        "segment": {
            "id": segment.id,
            "name": segment.name,
            "version_id": version.id,
            "version": version.number,
            "definition": version.definition,
        },
        "template_versions": templates,
        "policy_version": policy_version,
        "approved_counts": counts,
        "approved_cost_kopecks": costing.cost_kopecks,
    }
    campaign.status, campaign.next_run_at = "scheduled", occurrence.at
    schedule_launch(session, campaign, occurrence)
    _ensure_jobs(session, definition)
    campaign.approved_at, campaign.approved_by, campaign.approved_audience = now, actor.name, counts["chosen"]
    detail: dict[str, Any] = {
        "campaign_id": campaign.id,
        "audience": counts["chosen"],
        "four_eyes": costing.four_eyes,
        "cost_kopecks": costing.cost_kopecks,
    }
    if costing.cap is not None:
        detail["treated_cap"] = costing.cap
    if detectability is not None:
        detail["mde"] = round(detectability.mde_absolute, 6)
    record(session, actor=actor, action="campaign.approve", detail=detail)
    return Approval(campaign.id, occurrence.at, counts, control, detectability, costing.four_eyes)


@dataclass(frozen=True)
class Costing:
    """What approving a campaign would commit to: its members after an offer's budget cap, its worst-case cost
    (messages and the offer) and whether four-eyes applies."""

    chosen: int
    cap: int | None
    members: int
    cost_kopecks: int
    players_over: bool
    cost_over: bool

    @property
    def four_eyes(self) -> bool:
        return self.players_over or self.cost_over

    def refusal_of_author(self) -> SecondApproverNeeded | None:
        """Why the campaign's author may not approve it alone (None: they may)."""
        if self.cost_over:
            return SecondApproverNeeded(
                "a campaign costing up to %(cost)s ₽ (messages and the offer's worst case) needs an approver "
                "other than its author",
                cost=roubles(self.cost_kopecks),
            )
        if self.players_over:
            return SecondApproverNeeded(
                "a campaign of %(players)s players needs an approver other than its author",
                players=self.chosen,
            )
        return None


def cost_of(definition: CampaignDefinition, counts: dict[str, int], settings: CampaignSettings) -> Costing:
    """The costing of the waterfall's ``counts``; refused when the offer's worst case is over its budget and
    the offer may not be capped (``offers.check_budget``)."""
    chosen = counts["chosen"]
    control = round(chosen * definition.control_share)
    cap = check_budget(definition.offer, treated=chosen - control)
    # A capped run keeps both arms in proportion, so its members are the cap over the treated share.
    members = chosen if cap is None else round(cap / (1 - definition.control_share))
    treated = chosen - control if cap is None else cap
    cost = members * definition.cost_per_message_kopecks + worst_case_kopecks(definition.offer, treated)
    return Costing(
        chosen=chosen,
        cap=cap,
        members=members,
        cost_kopecks=cost,
        players_over=chosen > settings.four_eyes_players,
        cost_over=cost > settings.four_eyes_cost_kopecks,
    )


def _ensure_jobs(session: Session, definition: CampaignDefinition) -> None:
    if definition.schedule.kind == "jackpot":
        ensure_watch_schedule(session, kind=WATCH_JOB, name="campaign jackpots", cron="*/5 * * * *")
    if definition.offer is not None and definition.offer.bonus_points is not None:
        ensure_watch_schedule(session, kind=CREDIT_JOB, name="campaign offer points", cron="17 * * * *")


def approval_plan(
    session: Session,
    campaign_id: int,
    node: Node,
    frame: Any,
    definition: CampaignDefinition,
    settings: CampaignSettings,
) -> Plan:
    """The plan a run would follow now: what approval counts (run 0: nothing is written)."""
    return Plan(
        run_id=0,
        campaign_id=campaign_id,
        node=node,
        frame=frame,
        channels=definition.channels,
        control_share=definition.control_share,
        variants=definition.variants,
        holdout_percent=settings.global_holdout_percent,
        per_player_day=settings.campaigns_per_player_day,
        boosts=open_boosts(session, frame.at),
    )


def frozen_templates(session: Session, definition: CampaignDefinition) -> dict[str, int]:
    """The published version each variant sends, frozen now (a later publication does not change it)."""
    versions = {}
    for variant in definition.variants:
        template = session.get(MessageTemplate, variant.template_id)
        if template is None:
            raise CampaignInputError(
                "variant %(variant)s: template %(id)s does not exist",
                variant=variant.name,
                id=variant.template_id,
            )
        if template.message_class != "marketing":
            raise CampaignInputError(
                "variant %(variant)s: template %(code)s is not a marketing template",
                variant=variant.name,
                code=template.code,
            )
        published = published_version(session, template_id=template.id)
        if published is None:
            raise CampaignInputError(
                "variant %(variant)s: template %(code)s has no published version",
                variant=variant.name,
                code=template.code,
            )
        versions[variant.name] = published.id
    return versions


def check_reachable(counts: dict[str, int], definition: CampaignDefinition) -> None:
    if counts["segment"] == 0:
        raise AudienceUnreachable("the segment holds no player now: nothing would be sent")
    if counts["segment"] == counts["not_reachable"]:
        raise AudienceUnreachable(
            "none of the segment's %(players)s players may be sent marketing on %(channels)s now (consent, "
            "responsible gaming, reachability or the caps stop every one)",
            players=counts["segment"],
            channels=", ".join(definition.channels),
        )
    if counts["chosen"] == 0:
        raise AudienceUnreachable(
            "every reachable player is in the global holdout or already chosen by another campaign today"
        )


def check_measurable(
    session: Session,
    node: Node,
    frame: Any,
    definition: CampaignDefinition,
    counts: dict[str, int],
    control: int,
    accept_small_control: bool,
) -> Detectability | None:
    chosen = counts["chosen"]
    treated = chosen - control
    window = definition.response.window_days
    recent = All((node, Condition("record.last_purchase", "within_last_days", window)))
    baseline = count(session, recent, frame) / max(counts["segment"], 1)
    if control == 0 or treated == 0 or control * baseline <= MIN_EXPECTED_RESPONDERS:
        if accept_small_control:
            return None
        if baseline == 0 and control > 0:
            # Nothing to estimate a response rate from (a new segment, or no sales loaded yet): say so rather
            # than quote a rate of 0 %.
            raise ControlTooSmall(
                "nobody in the segment has bought in the last %(days)s days (the response window), so there "
                "is no response rate to measure against; check that sales are loaded and the segment is the "
                "one meant, or approve accepting an unmeasured campaign",
                days=window,
            )
        raise ControlTooSmall(
            "the control would hold %(control)s players, whose expected responders (at the segment's "
            "recent purchase rate, %(rate)s) are too few to measure anything; widen the segment or raise "
            "the control share, or approve accepting an unmeasured campaign",
            control=control,
            rate=f"{baseline:.1%}",
        )
    found = minimum_detectable_effect(
        n_treatment=treated,
        n_control=control,
        baseline_mean=min(max(baseline, 1e-6), 1 - 1e-6),
        expected_absolute=definition.expected_uplift,
    )
    if found.measurable is False and not accept_small_control:
        raise ControlTooSmall(
            "a control of %(control)s players detects a lift of %(mde)s points or more; the expected "
            "%(expected)s would go unseen: raise the control share or accept an unmeasured campaign",
            control=control,
            mde=f"{found.mde_absolute * 100:.2f}",
            expected=f"{(definition.expected_uplift or 0) * 100:.2f}",
        )
    return found
