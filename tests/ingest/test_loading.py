"""Good files load completely, once; --quarantine splits good from bad; a cut-short run is reconciled."""

from __future__ import annotations

import csv
import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_helpers import GOOD_TICKETS, NOW, TICKET_HEADER, count, csv_text
from sqlalchemy import delete, select

from helpers.factories import IMPORT
from lottocrm.catalog.models import Draw, Game
from lottocrm.ingest.models import ImportBatch
from lottocrm.ingest.service import import_table
from lottocrm.players.models import ConsentEvent, Player, PlayerIdentity

pytestmark = pytest.mark.usefixtures("catalog")


def test_tickets_load_into_one_lake_batch_in_utc(write, run, lake, engine) -> None:
    report = run("tickets", write("t.csv", csv_text(TICKET_HEADER, GOOD_TICKETS)))
    assert report.status == "loaded" and report.rows_loaded == 3, report.describe()
    rows = (
        lake.connect()
        .execute("SELECT ticket_id, player_id, region, sold_at FROM tickets ORDER BY 1")
        .fetchall()
    )
    assert [r[:3] for r in rows] == [(1, 1, "RU-MOW"), (2, None, "RU-SPE"), (3, 2, None)]
    utc = [r[3].astimezone(dt.UTC) for r in rows]
    # Naive times are Moscow time; offsets are honoured.
    assert utc == [
        dt.datetime(2025, 5, 1, 7, tzinfo=dt.UTC),
        dt.datetime(2025, 5, 1, 8, tzinfo=dt.UTC),
        dt.datetime(2025, 4, 30, 9, 15, tzinfo=dt.UTC),
    ]
    assert [r.batch_id for r in lake.records("tickets")] == [report.batch_id]
    with engine.connect() as con:
        ledger = con.execute(select(ImportBatch.rows_loaded, ImportBatch.kind)).one()
    assert tuple(ledger) == (3, "tickets")


def test_reimporting_the_same_file_changes_nothing(write, run, lake, engine) -> None:
    path = write("t.csv", csv_text(TICKET_HEADER, GOOD_TICKETS))
    first = run("tickets", path)
    files = sorted(lake.root.rglob("*"))
    again = run("tickets", path)
    assert again.status == "already_loaded" and again.ok and again.batch_id == first.batch_id
    assert sorted(lake.root.rglob("*")) == files
    assert lake.row_count("tickets") == 3 and count(engine, ImportBatch) == 1

    players = write(
        "p.csv", "id,last_name,first_name,registered_at,registration_channel\n7,А,Б,2024-01-01,app\n"
    )
    assert run("players", players).status == "loaded"
    assert run("players", players).status == "already_loaded"
    assert count(engine, Player) == 4 and count(engine, ImportBatch) == 2


def test_a_lake_batch_without_its_ledger_row_is_reconciled(write, run, lake, engine) -> None:
    """What a crash between the lake commit and the ledger insert leaves; the re-run must not load twice."""
    path = write("t.csv", csv_text(TICKET_HEADER, GOOD_TICKETS))
    first = run("tickets", path)
    with engine.begin() as con:
        con.execute(delete(ImportBatch))
    again = run("tickets", path)
    assert again.status == "already_loaded"
    assert "cut short" in again.notices[0]
    assert lake.row_count("tickets") == 3 and len(lake.records("tickets")) == 1
    with engine.connect() as con:
        restored = con.execute(select(ImportBatch.id, ImportBatch.rows_loaded, ImportBatch.source_name)).one()
    assert tuple(restored) == (first.batch_id, 3, str(path))


