"""A campaign's results from the store and the lake: the figures are the statistics of the members' own
responses (checked against the loop over tickets), per arm delivery comes from the messages, the report is
preliminary until the last window closes, and bad ids are refused clearly — in the service, the CLI and the
API."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from typer.testing import CliRunner

from lottocrm import clock
from lottocrm.cli.main import app as cli
from lottocrm.db.engine import transaction
from lottocrm.errors import NotFound
from lottocrm.lake.store import Lake
from lottocrm.marketing.campaigns.models import Campaign, CampaignMember, CampaignRun
from lottocrm.marketing.reporting.export import to_csv
from lottocrm.marketing.reporting.service import ResultsUnavailable, campaign_results
from lottocrm.marketing.results.arms import summarise_arm
from lottocrm.marketing.results.lift import compare
from lottocrm.marketing.results.measure import measure_campaign
from lottocrm.settings import Settings

from .conftest import SENT, WINDOW_DAYS, World, build_world, definition, oracle

AFTER = SENT + dt.timedelta(days=60)


def _results(engine: Engine, lake: Lake, campaign_id: int, run_id: int | None = None):  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return campaign_results(session, campaign_id=campaign_id, run_id=run_id, lake=lake)


def _as_json(value: dict) -> dict:  # type: ignore[type-arg]
    return json.loads(json.dumps(value))  # type: ignore[no-any-return]


def _was_sent(player: int) -> bool:
    """The world's messages: id % 4 == 3 stays queued (not sent yet), unless the id is a multiple of 5."""
    return player % 4 != 3 or player % 5 == 0


def _expected(world: World, *, runs: set[int] | None = None, preliminary: bool = False) -> dict:  # type: ignore[type-arg]
    chosen = [i for i, m in enumerate(world.members) if runs is None or m[0] in runs]
    truth = oracle(world)
    treated = np.array([world.members[i][2] for i in chosen])
    sent = sum(1 for i in chosen if world.members[i][2] and _was_sent(world.members[i][1]))
    return measure_campaign(
        treated=treated,
        responded=np.array([truth[i][0] for i in chosen]),
        spend=np.array([truth[i][1] for i in chosen], dtype=np.int64),
        pre_period_spend=np.array([truth[i][2] for i in chosen], dtype=np.int64),
        segment=np.array([world.members[i][3].split(":")[0] for i in chosen]),
        control_share=0.25,
        cost=150 * sent,
        preliminary=preliminary,
    ).to_dict()


def test_results_are_the_statistics_of_each_members_own_window(engine: Engine, lake: Lake) -> None:
    world = build_world(engine, lake, runs=2)
    with clock.frozen(AFTER):
        pooled = _results(engine, lake, world.campaign_id)
        second = _results(engine, lake, world.campaign_id, world.run_ids[1])
    assert pooled.measurement.to_dict() == _expected(world)
    assert second.measurement.to_dict() == _expected(world, runs={world.run_ids[1]})
    assert pooled.run_ids == tuple(world.run_ids) and second.run_ids == (world.run_ids[1],)
    assert pooled.preliminary is False and pooled.control_share_basis == "campaign"
    assert pooled.variants == ()  # one content: the campaign's lift is the variant's
    assert pooled.response_rule.to_dict() == {
        "source": "lake",
        "kind": "purchase",
        "game_id": 1,
        "window_days": WINDOW_DAYS,
    }
    # Lift per lifecycle stratum: "active:3" and "sleeping:6" are read as their lifecycle.
    assert pooled.measurement.segments is not None
    assert [s.segment for s in pooled.measurement.segments.segments] == ["active", "sleeping"]
    # The whole result goes to JSON as it is (moments as text, no NaN).
    json.dumps(pooled.to_dict(), allow_nan=False)


