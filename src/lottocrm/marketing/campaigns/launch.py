"""Launching a campaign's run: members chosen in one transaction, the treated queued in chunks after it.

1. **Choose** (one transaction, so a failure leaves nothing): the run row (unique per occurrence: a second
   launch of the same occurrence is refused), the members of both arms (``selection.choose``), a
   "control" row in the contact history for each control player, the counts, an audit row. Launches are
   serialised (an advisory lock on PostgreSQL, the write lock on SQLite), so two campaigns launched at once
   cannot both take a player the day's budget gives only one of them.
2. **Queue** the treated players in chunks of ``CHUNK``, each its own transaction: the gate's permits for
   the chunk (``issue_permits``: quiet hours hold a message until the player's morning, spread), one
   templated message per permit (rendered by the dispatcher), the member's message id, the progress count.
   A killed launch resumes where it stopped (members without a message); a dedupe key per run and player
   means a message is never queued twice. A member the gate stops between choosing and queueing (a consent
   withdrawn in between) stays without a message and is counted as ``stopped_at_queueing``.
3. **Finish**: the run is "queued"; a one-off campaign is done, a recurring one is scheduled for its next
   occurrence (a durable job at that moment), or done when none is left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, String, and_, case, cast, func, literal, select, text, update
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor, record
from lottocrm.contact_policy import ledger
from lottocrm.contact_policy.audience import issue_permits, released_now
from lottocrm.contact_policy.service import current_policy
from lottocrm.db.engine import transaction
from lottocrm.db.statistics import plan_for_bulk, refresh_statistics
from lottocrm.errors import Conflict
from lottocrm.marketing.boosts.service import open_boosts
from lottocrm.marketing.campaigns.definition import CampaignDefinition
from lottocrm.marketing.campaigns.launch_jobs import schedule_launch
from lottocrm.marketing.campaigns.models import Campaign, CampaignMember, CampaignRun
from lottocrm.marketing.campaigns.offers import apply_offer
from lottocrm.marketing.campaigns.schedule import due_key, next_occurrence
from lottocrm.marketing.campaigns.selection import Plan, choose
from lottocrm.marketing.campaigns.service import CampaignStateConflict, get_campaign
from lottocrm.marketing.campaigns.settings import CampaignSettings
from lottocrm.marketing.segments.audience import frame_at
from lottocrm.marketing.segments.conditions import parse
from lottocrm.messaging.bulk_queue import queue_templated_rows
from lottocrm.messaging.models import Message
from lottocrm.messaging.service import Templated, queue_templated

CHUNK = 50_000
_OUTBOX = Message.__table__
LAUNCHER = Actor("job:campaigns")
# Any constant: the key of the PostgreSQL advisory lock that makes launches take turns.
_LAUNCH_LOCK = 0x6C6F74746F


class CampaignAlreadyLaunched(Conflict):
    code = "campaign_already_launched"


@dataclass(frozen=True)
class LaunchResult:
    campaign_id: int
    run_id: int
    occurrence: str
    counts: dict[str, int]


Progress = Callable[[int, int], None]


def launch(
    engine: Engine,
    *,
    campaign_id: int,
    occurrence: str | None = None,
    actor: Actor = LAUNCHER,
    settings: CampaignSettings | None = None,
    progress: Progress | None = None,
) -> LaunchResult:
    """Choose, queue and finish one run of the campaign (its due occurrence unless named)."""
    settings = settings or CampaignSettings.from_environment()
    run_id, key = _choose(
        engine, campaign_id=campaign_id, occurrence=occurrence, actor=actor, settings=settings
    )
    queue_run(engine, run_id=run_id, progress=progress)
    counts = _finish(engine, run_id=run_id)
    return LaunchResult(campaign_id, run_id, key, counts)


def _choose(
    engine: Engine, *, campaign_id: int, occurrence: str | None, actor: Actor, settings: CampaignSettings
) -> tuple[int, str]:
    with transaction(engine) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LAUNCH_LOCK})
        campaign = get_campaign(session, campaign_id, lock=True)
        if campaign.status != "scheduled" or campaign.snapshot is None:
            raise CampaignStateConflict(
                "campaign %(id)s is %(status)s: only a scheduled campaign is launched",
                id=campaign.id,
                status=campaign.status,
            )
        snapshot = campaign.snapshot
        definition = CampaignDefinition.model_validate(snapshot["definition"])
        key = occurrence or due_key(session, definition.schedule, due=campaign.next_run_at)
        now = clock.now()
        # Under the campaign's row lock no other launch of it runs; the unique key is the backstop.
        launched = session.scalar(
            select(CampaignRun.started_at).where(
                CampaignRun.campaign_id == campaign.id, CampaignRun.occurrence == key
            )
        )
        if launched is not None:
            raise CampaignAlreadyLaunched(
                "occurrence %(occurrence)s of campaign %(id)s was launched already, at %(at)s",
                occurrence=key,
                id=campaign.id,
                at=launched.isoformat(timespec="minutes"),
            )
        run = CampaignRun(
            campaign_id=campaign.id, occurrence=key, status="selecting", started_at=now, counts={}
        )
        session.add(run)
        session.flush()
        plan = Plan(
            run_id=run.id,
            campaign_id=campaign.id,
            node=parse(snapshot["segment"]["definition"]),
            frame=frame_at(session, now),
            channels=definition.channels,
            control_share=definition.control_share,
            variants=definition.variants,
            holdout_percent=settings.global_holdout_percent,
            per_player_day=settings.campaigns_per_player_day,
            boosts=open_boosts(session, now),
        )
        counts = choose(session, plan)
        # The offer's budget cap and promo codes (offers.py).
        counts["offer_capped"] = apply_offer(
            session, run_id=run.id, campaign_id=campaign.id, definition=definition
        )
        members = CampaignMember.__table__
        arms = dict(
            session.execute(
                select(members.c.arm, func.count()).where(members.c.run_id == run.id).group_by(members.c.arm)
            ).all()
        )
        policy_version, _ = current_policy(session)
        ledger.record_held_back(
            session,
            select(members.c.player_id, members.c.channel).where(
                members.c.run_id == run.id, members.c.arm == "control"
            ),
            at=now,
            message_class="marketing",
            source_kind="campaign",
            source_id=str(campaign.id),
            policy_version=policy_version,
        )
        run.counts = {
            **counts,
            "treatment": int(arms.get("treatment", 0)),
            "control": int(arms.get("control", 0)),
            "queued": 0,
            "stopped_at_queueing": 0,
        }
        campaign.status = "running"
        record(
            session,
            actor=actor,
            action="campaign.launch",
            detail={"campaign_id": campaign.id, "run_id": run.id, "occurrence": key, **run.counts},
        )
        return run.id, key


def queue_run(engine: Engine, *, run_id: int, progress: Progress | None = None) -> int:
    """Queue the run's treated members that have no message yet, chunk by chunk (ranges of player ids, each
    its own transaction); how many were queued."""
    members = CampaignMember.__table__
    after, queued = 0, 0
    with transaction(engine) as session:
        # The members were written a moment ago, and the outbox may have been empty when last analysed.
        refresh_statistics(session, members.name, _OUTBOX.name)
    while True:
        with transaction(engine) as session:
            plan_for_bulk(session)
            run = session.get(CampaignRun, run_id)
            assert run is not None
            campaign = session.get(Campaign, run.campaign_id)
            assert campaign is not None and campaign.snapshot is not None
            waiting = and_(
                members.c.run_id == run_id,
                members.c.arm == "treatment",
                members.c.message_id.is_(None),
                members.c.player_id > after,
            )
            ids = select(members.c.player_id).where(waiting).order_by(members.c.player_id)
            last = session.scalar(ids.offset(CHUNK - 1).limit(1)) or session.scalar(
                select(func.max(members.c.player_id)).where(waiting)
            )
            if last is None:
                return queued
            chunk = and_(waiting, members.c.player_id <= last)
            size = int(session.scalar(select(func.count()).where(chunk)) or 0)
            _queue_chunk(session, run, campaign, chunk, (after + 1, last))
            # Those the gate stopped in between are still waiting (and will be asked again on a resume).
            done = size - int(session.scalar(select(func.count()).where(chunk)) or 0)
            after = last
            queued += done
            counts = dict(run.counts)
            counts["queued"] = counts.get("queued", 0) + done
            counts["stopped_at_queueing"] = counts.get("stopped_at_queueing", 0) + size - done
            run.counts = counts
            total = counts.get("treatment", 0)
        if progress is not None:
            progress(counts["queued"] + counts["stopped_at_queueing"], total)


def _dedupe_key(run_id: int, player_id: Any) -> Any:
    return literal(f"campaign-run:{run_id}:") + cast(player_id, String)


def _queue_chunk(
    session: Session, run: CampaignRun, campaign: Campaign, chunk: Any, between: tuple[int, int]
) -> None:
    """The chunk's messages: those the gate releases now in two statements per channel, those held by quiet
    hours one permit each (each has its own release moment); then each member's message id. ``between``: the
    chunk's first and last player id, so that each statement reads that range only."""
    members = CampaignMember.__table__
    versions: dict[str, int] = (campaign.snapshot or {})["template_versions"]
    moment = clock.now()
    source_id = str(campaign.id)
    for channel in session.scalars(select(members.c.channel).where(chunk).distinct()).all():
        in_channel = and_(chunk, members.c.channel == channel)
        released = released_now(
            session,
            players=select(members.c.player_id).where(in_channel),
            channel=channel,
            message_class="marketing",
            source_kind="campaign",
            at=moment,
            between=between,
        )
        now = released.rows.subquery("now")
        permitted = select(
            now.c.player_id,
            now.c.contact_point,
            now.c.consent_event_id,
            case(*((members.c.variant == name, version) for name, version in versions.items())).label(
                "template_version_id"
            ),
            members.c.variant,
            _dedupe_key(run.id, now.c.player_id).label("dedupe_key"),
        ).join(members, and_(members.c.player_id == now.c.player_id, in_channel))
        queue_templated_rows(
            session,
            permitted=permitted,
            channel=channel,
            message_class="marketing",
            versions=list(versions.values()),
            variants=list(versions),
            source_kind="campaign",
            source_id=source_id,
            policy_version=released.policy_version,
            at=moment,
        )
        if released.held:
            _queue_held(session, run, versions, channel, released.held, source_id, moment)
    queued = _OUTBOX.alias("queued")
    session.execute(
        update(members)
        .where(chunk)
        .values(
            message_id=select(queued.c.id)
            .where(queued.c.dedupe_key == _dedupe_key(run.id, members.c.player_id))
            .scalar_subquery()
        )
    )


