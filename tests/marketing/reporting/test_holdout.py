"""The global holdout's monthly report against an oracle that reads every ticket the slow, obvious way: the
holdout by the year's hash, each group's buyers and spend in the operator's month, Welch's comparison of
one value per player; "preliminary" while the month or the lake is behind; each bad month refused."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from typer.testing import CliRunner

from lottocrm import clock
from lottocrm.cli.main import app as cli
from lottocrm.db.engine import transaction
from lottocrm.db.hash_unit import hash_unit, threshold
from lottocrm.lake.store import Lake
from lottocrm.marketing.campaigns.settings import CampaignSettings
from lottocrm.marketing.reporting.holdout import (
    HoldoutMonthInvalid,
    HoldoutNotMeasurable,
    holdout_report,
)
from lottocrm.marketing.results.arms import summarise_arm
from lottocrm.marketing.results.lift import compare
from lottocrm.players.models import Player
from lottocrm.settings import Settings

from ..history.conftest import add_players

ZONE = "Europe/Moscow"
PLAYERS = range(1, 801)
# Moscow is UTC+3: the operator's November is [31 Oct 21:00, 30 Nov 21:00) in UTC.
NOVEMBER = (dt.datetime(2026, 10, 31, 21, tzinfo=dt.UTC), dt.datetime(2026, 11, 30, 21, tzinfo=dt.UTC))
AFTER = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)
SETTINGS = CampaignSettings(global_holdout_percent=10)


def _in_holdout(pid: int, year: int = 2026) -> bool:
    return hash_unit(f"holdout:{year}", pid) < threshold(0.10)


def _tickets(seed: int = 3, *, last: dt.datetime = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)) -> list[dict]:
    """Random sales from September to ``last``, the marketed players buying a little more, and sales on
    the month's edges (its first instant counts, its end does not)."""
    rng = random.Random(seed)
    first = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    span = (last - first).total_seconds()
    moments = []
    for pid in PLAYERS:
        for _ in range(rng.randint(0, 3 if _in_holdout(pid) else 4)):
            moments.append((pid, first + dt.timedelta(seconds=rng.uniform(0, span))))
    edges = [(7, NOVEMBER[0]), (8, NOVEMBER[1]), (9, NOVEMBER[1] - dt.timedelta(microseconds=1))]
    moments += [(pid, at) for pid, at in edges if at < last]
    moments.append((9, last))
    return [
        {
            "ticket_id": number,
            "player_id": pid,
            "game_id": 1,
            "draw_id": None,
            "channel": "website",
            "pos_id": None,
            "region": "RU-MOW",
            "price_kopecks": rng.choice((5000, 10000, 30000)),
            "sold_at": at,
        }
        for number, (pid, at) in enumerate(moments, start=1)
    ]


def _world(engine: Engine, lake: Lake, **ticket_options: dt.datetime) -> list[dict]:
    add_players(engine, PLAYERS)
    tickets = _tickets(**ticket_options)
    lake.append("tickets", pa.Table.from_pylist(tickets), batch_id="holdout")
    return tickets


def _oracle(tickets: list[dict], low: dt.datetime, high: dt.datetime, players=PLAYERS):  # type: ignore[no-untyped-def]
    spend = dict.fromkeys(players, 0)
    bought = dict.fromkeys(players, False)
    for ticket in tickets:
        if low <= ticket["sold_at"] < high and ticket["player_id"] in spend:
            spend[ticket["player_id"]] += ticket["price_kopecks"]
            bought[ticket["player_id"]] = True
    arms = {}
    for name, keep in (("holdout", True), ("marketed", False)):
        ids = [pid for pid in players if _in_holdout(pid) == keep]
        arms[name] = summarise_arm(
            arm=name, responded=np.array([bought[p] for p in ids]), spend=np.array([spend[p] for p in ids])
        )
    return arms


