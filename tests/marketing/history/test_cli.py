"""``lottocrm campaign import``: a good file loads and is audited as the console user; a bad file and the same
file twice are refused with exit codes and nothing written; the format in the docs is the spec's own."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from lottocrm.audit.models import AuditEvent
from lottocrm.cli.main import app
from lottocrm.db.engine import transaction
from lottocrm.ingest.formats import render_kind
from lottocrm.marketing.campaigns.models import Campaign
from lottocrm.marketing.history.spec import SPEC
from lottocrm.settings import Settings

from .conftest import HEADER, add_players, write_history

WIDE = {"COLUMNS": "300"}
DOCS = Path(__file__).parents[3] / "docs" / "campaign-results.md"


def _campaigns(engine: Engine) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(Campaign)) or 0


def _row(player: int, arm: str, **changes: str) -> dict[str, object]:
    return {
        "player_id": player,
        "campaign_code": "SAS-7",
        "campaign_name": "Новогодний тираж",
        "arm": arm,
        "sent_at": "2026-11-01T10:00:00+03:00",
        "responded": "да" if arm == "treatment" else "нет",
        "revenue_kopecks": "20000" if arm == "treatment" else "0",
        **changes,
    }


def test_import_loads_a_file_then_refuses_it_again(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    add_players(engine, range(1, 5))
    path = write_history(
        tmp_path / "sas.csv", [_row(p, "treatment" if p % 2 else "control") for p in (1, 2, 3, 4)]
    )
    loaded = CliRunner().invoke(app, ["campaign", "import", str(path), "--control-share", "0.5"], env=WIDE)
    assert loaded.exit_code == 0, loaded.output
    assert "loaded 4 campaign_history row(s)" in loaded.output
    assert "campaign SAS-7 «Новогодний тираж»: 2 treated, 2 control" in loaded.output
    again = CliRunner().invoke(app, ["campaign", "import", str(path)], env=WIDE)
    assert again.exit_code == 2 and "this file was imported before" in again.output
    assert _campaigns(engine) == 1
    with transaction(engine) as session:
        actor = session.scalar(select(AuditEvent.actor).where(AuditEvent.action == "campaign.history_import"))
    assert actor is not None and actor.startswith("cli:")
    shown = CliRunner().invoke(app, ["campaign", "results", "1"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "sample ratio: χ² = 0" in shown.output


def test_a_bad_file_exits_1_and_names_the_row(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    add_players(engine, range(1, 3))
    path = write_history(
        tmp_path / "bad.csv", [_row(1, "treatment"), _row(2, "control", revenue_kopecks="1.5")]
    )
    refused = CliRunner().invoke(app, ["campaign", "import", str(path)], env=WIDE)
    assert refused.exit_code == 1
    assert "row 2, column revenue_kopecks: '1.5'" in refused.output
    assert "import rejected; nothing was written" in refused.output
    assert _campaigns(engine) == 0


def test_a_control_share_of_one_is_refused(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    path = write_history(tmp_path / "any.csv", [_row(1, "treatment")], HEADER)
    refused = CliRunner().invoke(app, ["campaign", "import", str(path), "--control-share", "1"], env=WIDE)
    assert refused.exit_code == 1 and "between 0 and 1" in refused.output


def test_the_documented_format_is_the_specs_own() -> None:
    rendered = render_kind(SPEC).replace("## campaign_history", "### The file: campaign_history", 1)
    assert rendered in DOCS.read_text(encoding="utf-8")
