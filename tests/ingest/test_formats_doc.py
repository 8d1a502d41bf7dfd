"""docs/import-formats.md is generated from the specs; regenerate it when a spec changes."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from lottocrm.cli.main import app
from lottocrm.ingest.formats import render_all
from lottocrm.ingest.kinds import KINDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "import-formats.md"


def test_the_doc_matches_the_specs() -> None:
    assert DOC.read_text(encoding="utf-8") == render_all(), (
        "run: python -m lottocrm.ingest.formats > docs/import-formats.md"
    )


def test_every_kind_is_documented_in_help() -> None:
    for kind, spec in KINDS.items():
        result = CliRunner().invoke(app, ["import", kind, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0
        for column in spec.columns:
            assert f"`{column.name}`" in result.output or column.name in result.output