def test_an_ab_campaign_has_a_lift_per_variant_against_the_shared_control(engine: Engine, lake: Lake) -> None:
    world = build_world(engine, lake, players=80, variants=("A", "B"))
    with clock.frozen(AFTER):
        found = _results(engine, lake, world.campaign_id)
    truth = oracle(world)
    control = [t for m, t in zip(world.members, truth, strict=True) if not m[2]]
    control_arm = summarise_arm(
        arm="control",
        responded=np.array([t[0] for t in control]),
        spend=np.array([t[1] for t in control], dtype=np.int64),
    )
    assert found.measurement.control == control_arm
    assert [v.variant for v in found.variants] == ["A", "B"]
    for variant in found.variants:
        mine = [
            t
            for m, t in zip(world.members, truth, strict=True)
            if m[2] and ("A", "B")[m[1] % 2] == variant.variant
        ]
        arm = summarise_arm(
            arm=variant.variant,
            responded=np.array([t[0] for t in mine]),
            spend=np.array([t[1] for t in mine], dtype=np.int64),
        )
        assert variant.treatment == arm
        assert variant.response == compare(
            metric="response", treatment=arm.response, control=control_arm.response
        )
        assert variant.spend == compare(metric="spend", treatment=arm.spend, control=control_arm.spend)  # type: ignore[arg-type]
    assert sum(v.treatment.n for v in found.variants) == found.measurement.treatment.n  # type: ignore[union-attr]
    scopes = [row.split(",")[1] for row in to_csv(found).splitlines()[1:]]
    assert scopes.count("variant") == 2


def test_delivery_per_arm_comes_from_the_messages(engine: Engine, lake: Lake) -> None:
    world = build_world(engine, lake, players=20)
    with clock.frozen(AFTER):
        found = _results(engine, lake, world.campaign_id)
    treatment, control = (d.to_dict() for d in found.delivery)
    # Players 1–20 not divisible by 4 are treated (15): status by id % 4 (1 delivered, 2 failed, 3 queued),
    # except multiples of 5, delivered.
    assert treatment == {
        "arm": "treatment",
        "members": 15,
        "queued": 15,
        "sent": 11,
        "delivered": 7,
        "failed": 4,
    }
    assert control == {"arm": "control", "members": 5, "queued": 0, "sent": 0, "delivered": 0, "failed": 0}
    assert found.measurement.cost == 150 * 11


def test_results_are_preliminary_until_the_last_window_closes(engine: Engine, lake: Lake) -> None:
    world = build_world(engine, lake, players=12)
    last = max(m[4] for m in world.members)
    closes = last + dt.timedelta(days=WINDOW_DAYS)
    with clock.frozen(closes - dt.timedelta(seconds=1)):
        early = _results(engine, lake, world.campaign_id)
    with clock.frozen(closes):
        final = _results(engine, lake, world.campaign_id)
    assert early.preliminary and early.measurement.preliminary and early.measurement.segments.preliminary  # type: ignore[union-attr]
    assert not final.preliminary
    assert early.window_ends_at == final.window_ends_at == closes.isoformat()


def test_results_are_preliminary_while_the_lake_is_not_loaded_to_the_windows_end(
    engine: Engine, lake: Lake, tmp_path: Path
) -> None:
    world = build_world(engine, lake, players=12)
    closes = max(m[4] for m in world.members) + dt.timedelta(days=WINDOW_DAYS)
    behind = Lake(tmp_path / "behind")
    loaded = [t for t in world.tickets if t["sold_at"] < closes - dt.timedelta(days=1)]
    behind.append("tickets", pa.Table.from_pylist(loaded), batch_id="behind")
    with clock.frozen(AFTER):
        lagging, full = _results(engine, behind, world.campaign_id), _results(engine, lake, world.campaign_id)
    assert lagging.preliminary and lagging.lake_through is not None
    assert lagging.lake_through < lagging.window_ends_at  # type: ignore[operator]
    assert not full.preliminary


def test_the_definition_frozen_at_approval_is_what_is_measured(engine: Engine, lake: Lake) -> None:
    world = build_world(engine, lake, players=12)
    frozen = definition(response={"kind": "purchase", "window_days": 3})
    with transaction(engine) as session:
        session.execute(update(Campaign).values(snapshot={"definition": frozen}))
    with clock.frozen(AFTER):
        found = _results(engine, lake, world.campaign_id)
    assert (found.response_rule.game_id, found.response_rule.window_days) == (None, 3)
    truth = oracle(world, game=None, days=3)
    assert found.measurement.treatment.responders == sum(
        1 for m, t in zip(world.members, truth, strict=True) if m[2] and t[0]
    )


