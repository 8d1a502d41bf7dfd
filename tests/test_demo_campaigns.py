"""The demo's month of campaigns on a small simulated operator: every campaign of the programme is written by
the marketer, approved by the approver, launched with a control, and measured after its window with an
interval; a sample went through the local gateways and nothing is left queued to leave a month late."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from sqlalchemy import func, select

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.cli import demo_campaigns
from lottocrm.db.engine import make_engine, transaction
from lottocrm.lake.store import Lake
from lottocrm.marketing.campaigns.models import Campaign
from lottocrm.messaging.models import Message
from lottocrm.messaging.sandbox import SandboxMessage
from lottocrm.settings import Settings
from lottocrm.simulator.ground_truth import PLAYERS_DIR
from lottocrm.simulator.params import SimulationConfig
from lottocrm.simulator.run import simulate


@pytest.mark.slow
def test_the_month_of_campaigns_is_measured_with_intervals(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from lottocrm.analytics.churn.pipeline import train_and_score
    from lottocrm.analytics.mart.build import MartOptions
    from lottocrm.analytics.mart.pipeline import write_records

    engine = make_engine(settings.db_url)
    end = clock.operator_day() - dt.timedelta(days=demo_campaigns.MONTH_DAYS)
    lake = Lake(settings.lake_path)
    simulate(
        SimulationConfig(players=4_000, seed=11, end=end, years=2),
        engine=engine,
        lake=lake,
        truth_dir=settings.ground_truth_dir,
        workers=1,
    )
    console = Actor.console()
    write_records(
        engine, actor=console, lake=lake, options=MartOptions(timezone=settings.timezone), days=[end]
    )
    train_and_score(
        settings, engine, end, actor=console, truth_players_dir=settings.ground_truth_dir / PLAYERS_DIR
    )

    month = demo_campaigns.run_month(settings, engine, start=end)
    found = demo_campaigns.results(settings, engine, month)
    demo_campaigns.describe(month, found)

    assert set(found) == {plan.code for plan in demo_campaigns.PLANS}
    for code, outcome in found.items():
        measured = outcome.measurement
        assert measured.treatment.n > 0 and measured.control.n > 0, code
        treated, control = outcome.delivery
        # A sample of every campaign went out; the control heard nothing.
        assert 0 < treated.sent <= 3 * demo_campaigns.SAMPLE_PER_CHANNEL and control.sent == 0, code
        assert not outcome.preliminary, code
        interval = measured.response.absolute_interval
        assert math.isfinite(interval.low) and interval.low < interval.high, (code, interval)
        assert interval.contains(measured.response.absolute), code
    with transaction(engine) as session:
        approvals = set(session.execute(select(Campaign.created_by, Campaign.approved_by)).all())
        left = session.scalar(
            select(func.count()).where(Message.source_kind == "campaign", Message.status == "queued")
        )
        sandbox = session.scalar(select(func.count()).select_from(SandboxMessage))
    engine.dispose()
    assert approvals == {("user:demo-marketer", "user:demo-approver")}
    assert month.sampled > 0 and sandbox >= month.sampled and month.cancelled > 0
    assert left == 0
    printed = capsys.readouterr().out
    assert "95 % CI" in printed and "went through the local gateways" in printed