def test_quarantine_loads_good_rows_and_keeps_bad_ones_with_reasons(write, run, lake, settings) -> None:
    rows = [*GOOD_TICKETS, "4,1,1,100,website,,,0,2025-05-01 10:00", "5,1,1,100,web,,,100,2099-01-01 00:00"]
    report = run("tickets", write("t.csv", csv_text(TICKET_HEADER, rows)), quarantine=True)
    assert report.status == "loaded" and report.rows_loaded == 3 and report.rows_quarantined == 2
    assert lake.row_count("tickets") == 3
    assert report.quarantine_file is not None and report.quarantine_file.parent == settings.quarantine_dir
    with open(report.quarantine_file, encoding="utf-8") as handle:
        bad = list(csv.DictReader(handle))
    assert [(r["row"], r["ticket_id"]) for r in bad] == [("4", "4"), ("5", "5")]
    assert bad[0]["reasons"] == "price_kopecks: must be at least 1 kopecks"
    assert "channel: must be one of" in bad[1]["reasons"] and "sold_at: is in the future" in bad[1]["reasons"]
    assert lake.record("tickets", report.batch_id).meta["rows_quarantined"] == 2


def test_quarantine_of_store_kinds_in_one_transaction(write, run, engine) -> None:
    text = csv_text(
        "player_id,kind,value,verified",
        [
            "1,phone,8 916 123-45-67,да",
            "1,email, Ivan.Petrov@Mail.RU ,",
            "2,phone,+7 (916) 123-45-67,",
            "3,card,12,",
        ],
    )
    report = run("identities", write("ids.csv", text), quarantine=True)
    assert (report.rows_loaded, report.rows_quarantined) == (2, 2), report.describe()
    with engine.connect() as con:
        stored = con.execute(select(PlayerIdentity.kind, PlayerIdentity.value, PlayerIdentity.verified)).all()
    assert sorted(map(tuple, stored)) == [
        ("email", "ivan.petrov@mail.ru", False),
        ("phone", "+79161234567", True),
    ]
    reasons = {p.reason for p in report.problems}
    assert reasons == {"duplicate: appears earlier in this file", "card number must be 6 to 20 digits"}


def test_an_identity_already_in_the_database_is_a_duplicate(write, run, engine) -> None:
    assert run("identities", write("a.csv", "player_id,kind,value\n1,phone,89161234567\n")).status == "loaded"
    report = run("identities", write("b.csv", "player_id,kind,value\n2,phone,+7 916 123 45 67\n"))
    assert report.problems[0].reason == "duplicate: already in the database"
    assert count(engine, PlayerIdentity) == 1


def test_players_under_18_are_flagged_not_rejected(write, run, engine) -> None:
    header = "id,last_name,first_name,birth_date,registered_at,registration_channel"
    seventeen = (NOW.date() - dt.timedelta(days=17 * 365)).isoformat()
    adult = "2007-06-01"  # 18 on the import day
    text = csv_text(
        header, [f"20,Юный,Пётр,{seventeen},2025-01-01,app", f"21,Взрослый,Иван,{adult},2025-01-01,app"]
    )
    report = run("players", write("p.csv", text))
    assert report.status == "loaded" and "1 player(s) under 18" in report.notices[0]
    with engine.connect() as con:
        flags = dict(con.execute(select(Player.id, Player.under_age).where(Player.id >= 20)).all())
    assert flags == {20: True, 21: False}


def test_games_draws_points_of_sale_and_consents(write, run, engine) -> None:
    games = csv_text(
        "id,code,name,kind,ticket_price_kopecks,schedule",
        ['3,5x36,5 из 36,draw,8000,"{""every"": ""15min""}"', "4,scratch,Стирайка,instant,10000,"],
    )
    assert run("games", write("g.csv", games)).status == "loaded"
    draws = csv_text("id,game_id,number,draw_at,jackpot_kopecks", ["300,3,1,2030-01-01 10:00,100000000"])
    assert run("draws", write("d.csv", draws)).status == "loaded"  # future draws are fine
    bad_draw = run(
        "draws", write("d2.csv", csv_text("id,game_id,number,draw_at", ["301,4,1,2025-01-01 10:00"]))
    )
    assert bad_draw.problems[0].reason == "instant games have no draws"
    pos = "id,code,name,channel,region\n20,P-20,Почта,post_office,ru-ta\n"
    assert run("points_of_sale", write("pos.csv", pos)).status == "loaded"
    consents = csv_text(
        "player_id,purpose,channel,granted,occurred_at,source,notice_version",
        ["1,advertising,sms,true,2025-01-01 10:00,website,v3", "1,advertising,sms,false,2025-02-01,app,v3"],
    )
    assert run("consents", write("c.csv", consents)).status == "loaded"
    with engine.connect() as con:
        assert con.execute(select(Game.schedule).where(Game.id == 3)).scalar_one() == {"every": "15min"}
        assert con.execute(select(Draw.status, Draw.jackpot_kopecks).where(Draw.id == 300)).one() == (
            "scheduled",
            100_000_000,
        )
    assert count(engine, ConsentEvent) == 2