def test_bad_ids_and_unmeasurable_campaigns_are_refused(engine: Engine, lake: Lake) -> None:
    world = build_world(engine, lake, players=12)
    with pytest.raises(NotFound, match="there is no campaign 999"):
        _results(engine, lake, 999)
    with pytest.raises(NotFound, match=f"campaign {world.campaign_id} has no run 999"):
        _results(engine, lake, world.campaign_id, 999)
    with transaction(engine) as session:
        session.execute(update(CampaignRun).values(status="selecting"))
    with pytest.raises(ResultsUnavailable, match="is selecting: it has no complete audience"):
        _results(engine, lake, world.campaign_id, world.run_ids[0])
    with pytest.raises(ResultsUnavailable, match="has not been sent yet"):
        _results(engine, lake, world.campaign_id)
    with transaction(engine) as session:
        session.execute(update(CampaignRun).values(status="done"))
        session.execute(update(CampaignMember).where(CampaignMember.player_id > 4).values(arm="treatment"))
    with pytest.raises(ResultsUnavailable, match="has 1 player\\(s\\) in its control arm"):
        _results(engine, lake, world.campaign_id)
    with transaction(engine) as session:
        session.execute(update(Campaign).values(definition={"channels": []}))
    with pytest.raises(ResultsUnavailable, match="cannot be measured: the campaign is not valid"):
        _results(engine, lake, world.campaign_id)


def test_an_empty_lake_is_refused_rather_than_reported_as_no_response(engine: Engine, tmp_path: Path) -> None:
    world = build_world(engine, Lake(tmp_path / "one"), players=12)
    with pytest.raises(ResultsUnavailable, match="holds no tickets"):
        _results(engine, Lake(tmp_path / "empty"), world.campaign_id)


def test_the_cli_prints_json_and_writes_csv(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    world = build_world(engine, Lake(settings.lake_path), players=24)
    out = tmp_path / "results.csv"
    with clock.frozen(AFTER):
        result = CliRunner().invoke(
            cli, ["campaign", "results", str(world.campaign_id), "--json", "--csv", str(out)]
        )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["measurement"] == _as_json(_expected(world))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["scope"], r["segment"]) for r in rows] == [
        ("campaign", ""),
        ("segment", "active"),
        ("segment", "sleeping"),
    ]
    assert float(rows[0]["response_lift_low"]) == shown["measurement"]["response"]["absolute_interval"]["low"]
    with clock.frozen(AFTER):
        table = CliRunner().invoke(
            cli, ["campaign", "results", str(world.campaign_id)], env={"COLUMNS": "200"}
        )
    assert table.exit_code == 0, table.output
    assert "response lift" in table.output and "sample ratio" in table.output
    missing = CliRunner().invoke(cli, ["campaign", "results", "999"])
    assert missing.exit_code == 1 and "there is no campaign 999" in missing.output


def test_the_api_serves_results_to_analysts_and_refuses_bad_ids(
    seeded: Settings, engine: Engine, client_for: Callable[[str], TestClient]
) -> None:
    world = build_world(engine, Lake(seeded.lake_path), players=24)
    analyst = client_for("analyst")
    with clock.frozen(AFTER):
        found = analyst.get(f"/api/v1/campaigns/{world.campaign_id}/results")
        one_run = analyst.get(f"/api/v1/campaigns/{world.campaign_id}/results?run={world.run_ids[0]}")
    assert found.status_code == 200, found.text
    assert found.json()["measurement"] == _as_json(_expected(world))
    assert one_run.json()["run_ids"] == [world.run_ids[0]]
    assert analyst.get("/api/v1/campaigns/999/results").json()["code"] == "not_found"
    for bad in ("0", "abc", str(2**63)):
        assert analyst.get(f"/api/v1/campaigns/{bad}/results").status_code == 422
    assert analyst.get(f"/api/v1/campaigns/{world.campaign_id}/results?run=0").status_code == 422
    assert client_for("operator").get(f"/api/v1/campaigns/{world.campaign_id}/results").status_code == 403
