"""``lottocrm import`` and ``lottocrm lake`` as an operator runs them: exit codes, messages, --quiet."""

from __future__ import annotations

import pytest
from ingest_helpers import GOOD_TICKETS, TICKET_HEADER, count, csv_text
from typer.testing import CliRunner

from lottocrm.cli.main import app
from lottocrm.ingest.models import ImportBatch

pytestmark = pytest.mark.usefixtures("catalog")


def _invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_a_good_file_loads_and_a_second_run_is_a_no_op(write, lake, engine) -> None:
    path = write("t.csv", csv_text(TICKET_HEADER, GOOD_TICKETS))
    first = _invoke("import", "tickets", str(path))
    assert first.exit_code == 0, first.output
    assert "loaded 3 tickets row(s)" in first.output
    second = _invoke("--quiet", "import", "tickets", str(path))
    assert second.exit_code == 0 and second.output == ""
    assert lake.row_count("tickets") == 3


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            csv_text(TICKET_HEADER, [*GOOD_TICKETS, "4,1,1,100,website,,,-1,2025-05-01 10:00"]),
            "row 4, column price_kopecks",
        ),
        (
            csv_text(TICKET_HEADER, [*GOOD_TICKETS, "4,1,77,100,website,,,100,2025-05-01 10:00"]),
            "row 4, column game_id",
        ),
        (
            csv_text(TICKET_HEADER, [*GOOD_TICKETS, "1,1,1,100,website,,,100,2025-05-01 10:00"]),
            "row 4, column ticket_id",
        ),
        (
            csv_text(TICKET_HEADER, [*GOOD_TICKETS, "4,1,1,100,website,,,100,2999-05-01 10:00"]),
            "row 4, column sold_at",
        ),
        ("", "the file is empty"),
        (b"\x00\x01\x02 not text", "not a CSV file"),
    ],
    ids=["price", "game", "duplicate", "future", "empty", "binary"],
)
def test_bad_files_exit_non_zero_and_write_nothing(write, engine, lake, content, expected: str) -> None:
    path = write("bad.csv", content)
    result = _invoke("--quiet", "import", "tickets", str(path))
    assert result.exit_code != 0
    assert expected in result.output
    assert str(path) in result.output and "nothing was written" in result.output
    assert count(engine, ImportBatch) == 0 and lake.records("tickets") == []


def test_quarantine_flag(write, lake, settings) -> None:
    rows = [*GOOD_TICKETS, "4,1,1,100,website,,,-1,2025-05-01 10:00"]
    result = _invoke("import", "tickets", str(write("t.csv", csv_text(TICKET_HEADER, rows))), "--quarantine")
    assert result.exit_code == 0, result.output
    assert "1 quarantined" in result.output and str(settings.quarantine_dir) in result.output.replace(
        "\n", ""
    )
    assert lake.row_count("tickets") == 3


def test_encoding_option(write, engine, settings) -> None:
    header = "id,last_name,first_name,registered_at,registration_channel"
    path = write("p.csv", csv_text(header, ["50,Ёжиков,Семён,2024-01-01,app"]), encoding="cp1251")
    result = _invoke("import", "players", str(path), "--encoding", "cp1251")
    assert result.exit_code == 0, result.output
    bad = _invoke("import", "players", str(path), "--encoding", "klingon")
    assert bad.exit_code != 0 and "unknown encoding 'klingon'" in bad.output


def test_lake_commands(write, lake) -> None:
    for n in range(3):
        rows = [f"{100 + n},1,1,100,website,,,100,2025-05-0{n + 1} 10:00"]
        assert (
            _invoke("import", "tickets", str(write(f"t{n}.csv", csv_text(TICKET_HEADER, rows)))).exit_code
            == 0
        )
    stats = _invoke("lake", "stats", "tickets")
    assert stats.exit_code == 0 and "tickets" in stats.output and "2025-05" in stats.output
    compacted = _invoke("lake", "compact", "tickets")
    assert compacted.exit_code == 0 and "merged 3 batches into 1 file(s), 3 rows" in compacted.output
    vacuumed = _invoke("lake", "vacuum", "tickets")
    assert vacuumed.exit_code == 0 and "removed 3 file(s)" in vacuumed.output
    assert lake.row_count("tickets") == 3
    assert _invoke("lake", "stats", "bets").exit_code != 0
