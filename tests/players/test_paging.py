"""Everything on the contact-centre screens that can grow is paged: a player's tickets and wins back to the
first, search results alphabetically (or the page says to narrow the query), a capped list says where the rest
is; and points taken from a loyalty member read as negative."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pyarrow as pa
import pytest
from sqlalchemy import select

from helpers.factories import IMPORT
from lottocrm.audit.models import AuditEvent
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.loyalty.ledger.accounts import member_account
from lottocrm.loyalty.models import LoyaltyOperation
from lottocrm.players import access, consents, search
from lottocrm.players.models import Player
from lottocrm.players.profile import CONSENT_HISTORY_LIMIT

UTC = dt.UTC
TICKETS, WINS = 45, 25


def _history(lake: Lake) -> None:
    """Player 1002: 45 tickets and 25 wins over 2026, several sharing a moment (the cursor breaks ties)."""
    start = dt.datetime(2026, 1, 5, 10, tzinfo=UTC)
    tickets = [
        {
            "ticket_id": 5000 + n,
            "player_id": 1002,
            "game_id": 1,
            "draw_id": None,
            "channel": "retail_kiosk",
            "pos_id": None,
            "region": "RU-TA",
            "price_kopecks": 10000,
            "sold_at": start + dt.timedelta(days=7 * (n // 3)),
        }
        for n in range(TICKETS)
    ]
    wins = [
        {
            "win_id": 7000 + n,
            "ticket_id": 5000 + n,
            "player_id": 1002,
            "game_id": 1,
            "draw_id": None,
            "prize_tier": 4,
            "amount_kopecks": 6000,
            "won_at": start + dt.timedelta(days=14 * (n // 2)),
            "claimed": n % 2 == 0,
            "claimed_at": None,
        }
        for n in range(WINS)
    ]
    lake.append("tickets", pa.Table.from_pylist(tickets), batch_id="paging-tickets")
    lake.append("wins", pa.Table.from_pylist(wins), batch_id="paging-wins")


def _follow(client, first_page: str, table: str) -> list[int]:  # type: ignore[no-untyped-def]
    """Row ids shown on the 360 and on every older page its "Show older" button leads to."""
    section = first_page.split(f'id="{table}"')[1].split("</table>")[0]
    shown = [int(n) for n in re.findall(r'data-id="(\d+)"', section)]
    while older := re.search(rf'hx-get="(/players/1002/activity/{table}\?after=[^"]+)"', section):
        answer = client.get(unescape(older.group(1)))
        assert answer.status_code == 200
        section = answer.text
        shown += [int(n) for n in re.findall(r'data-id="(\d+)"', section)]
    return shown


def test_tickets_and_wins_page_back_to_the_first(client_for, seeded, engine) -> None:  # type: ignore[no-untyped-def]
    _history(Lake(seeded.lake_path))
    client = client_for("operator")
    page = client.get("/players/1002").text
    assert page.split('id="tickets"')[1].split("</table>")[0].count("data-id=") == 20
    tickets = _follow(client, page, "tickets")
    wins = _follow(client, page, "wins")
    # Newest first, ties by id: every row once, none skipped.
    assert tickets == sorted(range(5000, 5000 + TICKETS), key=lambda n: (n // 3, n), reverse=True)
    assert wins == sorted(range(7000, 7000 + WINS), key=lambda n: (n // 2, n), reverse=True)
    with transaction(engine) as session:
        looks = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.in_(("player.tickets", "player.wins")))
        ).all()
    assert sorted(looks) == ["player.tickets", "player.tickets", "player.wins"]


def test_the_api_pages_tickets_and_wins_too(client_for, seeded) -> None:  # type: ignore[no-untyped-def]
    _history(Lake(seeded.lake_path))
    client = client_for("operator")
    activity = client.get("/api/v1/players/1002").json()["activity"]
    ids = [t["ticket_id"] for t in activity["tickets"]]
    after = activity["older_tickets"]
    while after:
        page = client.get("/api/v1/players/1002/activity/tickets", params={"after": after}).json()
        ids += [t["ticket_id"] for t in page["tickets"]]
        after = page["next"]
    assert sorted(ids) == list(range(5000, 5000 + TICKETS)) and len(set(ids)) == TICKETS
    assert client.get("/api/v1/players/1002/activity/tickets", params={"after": "soon"}).status_code == 400
    assert activity["tickets_total"] == TICKETS and activity["wins_total"] == WINS


def test_the_wins_table_is_whole_and_says_claimed_in_words(client_for, seeded) -> None:  # type: ignore[no-untyped-def]
    _history(Lake(seeded.lake_path))
    page = client_for("operator").get("/players/1002").text
    activity = page.split('id="activity"')[0].rsplit("<article", 1)[1]
    assert 'class="wide"' in activity
    wins = page.split('id="wins"')[1].split("</table>")[0]
    assert "Получен" in wins and "получен" in wins and "не получен" in wins


def test_points_taken_from_the_member_read_negative(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    at = dt.datetime(2026, 4, 28, 9, 30, tzinfo=UTC)
    with transaction(engine) as session:
        account = member_account(session, 1001)
        for minute, (kind, points) in enumerate(
            [
                ("earn", 500),
                ("authorize", 139),
                ("capture", 139),
                ("expire", 20),
                ("adjust", -5),
                ("refund", 10),
            ]
        ):
            session.add(
                LoyaltyOperation(
                    kind=kind, account_id=account, points=points, created_at=at + dt.timedelta(minutes=minute)
                )
            )
    client = client_for("operator")
    view = client.get("/api/v1/players/1001").json()
    rows = dict(next(p for p in view["panels"] if p["key"] == "loyalty")["rows"])
    assert rows["Points refunded"].startswith("+10 ") and rows["Adjustment"].startswith("-5 ")
    assert rows["Points expired"].startswith("-20 ") and rows["Points redeemed"].startswith("-139 ")
    assert rows["Points held"].startswith("-139 ")
    timeline = client.get("/api/v1/players/1001/timeline").json()["entries"]
    signed = {entry["kind"]: entry["detail"] for entry in timeline if entry["domain"] == "loyalty"}
    assert signed == {
        "earn": "+500",
        "authorize": "-139",
        "capture": "-139",
        "expire": "-20",
        "adjust": "-5",
        "refund": "+10",
    }
    page = client.get("/players/1001").text
    assert "-139" in page and "+139" not in page


def _namesakes(engine, count: int) -> None:  # type: ignore[no-untyped-def]
    registered = dt.datetime(2026, 1, 10, tzinfo=UTC)
    with transaction(engine) as session:
        session.add_all(
            Player(
                id=20000 + n,
                last_name="Кузнецов",
                first_name=f"Иван{n:03d}",
                middle_name=None,
                search_name=f"кузнецов иван{n:03d}",
                birth_date=dt.date(1980, 1, 1),
                gender="M",
                region="RU-TA",
                registered_at=registered,
                registration_channel="website",
                age_verified=True,
                under_age=False,
                status="active",
                created_at=registered,
            )
            for n in reversed(range(count))
        )


def test_search_pages_alphabetically_through_every_match(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    _namesakes(engine, 120)
    client = client_for("operator")
    pages = [client.get("/api/v1/players", params={"q": "кузнецов", "page": n}).json() for n in (1, 2, 3)]
    assert [len(p["hits"]) for p in pages] == [50, 50, 20]
    assert [p["more"] for p in pages] == [True, True, False]
    ids = [hit["player_id"] for p in pages for hit in p["hits"]]
    assert ids == list(range(20000, 20120))
    html = client.get("/players", params={"q": "кузнецов", "page": "2"}).text
    assert "Страница 2" in html and "page=3" in html and "page=1" in html


def test_a_search_past_the_last_page_asks_to_narrow_it(client_for, engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _namesakes(engine, 120)
    monkeypatch.setattr(search, "MAX_RESULTS", 100)
    monkeypatch.setattr(access, "MAX_RESULTS", 100)
    monkeypatch.setattr(access, "SEARCH_PAGES", 2)
    client = client_for("operator")
    last = client.get("/api/v1/players", params={"q": "кузнецов", "page": 2}).json()
    assert len(last["hits"]) == 50 and not last["more"] and last["too_many"]
    html = client.get("/players", params={"q": "кузнецов", "page": "2"}).text
    assert 'id="too-many"' in html and "page=3" not in html
    assert not client.get("/api/v1/players", params={"q": "кузнецов иван119"}).json()["too_many"]


@pytest.mark.parametrize("query", ["кузнецов", "иван0"])
def test_every_name_statement_comes_in_name_order(query: str, client_for, engine) -> None:  # type: ignore[no-untyped-def]
    """The prefix (an index range) and the substring match alike."""
    _namesakes(engine, 60)
    hits = client_for("operator").get("/api/v1/players", params={"q": query}).json()["hits"]
    ids = [hit["player_id"] for hit in hits]
    assert ids == sorted(ids) and len(ids) == 50


def test_a_long_consent_history_says_where_the_rest_is(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        for n in range(CONSENT_HISTORY_LIMIT):
            consents.record_consent(
                session,
                actor=IMPORT,
                player_id=1003,
                purpose="advertising",
                channel="sms",
                granted=n % 2 == 0,
                source="website",
                notice_version="v1",
                occurred_at=dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(hours=n),
            )
    page = client_for("operator").get("/players/1003").text
    assert f"Показаны последние {CONSENT_HISTORY_LIMIT}; все изменения есть и в истории игрока ниже." in page
    assert "Показаны последние" not in client_for("operator").get("/players/1001").text
