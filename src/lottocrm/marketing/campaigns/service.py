"""Campaign drafts and their life: create, edit, cancel, pause, resume. Approval is in ``approval.py`` and
launching in ``launch.py``. Each change leaves an audit row in the caller's transaction; nothing commits.

States: draft → scheduled (approved, waiting for its next occurrence) → running (a run is being queued) →
scheduled again (a recurring campaign) or done; paused and cancelled from any state but done. Only a draft
can be edited: an approved campaign is what its approver saw.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor, record
from lottocrm.errors import Conflict, NotFound
from lottocrm.marketing.campaigns.definition import CampaignDefinition, CampaignInputError, parse_definition
from lottocrm.marketing.campaigns.launch_jobs import schedule_launch
from lottocrm.marketing.campaigns.models import Campaign
from lottocrm.marketing.campaigns.schedule import next_occurrence
from lottocrm.marketing.segments.service import get_segment

MAX_NAME = 200
ENDED = frozenset({"done", "cancelled"})


class CampaignNotFound(NotFound):
    code = "campaign_not_found"


class CampaignStateConflict(Conflict):
    code = "campaign_state_conflict"


def _name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME:
        raise CampaignInputError("a campaign's name is 1 to %(limit)s characters", limit=MAX_NAME)
    return cleaned


def _kind(definition: CampaignDefinition) -> str:
    return "one_off" if definition.schedule.kind == "once" else "recurring"


def create_campaign(
    session: Session, *, actor: Actor, name: str, segment_id: int, definition: Any
) -> Campaign:
    parsed = parse_definition(definition)
    segment = get_segment(session, segment_id)
    campaign = Campaign(
        name=_name(name),
        kind=_kind(parsed),
        status="draft",
        segment_id=segment.id,
        definition=parsed.model_dump(mode="json"),
        created_at=clock.now(),
        created_by=actor.name,
    )
    session.add(campaign)
    session.flush()
    record(
        session,
        actor=actor,
        action="campaign.create",
        detail={"campaign_id": campaign.id, "name": campaign.name},
    )
    return campaign


def update_campaign(
    session: Session,
    *,
    actor: Actor,
    campaign_id: int,
    name: str | None = None,
    segment_id: int | None = None,
    definition: Any = None,
) -> Campaign:
    campaign = get_campaign(session, campaign_id, lock=True)
    if campaign.status != "draft":
        raise CampaignStateConflict(
            "campaign %(id)s is %(status)s: only a draft can be edited",
            id=campaign.id,
            status=campaign.status,
        )
    if name is not None:
        campaign.name = _name(name)
    if segment_id is not None:
        campaign.segment_id = get_segment(session, segment_id).id
    if definition is not None:
        parsed = parse_definition(definition)
        campaign.definition = parsed.model_dump(mode="json")
        campaign.kind = _kind(parsed)
    record(session, actor=actor, action="campaign.update", detail={"campaign_id": campaign.id})
    return campaign


def cancel_campaign(session: Session, *, actor: Actor, campaign_id: int) -> Campaign:
    """Stop a campaign for good: no further run starts (messages already queued are sent, as each is
    checked again by the gate when it leaves)."""
    campaign = _move(
        session, campaign_id, to="cancelled", allowed=("draft", "scheduled", "paused", "running")
    )
    campaign.next_run_at = None
    campaign.ended_at = clock.now()
    record(session, actor=actor, action="campaign.cancel", detail={"campaign_id": campaign.id})
    return campaign


def pause_campaign(session: Session, *, actor: Actor, campaign_id: int) -> Campaign:
    campaign = _move(session, campaign_id, to="paused", allowed=("scheduled",))
    record(session, actor=actor, action="campaign.pause", detail={"campaign_id": campaign.id})
    return campaign


def resume_campaign(session: Session, *, actor: Actor, campaign_id: int) -> Campaign:
    """Back to its schedule; occurrences missed while paused are not sent late (the launcher takes the next
    occurrence after now)."""
    campaign = _move(session, campaign_id, to="scheduled", allowed=("paused",))
    definition = CampaignDefinition.model_validate((campaign.snapshot or {})["definition"])
    following = next_occurrence(session, definition.schedule, after=clock.now())
    if following is None:
        raise CampaignStateConflict(
            "campaign %(id)s has no occurrence left to resume for: its schedule has passed", id=campaign.id
        )
    campaign.next_run_at = following.at
    schedule_launch(session, campaign, following)
    record(session, actor=actor, action="campaign.resume", detail={"campaign_id": campaign.id})
    return campaign


def _move(session: Session, campaign_id: int, *, to: str, allowed: tuple[str, ...]) -> Campaign:
    campaign = get_campaign(session, campaign_id, lock=True)
    if campaign.status not in allowed:
        raise CampaignStateConflict(
            "campaign %(id)s is %(status)s and cannot become %(to)s",
            id=campaign.id,
            status=campaign.status,
            to=to,
        )
    campaign.status = to
    return campaign


def get_campaign(session: Session, campaign_id: int, *, lock: bool = False) -> Campaign:
    campaign = session.get(Campaign, campaign_id, with_for_update=lock)
    if campaign is None:
        raise CampaignNotFound("campaign %(id)s does not exist", id=campaign_id)
    return campaign