def test_wins_refer_to_tickets_in_the_lake(write, run, lake) -> None:
    run("tickets", write("t.csv", csv_text(TICKET_HEADER, GOOD_TICKETS)))
    header = "win_id,ticket_id,player_id,game_id,draw_id,prize_tier,amount_kopecks,won_at,claimed,claimed_at"
    good = "1,1,1,1,100,3,50000,2025-05-02 21:00,true,2025-05-03 10:00"
    report = run(
        "wins", write("w.csv", csv_text(header, [good, "2,999,1,1,100,3,50000,2025-05-02 21:00,false,"]))
    )
    assert report.problems[0].reason == "unknown ticket (import tickets first)"
    assert report.problems[0].examples == [(2, "999")]
    assert run("wins", write("w2.csv", csv_text(header, [good]))).status == "loaded"
    assert lake.row_count("wins") == 1


def test_parquet_and_import_table(tmp_path, run, lake, engine, settings) -> None:
    table = pa.table(
        {
            "ticket_id": pa.array([10, 11], pa.int64()),
            "game_id": pa.array([1, 2], pa.int32()),
            "draw_id": pa.array([100, None], pa.int64()),
            "channel": ["app", "website"],
            "price_kopecks": pa.array([10_000, 5_000], pa.int64()),
            # Naive timestamps in a Parquet file are the operator's local time, like naive CSV times.
            "sold_at": pa.array(
                [dt.datetime(2025, 5, 1, 10), dt.datetime(2025, 5, 1, 11)], pa.timestamp("ms")
            ),
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    assert run("tickets", tmp_path / "t.parquet").rows_loaded == 2
    first_sale = lake.connect().execute("SELECT min(sold_at) FROM tickets").fetchone()[0]
    assert first_sale.astimezone(dt.UTC) == dt.datetime(2025, 5, 1, 7, tzinfo=dt.UTC)

    events = table.set_column(0, "ticket_id", pa.array([12, 13], pa.int64()))
    report = import_table(
        actor=IMPORT, kind="tickets", table=events, engine=engine, lake=lake, settings=settings, now=NOW
    )
    assert report.status == "loaded" and lake.row_count("tickets") == 4
    again = import_table(
        actor=IMPORT, kind="tickets", table=events, engine=engine, lake=lake, settings=settings, now=NOW
    )
    assert again.status == "already_loaded"


def test_quarantined_cells_cannot_run_as_spreadsheet_formulas(write, run) -> None:
    rows = [*GOOD_TICKETS, "4,1,1,100,=cmd|' /C calc'!A0,,@SUM(1),100,2025-05-01 10:00"]
    report = run("tickets", write("t.csv", csv_text(TICKET_HEADER, rows)), quarantine=True)
    assert report.rows_quarantined == 1 and report.quarantine_file is not None
    with open(report.quarantine_file, encoding="utf-8") as handle:
        (bad,) = list(csv.DictReader(handle))
    assert bad["channel"] == "'=cmd|' /C calc'!A0" and bad["region"] == "'@SUM(1)"
    assert bad["raw_line"] == "" or bad["raw_line"].startswith("'")
