"""The streaming batch writer: one batch from many chunks, visible entirely on a clean exit or not at all."""

from __future__ import annotations

import pyarrow as pa
import pytest

from lottocrm.lake.store import Lake, LakeError


def _count(lake: Lake) -> int:
    return lake.connect().execute("SELECT count(*) FROM tickets").fetchone()[0]


def test_chunks_become_one_batch_split_by_month(lake: Lake, make_tickets) -> None:
    with lake.writer("tickets", batch_id="b1", file_rows=700) as batch:
        for n in range(5):
            batch.write(make_tickets(500, first_id=1 + n * 500, seed=n))
    record = batch.record
    assert record is not None and record.rows == 2_500
    assert [r.batch_id for r in lake.live_records("tickets")] == ["b1"]
    assert _count(lake) == 2_500
    # Three months of data and a 700-row cap per file: several files, each inside its month folder.
    months = {name.split("/")[0] for name in record.files}
    assert months == {"month=2025-01", "month=2025-02", "month=2025-03"}
    assert len(record.files) > len(months)
    con = lake.connect()
    wrong_month = con.execute(
        "SELECT count(*) FROM read_parquet(?, filename=true) "
        "WHERE strftime(sold_at AT TIME ZONE 'UTC', '%Y-%m') "
        "<> regexp_extract(filename, 'month=([0-9-]+)', 1)",
        [[str(p) for p in lake.files("tickets")]],
    ).fetchone()[0]
    assert wrong_month == 0


def test_an_exception_inside_the_block_leaves_nothing(lake: Lake, make_tickets) -> None:
    with pytest.raises(RuntimeError, match="bad chunk"), lake.writer("tickets", batch_id="b1") as batch:
        batch.write(make_tickets(1_000))
        raise RuntimeError("bad chunk")
    assert lake.files("tickets") == []
    assert not lake.has_batch("tickets", "b1")
    assert list((lake.root / "tickets").glob("month=*/*")) == []
    assert _count(lake) == 0


def test_a_chunk_that_does_not_fit_the_schema_aborts_the_batch(lake: Lake, make_tickets) -> None:
    with pytest.raises(LakeError, match="lacks columns"), lake.writer("tickets", batch_id="b1") as batch:
        batch.write(make_tickets(100))
        batch.write(make_tickets(100).drop_columns(["price_kopecks"]))
    assert _count(lake) == 0
    assert list((lake.root / "tickets").glob("month=*/*")) == []


def test_append_is_idempotent_by_batch_id(lake: Lake, make_tickets) -> None:
    data = make_tickets(300)
    assert lake.append("tickets", data, batch_id="same") is not None
    assert lake.append("tickets", data, batch_id="same") is None
    assert _count(lake) == 300
    with pytest.raises(LakeError, match="already committed"), lake.writer("tickets", batch_id="same"):
        pass


def test_a_second_writer_of_the_same_batch_loses_cleanly(lake: Lake, make_tickets) -> None:
    data = make_tickets(200)
    with lake.writer("tickets", batch_id="race") as first:
        first.write(data)
        # Another process commits the same batch while this one is still writing.
        assert lake.append("tickets", data, batch_id="race") is not None
    assert first.record is None
    assert _count(lake) == 200
    assert len(list((lake.root / "tickets").glob("month=*/*"))) == len(lake.files("tickets"))


def test_an_empty_batch_commits_a_record_without_files(lake: Lake) -> None:
    with lake.writer("tickets", batch_id="empty") as batch:
        pass
    assert batch.record is not None and batch.record.files == () and batch.record.rows == 0
    assert lake.has_batch("tickets", "empty")


def test_meta_survives_in_the_commit_record(lake: Lake, make_tickets) -> None:
    with lake.writer("tickets", batch_id="m") as batch:
        batch.write(make_tickets(10))
        batch.meta["source_name"] = "tickets.csv"
    assert lake.record("tickets", "m").meta == {"source_name": "tickets.csv"}


@pytest.mark.parametrize("bad", ["", "../escape", "a/b", "x" * 200])
def test_bad_batch_ids_are_refused(lake: Lake, make_tickets, bad: str) -> None:
    with pytest.raises(LakeError, match="invalid batch id"):
        lake.append("tickets", make_tickets(1), batch_id=bad)


def test_unknown_table_is_refused(lake: Lake) -> None:
    with pytest.raises(LakeError, match="unknown lake table"):
        lake.append("bets", pa.table({"x": [1]}), batch_id="b")
