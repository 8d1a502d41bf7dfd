"""Importing campaign history: one imported campaign with one run per campaign code, all in one transaction;
every bad row refused with its file row number and reason, and then nothing written; the same file twice is
refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from helpers.factories import IMPORT
from lottocrm import domains
from lottocrm.audit.models import AuditEvent
from lottocrm.db.engine import make_engine, transaction
from lottocrm.errors import Conflict
from lottocrm.events.catalog import read_payload
from lottocrm.events.model import DomainEvent
from lottocrm.ingest.models import ImportBatch
from lottocrm.jobs.models import Job
from lottocrm.lake.store import Lake
from lottocrm.manifest import Domain, Subscriber
from lottocrm.marketing.campaigns.models import Campaign, CampaignMember, CampaignRun
from lottocrm.marketing.history import service as history_service
from lottocrm.marketing.history.service import HistoryImport, HistoryInputError, import_history
from lottocrm.settings import Settings, build_settings

from .conftest import HEADER, add_players

WITH_PHONE = ("player_id", "phone", *HEADER[1:], "channel", "stratum")


def _row(player: int | str, code: str = "SAS-1", arm: str = "treatment", **extra: Any) -> dict[str, Any]:
    return {
        "player_id": player,
        "campaign_code": code,
        "campaign_name": "Возврат спящих",
        "arm": arm,
        "sent_at": "2026-10-01 10:00",
        "responded": "1" if arm == "treatment" else "0",
        "revenue_kopecks": "15000" if arm == "treatment" else "0",
        **extra,
    }


def _import(engine: Engine, settings: Settings, path: Path, **options: Any) -> HistoryImport:
    with transaction(engine) as session:
        return import_history(
            session, actor=IMPORT, path=path, lake=Lake(settings.lake_path), settings=settings, **options
        )


def _written(engine: Engine) -> tuple[int, int, int, int]:
    with transaction(engine) as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(table))
            for table in (Campaign, CampaignRun, CampaignMember, ImportBatch)
        )


PHONES = {7: "+79161234507", 8: "+79161234508"}


@pytest.fixture
def players(engine: Engine) -> None:
    add_players(engine, range(1, 11), phones=PHONES)


@pytest.fixture(scope="module")
def untouched(
    module_db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, Settings]]:
    """One database for the refusals, which write nothing: each test checks it is still empty, so a refusal
    that wrote would fail itself and every test after it."""
    engine = make_engine(module_db_url)
    add_players(engine, range(1, 11), phones=PHONES)
    folder = tmp_path_factory.mktemp("refusals")
    yield engine, build_settings(data_dir=folder, database_url=module_db_url)
    engine.dispose()


def test_a_file_becomes_one_imported_campaign_per_code(
    engine: Engine, settings: Settings, players: None, history_file: Callable[..., Path]
) -> None:
    rows = [
        {**_row(1), "phone": "", "channel": "sms", "stratum": "active"},
        {**_row(2, arm="control"), "phone": "", "channel": "", "stratum": "active"},
        # Named by phone alone, in a Russian spelling the import normalises.
        {**_row("", code="SAS-2"), "phone": "8 (916) 123-45-07", "channel": "email", "stratum": ""},
        {**_row(8, code="SAS-2", arm="control"), "phone": "+7 916 123 45 08", "channel": "", "stratum": ""},
    ]
    done = _import(engine, settings, history_file(rows, WITH_PHONE), control_share=0.5)
    assert done.report.status == "loaded", done.report.describe()
    assert [(c.code, c.treated, c.control) for c in done.campaigns] == [("SAS-1", 1, 1), ("SAS-2", 1, 1)]
    with transaction(engine) as session:
        campaigns = session.scalars(select(Campaign).order_by(Campaign.id)).all()
        assert [(c.kind, c.status, c.name, c.definition["code"]) for c in campaigns] == [
            ("imported", "done", "Возврат спящих", "SAS-1"),
            ("imported", "done", "Возврат спящих", "SAS-2"),
        ]
        assert campaigns[0].definition["control_share"] == 0.5
        members = session.execute(
            select(
                CampaignMember.player_id,
                CampaignMember.arm,
                CampaignMember.stratum,
                CampaignMember.channel,
                CampaignMember.responded,
                CampaignMember.revenue_kopecks,
                CampaignMember.assigned_at,
            ).order_by(CampaignMember.run_id, CampaignMember.player_id)
        ).all()
        assert [m[:6] for m in members] == [
            (1, "treatment", "active", "sms", True, 15000),
            (2, "control", "active", None, False, 0),
            (7, "treatment", "all", "email", True, 15000),
            (8, "control", "all", None, False, 0),
        ]
        # "2026-10-01 10:00" without an offset is Moscow time.
        assert members[0][6].isoformat() == "2026-10-01T07:00:00+00:00"
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "campaign.history_import"))
        assert audit.one().detail["campaigns"] == [c.campaign_id for c in done.campaigns]


def listen(context) -> None:  # type: ignore[no-untyped-def]
    """A subscriber's handler; its jobs are only looked at here, never run."""


