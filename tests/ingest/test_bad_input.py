"""Every bad input the issue lists: a clear message naming file, row and column; nothing written."""

from __future__ import annotations

import gzip
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_helpers import GOOD_TICKETS, TICKET_HEADER, csv_text

from helpers.factories import IMPORT

pytestmark = pytest.mark.usefixtures("catalog")


def _problem(report, column: str, fragment: str):  # type: ignore[no-untyped-def]
    matches = [p for p in report.problems if p.column == column and fragment in p.reason]
    assert matches, report.describe()
    return matches[0]


def _rejected(report, path) -> str:  # type: ignore[no-untyped-def]
    assert report.status == "rejected"
    assert not report.ok
    assert report.rows_loaded == 0
    text = report.describe()
    assert str(path) in text
    return text


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (TICKET_HEADER.replace(",price_kopecks", ""), "missing column(s): price_kopecks"),
        (TICKET_HEADER + ",colour", "unexpected column(s): colour"),
    ],
    ids=["missing", "extra"],
)
def test_missing_or_extra_columns(write, run, nothing_written, header: str, message: str) -> None:
    rows = (
        [",".join(r.split(",")[: header.count(",") + 1]) for r in GOOD_TICKETS]
        if "colour" not in header
        else [r + ",red" for r in GOOD_TICKETS]
    )
    path = write("t.csv", csv_text(header, rows))
    report = run("tickets", path)
    text = _rejected(report, path)
    assert message in report.file_error and "row 0 (header)" in text
    nothing_written()


def test_wrong_types(write, run, nothing_written) -> None:
    rows = [
        *GOOD_TICKETS,
        "4,1,1,100,website,,RU-MOW,12.50,2025-05-01 10:00",
        "5,x,1,100,website,,,100,yesterday",
    ]
    path = write("t.csv", csv_text(TICKET_HEADER, rows))
    report = run("tickets", path)
    text = _rejected(report, path)
    price = _problem(report, "price_kopecks", "cannot read as integer")
    assert price.examples == [(4, "12.50")] and price.count == 1
    assert _problem(report, "player_id", "cannot read").examples == [(5, "x")]
    assert _problem(report, "sold_at", "cannot read as ISO 8601").examples == [(5, "yesterday")]
    assert f"{path}, row 4, column price_kopecks: '12.50'" in text
    assert report.rows_with_problems == 2 and report.rows_read == 5
    nothing_written()


@pytest.mark.parametrize("price", ["0", "-100"])
def test_zero_or_negative_price(write, run, nothing_written, price: str) -> None:
    path = write(
        "t.csv", csv_text(TICKET_HEADER, [*GOOD_TICKETS, f"4,1,1,100,website,,,{price},2025-05-01 10:00"])
    )
    report = run("tickets", path)
    _rejected(report, path)
    assert _problem(report, "price_kopecks", "at least 1").examples == [(4, price)]
    nothing_written()


def test_unknown_game_and_draw(write, run, nothing_written) -> None:
    rows = [
        *GOOD_TICKETS,
        "4,1,99,100,website,,,100,2025-05-01 10:00",  # no game 99
        "5,1,1,555,website,,,100,2025-05-01 10:00",  # no draw 555
        "6,1,1,,website,,,100,2025-05-01 10:00",  # draw game without a draw
        "7,1,2,100,website,,,100,2025-05-01 10:00",  # an instant game with a draw of game 1
    ]
    path = write("t.csv", csv_text(TICKET_HEADER, rows))
    report = run("tickets", path)
    _rejected(report, path)
    assert _problem(report, "game_id", "unknown game").examples == [(4, "99")]
    assert _problem(report, "draw_id", "unknown draw").examples == [(5, "555")]
    assert _problem(report, "draw_id", "needs its draw_id").examples == [(6, "")]
    assert _problem(report, "draw_id", "instant games have no draws").examples == [(7, "100")]
    assert _problem(report, "draw_id", "another game").examples == [(4, "100"), (7, "100")]
    nothing_written()


