"""The approvals queue: every draft waiting for an approver, with what approving it now would find — the
audience and its cost, whether four-eyes applies, and each check that would refuse it (the same checks as
``approval.approve_campaign``, collected instead of raised, and nothing written).

Approval is done straight from a draft (there is no "submitted" state), so the queue is the drafts, oldest
first; a draft of the viewer's own that needs four-eyes says so, since they cannot approve it themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.errors import ServiceError
from lottocrm.marketing.campaigns.approval import (
    approval_plan,
    check_measurable,
    check_reachable,
    cost_of,
    frozen_templates,
)
from lottocrm.marketing.campaigns.definition import CampaignInputError, parse_definition
from lottocrm.marketing.campaigns.models import Campaign
from lottocrm.marketing.campaigns.schedule import first_occurrence
from lottocrm.marketing.campaigns.selection import waterfall
from lottocrm.marketing.campaigns.settings import CampaignSettings
from lottocrm.marketing.results.power import Detectability
from lottocrm.marketing.segments.audience import frame_at
from lottocrm.marketing.segments.models import Segment
from lottocrm.marketing.segments.service import current_version, tree


@dataclass
class Review:
    campaign: Campaign
    segment_name: str | None
    own: bool
    audience: int | None = None
    control: int | None = None
    cost_kopecks: int | None = None
    four_eyes: bool | None = None
    first_run_at: dt.datetime | None = None
    detectability: Detectability | None = None
    problems: list[ServiceError] = field(default_factory=list)

    @property
    def approvable(self) -> bool:
        """Nothing found that would refuse the viewer's approval now."""
        return not self.problems


def waiting(session: Session, *, page: int, per_page: int) -> tuple[list[Campaign], int]:
    """The drafts of a page of the queue, oldest first, and how many drafts there are."""
    drafts = select(Campaign).where(Campaign.status == "draft")
    total = int(session.scalar(select(func.count()).select_from(drafts.subquery())) or 0)
    rows = session.scalars(
        drafts.order_by(Campaign.created_at, Campaign.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total


def review_draft(
    session: Session, *, campaign: Campaign, viewer: str, settings: CampaignSettings | None = None
) -> Review:
    settings = settings or CampaignSettings.from_environment()
    segment = session.get(Segment, campaign.segment_id) if campaign.segment_id else None
    review = Review(campaign, segment.name if segment else None, own=campaign.created_by == viewer)
    try:
        definition = parse_definition(campaign.definition)
    except CampaignInputError as error:
        review.problems.append(error)
        return review
    now = clock.now()
    try:
        frozen_templates(session, definition)
    except ServiceError as error:
        review.problems.append(error)
    try:
        review.first_run_at = first_occurrence(session, definition.schedule, now=now).at
    except ServiceError as error:
        review.problems.append(error)
    if segment is None or segment.archived_at is not None:
        review.problems.append(
            CampaignInputError("segment %(name)s is archived", name=segment.name if segment else "—")
        )
        return review
    try:
        node, frame = tree(current_version(session, segment.id)), frame_at(session, now)
        counts = waterfall(session, approval_plan(session, campaign.id, node, frame, definition, settings))
        check_reachable(counts, definition)
    except ServiceError as error:
        review.problems.append(error)
        return review
    review.audience = counts["chosen"]
    review.control = round(counts["chosen"] * definition.control_share)
    try:
        review.detectability = check_measurable(
            session, node, frame, definition, counts, review.control, False
        )
    except ServiceError as error:
        review.problems.append(error)
    try:
        costing = cost_of(definition, counts, settings)
    except ServiceError as error:  # the offer's worst case is over a budget it may not be capped to
        review.problems.append(error)
        return review
    review.cost_kopecks, review.four_eyes = costing.cost_kopecks, costing.four_eyes
    if review.own and (refusal := costing.refusal_of_author()) is not None:
        review.problems.append(refusal)
    return review