def test_the_import_announces_its_campaigns_once_committed(
    engine: Engine,
    settings: Settings,
    players: None,
    history_file: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listener = Domain(
        name="listener",
        subscribers=(
            Subscriber(
                "test.listen.history",
                "marketing.campaign_history_imported",
                "marketing.history.test_import:listen",
            ),
        ),
    )
    monkeypatch.setattr(domains, "INSTALLED", (*domains.INSTALLED, listener))
    done = _import(engine, settings, history_file([_row(1), _row(2, arm="control")]))
    with transaction(engine) as session:
        job = session.scalars(select(Job).where(Job.kind == "test.listen.history")).one()
        payload = read_payload(DomainEvent.model_validate(job.payload))
    assert payload.model_dump() == {
        "batch_id": done.report.batch_id,
        "campaign_ids": [done.campaigns[0].campaign_id],
        "members": 2,
    }


def test_the_same_file_twice_is_refused_and_changes_nothing(
    engine: Engine, settings: Settings, players: None, history_file: Callable[..., Path]
) -> None:
    path = history_file([_row(1), _row(2, arm="control")])
    assert _import(engine, settings, path).report.status == "loaded"
    before = _written(engine)
    again = _import(engine, settings, path)
    assert again.report.status == "rejected"
    assert "this file was imported before" in (again.report.file_error or "")
    assert _written(engine) == before == (1, 1, 2, 1)


def test_a_second_process_importing_the_same_file_meanwhile_writes_nothing(
    engine: Engine,
    settings: Settings,
    players: None,
    history_file: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = history_file([_row(1), _row(2, arm="control")])
    assert _import(engine, settings, path).report.status == "loaded"
    # As if the first import committed after the second one had looked at the ledger and the campaign codes.
    monkeypatch.setattr(history_service, "_imported_codes", lambda session: {})
    original = Session.get
    monkeypatch.setattr(
        Session,
        "get",
        lambda self, kind, key, **kw: None if kind is ImportBatch else original(self, kind, key, **kw),
    )
    with pytest.raises(Conflict, match="imported by another process meanwhile"):
        _import(engine, settings, path)
    assert _written(engine) == (1, 1, 2, 1)


def test_a_campaign_code_imported_before_is_refused_in_another_file(
    engine: Engine, settings: Settings, players: None, history_file: Callable[..., Path]
) -> None:
    assert _import(engine, settings, history_file([_row(1), _row(2, arm="control")])).report.ok
    second = _import(engine, settings, history_file([_row(3), _row(4, arm="control")]))
    assert second.report.status == "rejected"
    problem = second.report.problems[0]
    assert (problem.column, problem.count) == ("campaign_code", 2)
    assert problem.reason.startswith("campaign SAS-1 was imported before (campaign ")
    assert _written(engine) == (1, 1, 2, 1)


def _bad(changes: dict[str, Any], column: str, reason: str, name: str, **row: Any) -> Any:
    return pytest.param({**_row(1, **row), **changes}, column, reason, id=name)


BAD_ROWS = [
    _bad({"player_id": 99}, "player_id", "unknown player", "unknown-player"),
    _bad({"player_id": "", "phone": "+79160000000"}, "phone", "no player has this phone", "unknown-phone"),
    _bad({"phone": "+79161234507"}, "phone", "names another player than the row's other", "disagree"),
    _bad({"player_id": ""}, "player_id", "no player named", "no-player"),
    _bad({"player_id": "", "phone": "12"}, "phone", "not a valid phone number", "bad-phone"),
    _bad({"arm": "holdout"}, "arm", "must be one of treatment, control", "bad-arm"),
    _bad({"sent_at": "2099-01-01 10:00"}, "sent_at", "is in the future", "future"),
    _bad({"sent_at": "yesterday"}, "sent_at", "cannot read as ISO 8601", "bad-time"),
    _bad({"responded": "maybe"}, "responded", "cannot read as true/false", "bad-flag"),
    _bad({"revenue_kopecks": "150.00"}, "revenue_kopecks", "cannot read as integer", "rubles"),
    _bad({"revenue_kopecks": "-5"}, "revenue_kopecks", "must be at least 0", "negative"),
    _bad({"revenue_kopecks": ""}, "revenue_kopecks", "missing, while other rows", "partial"),
    _bad({"player_id": 2}, "player_id", "duplicate: this player is on an earlier row", "duplicate"),
    _bad({"campaign_name": "Другое"}, "campaign_name", "differs from the name", "name"),
    _bad({"campaign_code": "SAS 1"}, "campaign_code", "must be an identifier", "bad-code"),
    _bad({"campaign_code": ""}, "campaign_code", "required value is missing", "no-code"),
]


@pytest.mark.parametrize(("bad", "column", "reason"), BAD_ROWS)
def test_a_bad_row_is_refused_with_its_row_number_and_nothing_is_written(
    untouched: tuple[Engine, Settings],
    history_file: Callable[..., Path],
    bad: dict[str, Any],
    column: str,
    reason: str,
) -> None:
    engine, settings = untouched
    rows = [{**_row(2), "phone": ""}, {**_row(3, arm="control"), "phone": ""}, {"phone": "", **bad}]
    done = _import(engine, settings, history_file(rows, ("player_id", "phone", *HEADER[1:])))
    assert done.report.status == "rejected"
    found = [(p.column, p.reason, [row for row, _ in p.examples]) for p in done.report.problems]
    assert any(c == column and r.startswith(reason) and rows_ == [3] for c, r, rows_ in found), found
    assert f"row 3, column {column}" in done.report.describe()
    assert _written(engine) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("content", "fault"),
    [
        pytest.param("", "the file is empty", id="empty"),
        pytest.param(",".join(HEADER) + "\n", "the file has a header but no data rows", id="header-only"),
        pytest.param(
            "player_id,arm\n1,treatment\n", "row 0 (header): missing column(s): campaign", id="header"
        ),
        pytest.param(
            ",".join(HEADER) + ",color\n", "row 0 (header): unexpected column(s): color", id="unknown-column"
        ),
    ],
)
def test_a_bad_file_is_refused_whole(
    untouched: tuple[Engine, Settings], tmp_path: Path, content: str, fault: str
) -> None:
    engine, settings = untouched
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    done = _import(engine, settings, path)
    assert done.report.status == "rejected"
    assert (done.report.file_error or "").startswith(fault), done.report.file_error
    assert _written(engine) == (0, 0, 0, 0)


def test_a_malformed_line_is_reported_with_its_row(
    untouched: tuple[Engine, Settings], tmp_path: Path
) -> None:
    engine, settings = untouched
    path = tmp_path / "short.csv"
    path.write_text(
        ",".join(HEADER) + "\n1,SAS-1,Акция,treatment,2026-10-01 10:00,1,100\n2,SAS-1,Акция,control\n",
        encoding="utf-8",
    )
    done = _import(engine, settings, path)
    assert done.report.status == "rejected"
    assert [(p.column, p.examples[0][0]) for p in done.report.problems] == [("*", 2)]
    assert _written(engine) == (0, 0, 0, 0)


def test_a_control_share_outside_zero_and_one_is_refused(
    untouched: tuple[Engine, Settings], history_file: Callable[..., Path]
) -> None:
    engine, settings = untouched
    with pytest.raises(HistoryInputError, match="between 0 and 1, got 1.5"):
        _import(engine, settings, history_file([_row(1)]), control_share=1.5)