def _queue_held(
    session: Session,
    run: CampaignRun,
    versions: dict[str, int],
    channel: str,
    held: list[int],
    source_id: str,
    moment: dt.datetime,
) -> None:
    """Players the gate releases later (quiet hours in their own zone): a permit each, with its moment."""
    members = CampaignMember.__table__
    variant_of = dict(
        session.execute(
            select(members.c.player_id, members.c.variant).where(
                members.c.run_id == run.id, members.c.player_id.in_(held)
            )
        ).all()
    )
    items = [
        Templated(
            permit=permit,
            template_version_id=versions[variant_of[permit.player_id]],
            dedupe_key=f"campaign-run:{run.id}:{permit.player_id}",
            variant=variant_of[permit.player_id],
        )
        for permit in issue_permits(
            session,
            player_ids=held,
            channel=channel,
            message_class="marketing",
            source_kind="campaign",
            source_id=source_id,
            at=moment,
        )
    ]
    queue_templated(session, items, at=moment)


def _finish(engine: Engine, *, run_id: int) -> dict[str, int]:
    with transaction(engine) as session:
        run = session.get(CampaignRun, run_id)
        assert run is not None
        campaign = get_campaign(session, run.campaign_id, lock=True)
        now = clock.now()
        run.status, run.finished_at = "queued", now
        definition = CampaignDefinition.model_validate((campaign.snapshot or {})["definition"])
        following = (
            None if campaign.kind == "one_off" else next_occurrence(session, definition.schedule, after=now)
        )
        if campaign.status == "running":
            if following is None:
                campaign.status, campaign.next_run_at, campaign.ended_at = "done", None, now
            else:
                campaign.status, campaign.next_run_at = "scheduled", following.at
                schedule_launch(session, campaign, following)
        return dict(run.counts)
