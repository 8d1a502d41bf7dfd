"""Compaction keeps every row and value and sorts each month by player; vacuum removes exactly the files no
live record lists."""

from __future__ import annotations

import pyarrow.parquet as pq

from lottocrm.lake import store
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


def test_compaction_sorts_each_month_by_player_then_time_and_keeps_every_row(
    lake: Lake, make_tickets, monkeypatch
) -> None:
    monkeypatch.setattr(store, "COMPACT_ROW_GROUP_ROWS", 100)
    monkeypatch.setattr(store, "COMPACT_CHUNK_ROWS", 300)
    for n in range(4):
        lake.append("tickets", make_tickets(1_000, first_id=1 + n * 1_000, seed=n), batch_id=f"b-{n}")
    before = _content(lake)

    lake.compact("tickets")

    assert _content(lake) == before
    for path in lake.files("tickets"):
        rows = pq.read_table(path).to_pylist()
        signed_in = [r for r in rows if r["player_id"] is not None]
        assert all(r["player_id"] is None for r in rows[len(signed_in) :])  # anonymous tickets last
        keys = [(r["player_id"], r["sold_at"], r["ticket_id"]) for r in signed_in]
        assert keys == sorted(keys)
        # Row groups hold disjoint player ranges, so a one-player query skips all but one or two of them.
        metadata = pq.ParquetFile(path).metadata
        assert metadata.num_row_groups > 5
        player = metadata.schema.to_arrow_schema().get_field_index("player_id")
        ranges = [
            (group.column(player).statistics.min, group.column(player).statistics.max)
            for group in (metadata.row_group(i) for i in range(metadata.num_row_groups))
            if group.column(player).statistics.has_min_max
        ]
        assert all(high <= next_low for (_, high), (next_low, _) in zip(ranges, ranges[1:], strict=False))
    one_player = lake.connect().execute("SELECT count(*) FROM tickets WHERE player_id = 7").fetchone()[0]
    assert one_player == sum(1 for row in before if row[1] == 7)


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


def test_drop_empties_one_table_and_leaves_the_others(lake: Lake, make_tickets) -> None:
    lake.append("tickets", make_tickets(300, seed=1), batch_id="to-drop")
    other = lake.root / "wins"
    other.mkdir(parents=True)
    (other / "keep.txt").write_text("untouched")

    lake.drop("tickets")

    assert lake.row_count("tickets") == 0 and lake.files("tickets") == []
    assert _content(lake) == []
    assert not lake.has_batch("tickets", "to-drop")  # a re-import after a drop loads again
    assert (other / "keep.txt").read_text() == "untouched"
    assert [p.name for p in lake.root.iterdir() if p.name.startswith(".dropped-")] == []
    lake.append("tickets", make_tickets(10, seed=2), batch_id="after-drop")
    assert lake.row_count("tickets") == 10
