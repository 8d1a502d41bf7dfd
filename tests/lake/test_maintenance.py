"""Compaction keeps every row and value; vacuum removes exactly the files no live record lists."""

from __future__ import annotations

from lottocrm.lake.store import Lake


def _content(lake: Lake) -> list[tuple]:
    return lake.connect().execute("SELECT * FROM tickets ORDER BY ticket_id").fetchall()


def test_compaction_keeps_rows_and_content(lake: Lake, make_tickets) -> None:
    for n in range(6):
        lake.append("tickets", make_tickets(400, first_id=1 + n * 400, seed=n), batch_id=f"small-{n}")
    before = _content(lake)
    files_before = len(lake.files("tickets"))

    record = lake.compact("tickets")

    assert record is not None and set(record.supersedes) == {f"small-{n}" for n in range(6)}
    assert [r.batch_id for r in lake.live_records("tickets")] == [record.batch_id]
    assert len(lake.files("tickets")) == 3 < files_before  # one file per month
    assert _content(lake) == before
    assert lake.row_count("tickets") == 2_400
    # Superseded batches still count as loaded, so re-importing one of them stays a no-op.
    assert lake.append("tickets", make_tickets(400, seed=0), batch_id="small-0") is None


def test_compaction_of_a_single_batch_does_nothing(lake: Lake, make_tickets) -> None:
    lake.append("tickets", make_tickets(10), batch_id="only")
    assert lake.compact("tickets") is None


def test_vacuum_removes_orphans_and_superseded_files_only(lake: Lake, make_tickets) -> None:
    lake.append("tickets", make_tickets(100, seed=1), batch_id="a")
    lake.append("tickets", make_tickets(100, first_id=101, seed=2), batch_id="b")
    lake.compact("tickets")
    # What a killed writer leaves: a hidden part file and a final-named file no record lists.
    month = lake.root / "tickets" / "month=2025-01"
    (month / ".part-dead-00000000-0000.parquet.tmp").write_bytes(b"half a file")
    (month / "part-dead-00000000-0001.parquet").write_bytes(b"PAR1 not committed")
    before = _content(lake)
    assert lake.stats("tickets").orphan_files == 2 + 6  # the two above and the six superseded files

    removed = lake.vacuum("tickets")

    assert len(removed) == 8
    on_disk = sorted(p for p in (lake.root / "tickets").glob("month=*/*"))
    assert on_disk == sorted(lake.files("tickets"))
    assert _content(lake) == before
    assert lake.vacuum("tickets") == []