def test_the_month_and_the_year_so_far_match_the_oracle(engine: Engine, lake: Lake) -> None:
    tickets = _world(engine, lake)
    with clock.frozen(AFTER, ZONE), transaction(engine) as session:
        report = holdout_report(session, lake=lake, month="2026-11", settings=SETTINGS)
    assert report.salt == "holdout:2026" and not report.preliminary and report.spend_source == "lake"
    expected = _oracle(tickets, *NOVEMBER)
    window = report.this_month
    assert (window.starts_at, window.ends_at) == tuple(moment.isoformat() for moment in NOVEMBER)
    for name in ("holdout", "marketed"):
        got, want = getattr(window, name), expected[name]
        assert (got.n, got.responders, got.spend_total) == (want.n, want.responders, want.spend_total)
        assert got.spend_variance == pytest.approx(want.spend_variance, rel=1e-9)
    assert 40 < window.holdout.n < 120
    spend = compare(metric="spend", treatment=expected["marketed"].spend, control=expected["holdout"].spend)
    assert window.spend.absolute == pytest.approx(spend.absolute, rel=1e-9)
    assert window.spend.absolute_interval.low == pytest.approx(spend.absolute_interval.low, rel=1e-9)
    assert window.incremental_revenue_kopecks == pytest.approx(spend.absolute * expected["marketed"].n)
    assert window.spend.incremental_interval.high == pytest.approx(
        spend.absolute_interval.high * expected["marketed"].n, rel=1e-9
    )
    year_start = dt.datetime(2025, 12, 31, 21, tzinfo=dt.UTC)
    year = _oracle(tickets, year_start, NOVEMBER[1])
    assert report.year_to_date.marketed.spend_total == year["marketed"].spend_total
    assert report.year_to_date.holdout.responders == year["holdout"].responders
    assert report.to_dict()["this_month"]["spend"]["incremental_interval"]["low"] < window.spend.incremental


def test_players_registered_after_the_month_are_not_counted(engine: Engine, lake: Lake) -> None:
    tickets = _world(engine, lake)
    late = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    with transaction(engine) as session:
        session.execute(update(Player).where(Player.id > 700).values(registered_at=late))
    with clock.frozen(AFTER, ZONE), transaction(engine) as session:
        report = holdout_report(session, lake=lake, month="2026-11", settings=SETTINGS)
    expected = _oracle(tickets, *NOVEMBER, players=range(1, 701))
    assert report.this_month.marketed.n + report.this_month.holdout.n == 700
    assert report.this_month.marketed.spend_total == expected["marketed"].spend_total


def test_the_month_not_over_is_preliminary(engine: Engine, lake: Lake) -> None:
    _world(engine, lake, last=dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
    with clock.frozen(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC), ZONE), transaction(engine) as session:
        report = holdout_report(session, lake=lake, month="2026-11", settings=SETTINGS)
    assert report.preliminary


def test_a_month_the_lake_has_not_caught_up_with_is_preliminary(engine: Engine, lake: Lake) -> None:
    _world(engine, lake, last=dt.datetime(2026, 11, 30, 20, tzinfo=dt.UTC))
    with clock.frozen(AFTER, ZONE), transaction(engine) as session:
        report = holdout_report(session, lake=lake, month="2026-11", settings=SETTINGS)
    assert report.preliminary and report.lake_through == "2026-11-30T20:00:00+00:00"


def test_a_month_in_the_future_is_refused(engine: Engine, lake: Lake) -> None:
    _world(engine, lake)
    with (
        clock.frozen(AFTER, ZONE),
        transaction(engine) as session,
        pytest.raises(HoldoutMonthInvalid, match="2027-01 has not begun yet.*2026-12"),
    ):
        holdout_report(session, lake=lake, month="2027-01", settings=SETTINGS)


@pytest.mark.parametrize(
    "month", ["2026-13", "2026-00", "26-11", "2026-1", "ноябрь", "2026-11-01", "1999-12"]
)
def test_a_malformed_month_is_refused(engine: Engine, lake: Lake, month: str) -> None:
    with (
        clock.frozen(AFTER, ZONE),
        transaction(engine) as session,
        pytest.raises(HoldoutMonthInvalid, match="is not a month: write it as YYYY-MM"),
    ):
        holdout_report(session, lake=lake, month=month, settings=SETTINGS)