def test_unknown_player_and_point_of_sale(write, run, nothing_written) -> None:
    rows = [*GOOD_TICKETS, "4,777,1,100,website,99,,100,2025-05-01 10:00"]
    report = run("tickets", write("t.csv", csv_text(TICKET_HEADER, rows)))
    assert _problem(report, "player_id", "unknown player").examples == [(4, "777")]
    assert _problem(report, "pos_id", "unknown point of sale").examples == [(4, "99")]
    nothing_written()


def test_timestamp_in_the_future(write, run, nothing_written) -> None:
    path = write(
        "t.csv", csv_text(TICKET_HEADER, [*GOOD_TICKETS, "4,1,1,100,website,,,100,2025-06-02 10:00"])
    )
    report = run("tickets", path)
    _rejected(report, path)
    assert _problem(report, "sold_at", "in the future").examples == [(4, "2025-06-02 10:00")]
    nothing_written()


def test_duplicate_ticket_id_within_the_file(write, run, nothing_written) -> None:
    rows = [*GOOD_TICKETS, "2,1,1,100,website,,,100,2025-05-01 10:00", "2,1,1,100,app,,,100,2025-05-01 10:00"]
    report = run("tickets", write("t.csv", csv_text(TICKET_HEADER, rows)))
    duplicate = _problem(report, "ticket_id", "appears earlier in this file")
    assert duplicate.count == 2 and [row for row, _ in duplicate.examples] == [4, 5]
    nothing_written()


def test_duplicate_ticket_id_across_files(write, run, lake) -> None:
    assert run("tickets", write("a.csv", csv_text(TICKET_HEADER, GOOD_TICKETS))).status == "loaded"
    second = write(
        "b.csv", csv_text(TICKET_HEADER, ["9,1,1,100,website,,,100,2025-05-02 10:00", GOOD_TICKETS[1]])
    )
    report = run("tickets", second)
    _rejected(report, second)
    assert _problem(report, "ticket_id", "already in the lake").examples == [(2, "2")]
    assert lake.row_count("tickets") == 3
    assert len(lake.records("tickets")) == 1


def test_duplicate_ids_across_batches_of_one_file(
    write, run, settings, engine, lake, nothing_written
) -> None:
    """The file streams in batches of 1 000 rows; a repeat 2 000 rows later is still caught."""
    rows = [f"{i},1,1,100,website,,,100,2025-05-01 10:00" for i in range(1, 2_501)] + [
        "17,1,1,100,website,,,100,2025-05-01 10:00"
    ]
    small = settings.model_copy(update={"import_batch_rows": 1_000})
    from lottocrm.ingest.service import import_file

    report = import_file(
        actor=IMPORT,
        kind="tickets",
        path=write("t.csv", csv_text(TICKET_HEADER, rows)),
        engine=engine,
        lake=lake,
        settings=small,
    )
    assert _problem(report, "ticket_id", "earlier in this file").examples == [(2_501, "17")]
    nothing_written()


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        ("phone", "8 916 123", "not a valid phone number"),
        ("phone", "+7 (916) 12-34-567-89", "not a valid phone number"),
        ("email", "ivan@@mail.ru", "not a valid e-mail"),
        ("email", "ivan.mail.ru", "not a valid e-mail"),
    ],
)
def test_malformed_phone_and_email(
    write, run, engine, nothing_written, kind: str, value: str, reason: str
) -> None:
    path = write(
        "ids.csv", csv_text("player_id,kind,value", ["1,phone,8 916 123-45-67", f'2,{kind},"{value}"'])
    )
    report = run("identities", path)
    _rejected(report, path)
    assert _problem(report, "value", reason).examples == [(2, value)]
    nothing_written()


def test_empty_file(write, run, nothing_written) -> None:
    path = write("t.csv", "")
    report = run("tickets", path)
    _rejected(report, path)
    assert report.file_error == "the file is empty"
    nothing_written()


def test_header_only_file(write, run, nothing_written) -> None:
    report = run("tickets", write("t.csv", TICKET_HEADER + "\n"))
    assert report.status == "rejected" and "no data rows" in report.file_error
    nothing_written()


