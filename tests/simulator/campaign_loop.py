"""The campaign loop on a small simulated operator, shared by the slow test and bench/campaign_loop_bench.py:
simulate, write the analytical record, approve and launch a campaign to everyone reachable with a large
control, advance simulated time over its response window, measure it, and read the planted truth."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from lottocrm import clock
from lottocrm.analytics.mart.config import mart_options
from lottocrm.audit.service import Actor
from lottocrm.cli.simulate import campaign_members
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.marketing.campaigns import service as campaigns
from lottocrm.marketing.campaigns.approval import approve_campaign
from lottocrm.marketing.campaigns.launch import launch
from lottocrm.marketing.reporting.schemas import CampaignResults
from lottocrm.marketing.reporting.service import campaign_results
from lottocrm.marketing.segments import service as segments
from lottocrm.messaging import demo
from lottocrm.messaging.templates import service as templates
from lottocrm.simulator import campaign_effects
from lottocrm.simulator.advance import AdvanceResult, advance
from lottocrm.simulator.params import SimulationConfig
from lottocrm.simulator.run import simulate

AUTHOR, APPROVER = Actor("user:marketer"), Actor("user:approver")
END = dt.date(2026, 3, 2)  # a Monday: the record is written the night before, the send at 10:00 Moscow
SENT_AT = dt.datetime.combine(END, dt.time(7, 0), dt.UTC)
WINDOW_DAYS = 7
EVERYONE = {"field": "profile.registration_channel", "op": "known"}


@dataclass(frozen=True)
class LoopOutcome:
    campaign_id: int
    run_id: int
    results: CampaignResults
    truth: dict[str, object]
    advanced: AdvanceResult


def simulate_operator(engine: Engine, root: Path, *, seed: int, players: int) -> SimulationConfig:
    config = SimulationConfig(players=players, seed=seed, end=END, years=1)
    simulate(config, engine=engine, lake=Lake(root / "lake"), truth_dir=root / "ground-truth", workers=1)
    as_of = END - dt.timedelta(days=1)
    # Imported here: the mart pulls Ibis in, which only this step needs.
    from lottocrm.analytics.mart.pipeline import write_records

    write_records(
        engine,
        lake=Lake(root / "lake"),
        options=mart_options(timezone="Europe/Moscow"),
        days=[as_of],
        actor=AUTHOR,
        today=END,
    )
    return config


def send_campaign(engine: Engine, *, control_share: float = 0.5) -> tuple[int, int]:
    """A one-off SMS/e-mail/push campaign to every reachable player, launched at ``SENT_AT``."""
    with clock.frozen(SENT_AT - dt.timedelta(hours=1)):
        with transaction(engine) as session:
            template = templates.create_template(
                session, actor=AUTHOR, code="offer", name="Предложение", message_class="marketing"
            )
            draft = templates.save_draft(session, actor=AUTHOR, template_id=template.id, bodies=demo.WELCOME)
            templates.publish_version(session, actor=AUTHOR, version_id=draft.version.id)
            segment_id = segments.create_segment(
                session, actor=AUTHOR, name="Все", definition=EVERYONE
            ).segment_id
            campaign = campaigns.create_campaign(
                session,
                actor=AUTHOR,
                name="Проверка эффекта",
                segment_id=segment_id,
                definition={
                    "channels": ["sms", "email", "push"],
                    "variants": [{"name": "A", "template_id": template.id}],
                    "schedule": {"kind": "once", "at": SENT_AT.isoformat()},
                    "control_share": control_share,
                    "response": {"kind": "purchase", "window_days": WINDOW_DAYS},
                },
            )
        with transaction(engine) as session:
            approve_campaign(session, actor=APPROVER, campaign_id=campaign.id)
    with clock.frozen(SENT_AT):
        run = launch(engine, campaign_id=campaign.id)
    return campaign.id, run.run_id


def advance_window(engine: Engine, root: Path, *, days: int = WINDOW_DAYS + 1) -> AdvanceResult:
    return advance(
        truth_dir=root / "ground-truth",
        engine=engine,
        lake=Lake(root / "lake"),
        days=days,
        members=campaign_members(engine),
    )


def run_loop(engine: Engine, root: Path, *, seed: int, players: int) -> LoopOutcome:
    simulate_operator(engine, root, seed=seed, players=players)
    campaign_id, run_id = send_campaign(engine)
    advanced = advance_window(engine, root)
    with clock.frozen(SENT_AT + dt.timedelta(days=WINDOW_DAYS + 1)), transaction(engine) as session:
        results = campaign_results(session, campaign_id=campaign_id, lake=Lake(root / "lake"))
    truth = campaign_effects.summary(root / "ground-truth", [run_id])
    return LoopOutcome(campaign_id, run_id, results, truth, advanced)
