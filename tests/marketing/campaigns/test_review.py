"""The approvals queue's review of a draft: the audience, control, cost and four-eyes that approval would
find and every check that would refuse it, collected and written nowhere (the draft stays a draft, no audit
row)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from lottocrm import clock
from lottocrm.audit.models import AuditEvent
from lottocrm.db.engine import transaction
from lottocrm.marketing.campaigns import service
from lottocrm.marketing.campaigns.approval import SecondApproverNeeded, approve_campaign
from lottocrm.marketing.campaigns.definition import CampaignInputError
from lottocrm.marketing.campaigns.models import Campaign
from lottocrm.marketing.campaigns.offers import OfferOverBudget
from lottocrm.marketing.campaigns.review import Review, review_draft
from lottocrm.marketing.campaigns.settings import CampaignSettings
from lottocrm.marketing.segments import service as segments

from .helpers import APPROVER, AUTHOR, definition, published_template, segment, write_record

AS_OF = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
LATER = AS_OF + dt.timedelta(hours=2)
EVERYONE = {"field": "profile.registration_channel", "op": "known"}
FOUR_EYES = CampaignSettings(four_eyes_players=10)


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with clock.frozen(AS_OF):
        yield


@pytest.fixture
def world(engine: Engine, contactable) -> dict[str, int]:  # type: ignore[no-untyped-def]
    ids = contactable(120)
    write_record(engine, ids[:60], as_of=AS_OF.date(), bought_on=AS_OF.date() - dt.timedelta(days=3))
    write_record(engine, ids[60:], as_of=AS_OF.date() - dt.timedelta(days=1), bought_on=None)
    return {"template": published_template(engine), "segment": segment(engine, EVERYONE)}


def _draft(engine: Engine, world: dict[str, int], **more) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return service.create_campaign(
            session,
            actor=AUTHOR,
            name="Весенний розыгрыш",
            segment_id=world["segment"],
            definition=definition(world["template"], at=LATER, cost_per_message_kopecks=150, **more),
        ).id


def _review(engine: Engine, campaign_id: int, viewer: str, settings: CampaignSettings) -> Review:
    with transaction(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        review = review_draft(session, campaign=campaign, viewer=viewer, settings=settings)
        audits = session.scalar(select(func.count()).select_from(AuditEvent))
        assert campaign.status == "draft" and campaign.snapshot is None
    review.audits = audits  # type: ignore[attr-defined]
    return review


def test_a_draft_nothing_objects_to_shows_what_approval_then_finds(
    engine: Engine, world: dict[str, int]
) -> None:
    campaign_id = _draft(engine, world)
    review = _review(engine, campaign_id, APPROVER.name, FOUR_EYES)
    assert review.approvable and review.problems == [] and not review.own
    assert review.first_run_at == LATER and review.four_eyes is True
    assert review.detectability is not None and review.detectability.mde_absolute > 0
    with transaction(engine) as session:
        audits_before = session.scalar(select(func.count()).select_from(AuditEvent))
        approval = approve_campaign(session, actor=APPROVER, campaign_id=campaign_id, settings=FOUR_EYES)
    assert review.audits == audits_before  # type: ignore[attr-defined]
    assert review.audience == approval.counts["chosen"] > 10 and review.control == approval.control
    assert review.cost_kopecks == approval.counts["chosen"] * 150


def test_its_own_author_is_told_another_approver_is_needed(engine: Engine, world: dict[str, int]) -> None:
    campaign_id = _draft(engine, world)
    review = _review(engine, campaign_id, AUTHOR.name, FOUR_EYES)
    assert review.own and not review.approvable
    assert [type(problem) for problem in review.problems] == [SecondApproverNeeded]
    below = _review(engine, campaign_id, AUTHOR.name, CampaignSettings(four_eyes_players=10_000))
    assert below.own and below.approvable and below.four_eyes is False


def test_a_schedule_in_the_past_is_named_and_the_audience_still_counted(
    engine: Engine, world: dict[str, int]
) -> None:
    campaign_id = _draft(engine, world)
    with clock.frozen(LATER + dt.timedelta(minutes=5)):
        review = _review(engine, campaign_id, APPROVER.name, FOUR_EYES)
    assert [type(problem) for problem in review.problems] == [CampaignInputError]
    assert "which has passed" in review.problems[0].message and review.audience


def test_a_service_template_and_an_archived_segment_are_named(engine: Engine, world: dict[str, int]) -> None:
    service_template = published_template(engine, code="receipt", message_class="service")
    with transaction(engine) as session:
        campaign = service.create_campaign(
            session,
            actor=AUTHOR,
            name="Квитанция",
            segment_id=world["segment"],
            definition=definition(service_template, at=LATER),
        )
        campaign_id = campaign.id
    review = _review(engine, campaign_id, APPROVER.name, FOUR_EYES)
    assert "is not a marketing template" in review.problems[0].message
    with transaction(engine) as session:
        segments.archive_segment(session, actor=AUTHOR, segment_id=world["segment"])
    archived = _review(engine, campaign_id, APPROVER.name, FOUR_EYES)
    assert "is archived" in archived.problems[-1].message and archived.audience is None


def test_an_offer_over_its_budget_is_named_and_its_worst_case_is_in_the_cost(
    engine: Engine, world: dict[str, int]
) -> None:
    small = {"bonus_points": 100, "value_kopecks": 10_000, "budget_kopecks": 20_000}
    over = _draft(engine, world, offer=small)
    review = _review(engine, over, APPROVER.name, FOUR_EYES)
    assert [type(problem) for problem in review.problems] == [OfferOverBudget]
    assert "over its budget of 200.00 ₽" in review.problems[0].message

    offer = {"bonus_points": 100, "value_kopecks": 10_000, "budget_kopecks": 10_000_000}
    fits = _draft(engine, world, offer=offer)
    review = _review(engine, fits, AUTHOR.name, CampaignSettings(four_eyes_cost_kopecks=100_000))
    treated = review.audience - review.control  # type: ignore[operator]
    assert review.cost_kopecks == review.audience * 150 + treated * 10_000  # type: ignore[operator]
    # The worst case puts it over the author's limit: the cost is named, not the head count.
    assert [type(problem) for problem in review.problems] == [SecondApproverNeeded]
    assert "costing up to" in review.problems[0].message