def test_truncated_gzip(write, run, nothing_written) -> None:
    rows = [f"{i},1,1,100,website,,,100,2025-05-01 10:00" for i in range(1, 5_000)]
    whole = gzip.compress(csv_text(TICKET_HEADER, rows).encode())
    path = write("t.csv.gz", whole[: len(whole) // 2])
    report = run("tickets", path)
    _rejected(report, path)
    assert "truncated" in report.file_error
    nothing_written()


def test_cp1251_csv_is_detected(write, run, engine) -> None:
    header = "id,last_name,first_name,middle_name,birth_date,gender,region,registered_at,registration_channel"
    rows = [
        f"{i},Щербакова,Алёна,Юрьевна,01.02.1990,F,RU-MOW,2024-01-01 10:00,website" for i in range(10, 40)
    ]
    path = write("p.csv", csv_text(header, rows), encoding="cp1251", compress=True)
    report = run("players", path)
    assert report.status == "loaded", report.describe()
    assert report.encoding == "cp1251"
    from sqlalchemy import select

    from lottocrm.players.models import Player

    with engine.connect() as con:
        names = con.execute(select(Player.first_name, Player.search_name).where(Player.id == 10)).one()
    assert tuple(names) == ("Алёна", "щербакова алена юрьевна")


def test_wrong_encoding_given_is_refused(write, run, nothing_written) -> None:
    path = write("t.csv", csv_text(TICKET_HEADER, GOOD_TICKETS) + "# Примечание\n", encoding="cp1251")
    report = run("tickets", path, encoding="utf-8")
    assert report.status == "rejected" and "not valid utf-8" in report.file_error
    report = run("tickets", path, encoding="no-such-encoding")
    assert "unknown encoding 'no-such-encoding'" in report.file_error
    nothing_written()


def test_undetectable_encoding_is_refused(write, run, nothing_written) -> None:
    noise = bytes(random.Random(7).randrange(0x80, 0x100) for _ in range(4_000))
    path = write("t.csv", TICKET_HEADER.encode() + b"\n" + noise)
    report = run("tickets", path)
    _rejected(report, path)
    assert "cannot tell the file's text encoding" in report.file_error and "--encoding" in report.file_error
    nothing_written()


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), b'{"tickets": [{"id": 1}]}\n'],
    ids=["binary", "json"],
)
def test_a_file_that_is_not_csv(write, run, nothing_written, content: bytes) -> None:
    path = write("t.csv", content)
    report = run("tickets", path)
    _rejected(report, path)
    assert "not a CSV file" in report.file_error or "missing column(s)" in report.file_error
    nothing_written()


def test_a_row_with_too_many_fields(write, run, nothing_written) -> None:
    rows = [
        *GOOD_TICKETS,
        "4,1,1,100,website,,,100,2025-05-01 10:00,surplus",
        "5,1,1,100,website,,,100,2025-05-01",
    ]
    report = run("tickets", write("t.csv", csv_text(TICKET_HEADER, rows)))
    assert _problem(report, "*", "expected 9 fields, found 10").examples[0][0] == 4
    nothing_written()