def test_no_holdout_is_refused(engine: Engine, lake: Lake) -> None:
    _world(engine, lake)
    with (
        clock.frozen(AFTER, ZONE),
        transaction(engine) as session,
        pytest.raises(HoldoutNotMeasurable, match="set to 0 %"),
    ):
        holdout_report(
            session, lake=lake, month="2026-11", settings=CampaignSettings(global_holdout_percent=0)
        )


def test_an_empty_lake_is_refused(engine: Engine, lake: Lake) -> None:
    add_players(engine, PLAYERS)
    with (
        clock.frozen(AFTER, ZONE),
        transaction(engine) as session,
        pytest.raises(HoldoutNotMeasurable, match="holds no tickets"),
    ):
        holdout_report(session, lake=lake, month="2026-11", settings=SETTINGS)


def test_a_month_before_anyone_registered_is_refused(engine: Engine, lake: Lake) -> None:
    _world(engine, lake)
    with (
        clock.frozen(AFTER, ZONE),
        transaction(engine) as session,
        pytest.raises(
            HoldoutNotMeasurable, match="2024-06 the global holdout has 0 registered player.* and the rest 0"
        ),
    ):
        holdout_report(session, lake=lake, month="2024-06", settings=SETTINGS)


def test_the_cli_prints_the_month_as_a_table_and_as_json(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    tickets = _world(engine, Lake(settings.lake_path))
    monkeypatch.setenv("LOTTOCRM_GLOBAL_HOLDOUT_PERCENT", "10")
    with clock.frozen(AFTER, ZONE):
        shown = CliRunner().invoke(cli, ["campaign", "holdout", "--month", "2026-11", "--json"])
        table = CliRunner().invoke(cli, ["campaign", "holdout", "--month", "2026-11"], env={"COLUMNS": "200"})
        future = CliRunner().invoke(cli, ["campaign", "holdout", "--month", "2027-02"])
        malformed = CliRunner().invoke(cli, ["campaign", "holdout", "--month", "11.2026"])
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.output)
    expected = _oracle(tickets, *NOVEMBER)
    assert report["this_month"]["marketed"]["spend_total"] == expected["marketed"].spend_total
    assert report["this_month"]["holdout"]["n"] == expected["holdout"].n and report["preliminary"] is False
    assert table.exit_code == 0, table.output
    assert "global holdout 10 %" in table.output and "month, spend" in table.output
    assert "year to date, response" in table.output
    assert future.exit_code == 1 and "2027-02 has not begun yet" in future.output
    assert malformed.exit_code == 1 and "11.2026 is not a month" in malformed.output


def test_the_api_serves_the_month_to_analysts_only(
    seeded: Settings, engine: Engine, client_for: Callable[[str], TestClient]
) -> None:
    _world(engine, Lake(seeded.lake_path))
    analyst = client_for("analyst")
    with clock.frozen(AFTER, ZONE):
        found = analyst.get("/api/v1/campaigns/holdout", params={"month": "2026-11"})
        future = analyst.get("/api/v1/campaigns/holdout", params={"month": "2027-01"})
        malformed = analyst.get("/api/v1/campaigns/holdout", params={"month": "2026-1"})
        with transaction(engine) as session:
            direct = holdout_report(session, lake=Lake(seeded.lake_path), month="2026-11")
    assert found.status_code == 200, found.text
    assert found.json() == json.loads(json.dumps(direct.to_dict()))
    assert future.status_code == 422 and future.json()["code"] == "holdout_month_invalid"
    assert "has not begun yet" in future.text
    assert malformed.status_code == 422 and "is not a month" in malformed.text
    assert client_for("operator").get("/api/v1/campaigns/holdout?month=2026-11").status_code == 403