def test_parquet_with_wrong_types(tmp_path, run, nothing_written) -> None:
    table = pa.table(
        {
            "ticket_id": pa.array([1, 2], pa.int64()),
            "game_id": pa.array([1, 1], pa.int64()),
            "draw_id": pa.array([100, 100], pa.int64()),
            "channel": ["website", "app"],
            "price_kopecks": pa.array([100.0, 99.5]),
            "sold_at": pa.array(["2025-05-01 10:00", "2025-05-01 10:00"]),
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    report = run("tickets", tmp_path / "t.parquet")
    assert _problem(report, "price_kopecks", "cannot read as integer").examples == [(2, "99.5")]
    nothing_written()


# --- hostile files (outside review): bombs, mixed encodings, oversized echoes -----------------------------

PLAYERS_HEADER = (
    "id,last_name,first_name,middle_name,birth_date,gender,region,registered_at,registration_channel"
)


def _player_row(player_id: int, last_name: str) -> str:
    return f"{player_id},{last_name},Ольга,,1985-02-03,F,RU-MOW,2024-05-01 10:00:00,website\n"


def test_a_gzip_bomb_is_refused_before_it_inflates(write, run, nothing_written) -> None:
    """80 MiB of zeros compress a thousand times; the check stops at 100 times past 64 MiB."""
    path = write("bomb.csv.gz", gzip.compress(b"0" * (80 * 2**20), 9))
    report = run("tickets", path)
    assert "bomb.csv.gz inflates more than 100 times its size" in report.file_error
    assert "decompression bomb" in _rejected(report, path)
    nothing_written()


@pytest.mark.parametrize(
    ("content", "encoding", "row", "what"),
    [
        # cp1251 rows first (detected as cp1251), a UTF-8 row after them
        (
            PLAYERS_HEADER.encode()
            + b"\n"
            + _player_row(9001, "Петрова").encode("cp1251") * 50
            + _player_row(9100, "Смирнова").encode(),
            None,
            51,
            "is written in UTF-8, but the file is read as cp1251",
        ),
        # UTF-8 rows, then a cp1251 row within the sample the encoding is detected from
        (
            (PLAYERS_HEADER + "\n" + _player_row(9001, "Смирнова") * 3).encode()
            + _player_row(9100, "Петрова").encode("cp1251"),
            None,
            4,
            "is not valid UTF-8 like the rows before it",
        ),
        # ... and far beyond it (Arrow meets it while reading)
        (
            (
                PLAYERS_HEADER + "\n" + "".join(_player_row(10_000 + i, "Смирнова") for i in range(8_000))
            ).encode()
            + _player_row(9100, "Петрова").encode("cp1251"),
            None,
            8_001,
            "is not valid utf-8",
        ),
        # the operator says cp1251, one row is UTF-8
        (
            PLAYERS_HEADER.encode()
            + b"\n"
            + _player_row(9001, "Петрова").encode("cp1251")
            + _player_row(9100, "Смирнова").encode(),
            "cp1251",
            2,
            "is written in UTF-8, but the file is read as cp1251",
        ),
    ],
    ids=["utf8-in-cp1251", "cp1251-in-utf8-sample", "cp1251-in-utf8-late", "utf8-in-named-cp1251"],
)
def test_rows_in_two_encodings_are_refused_naming_the_first_odd_row(
    write, run, nothing_written, content: bytes, encoding: str | None, row: int, what: str
) -> None:
    path = write("mixed.csv", content)
    report = run("players", path, encoding=encoding)
    assert f"row {row} {what}" in (report.file_error or ""), report.describe()
    assert "mixes two text encodings" in _rejected(report, path)
    nothing_written()


def test_a_cp1251_file_with_yo_after_s_or_r_is_not_mistaken_for_utf8(write, run) -> None:
    """ "Сёмин", "Рёрих": in cp1251 the pair looks like misread UTF-8, but the bytes are not UTF-8."""
    text = PLAYERS_HEADER + "\n" + _player_row(9001, "Сёмин") + _player_row(9002, "Рёрих")
    report = run("players", write("yo.csv", text.encode("cp1251")), encoding="cp1251")
    assert report.status == "loaded", report.describe()


def test_echoed_values_and_names_are_cut_and_escaped(write, run) -> None:
    huge = "7" * 10_000_000
    path = write(
        "evil\x1b[31m\u202ename.csv", csv_text(TICKET_HEADER, [f"{huge},1,1,100,website,,,100,2025-05-01"])
    )
    text = run("tickets", path).describe()
    assert "\x1b" not in text and "\u202e" not in text and "evil\\x1b[31m\\u202ename.csv" in text
    assert len(text) < 5_000 and "(10,000,000 characters)" in text


def test_a_file_that_is_no_import_file_is_named_briefly(write, run, nothing_written) -> None:
    prose = "Дорогие коллеги, " * 500 + "\nвторая строка\n"
    path = write("letter.txt", prose)
    report = run("tickets", path)
    assert len(report.file_error or "") < 1_000 and "more" in report.file_error
    nothing_written()


def test_a_very_wide_header_is_named_briefly_not_as_a_repeat(write, run, nothing_written) -> None:
    header = ",".join(f"c{i}" for i in range(200_000))
    path = write("wide.csv", header + "\n" + ",".join("1" for _ in range(200_000)) + "\n")
    report = run("tickets", path)
    assert "more than once" not in report.file_error
    assert "unexpected column(s): c0, c1" in report.file_error and "and 199,990 more" in report.file_error
    nothing_written()
