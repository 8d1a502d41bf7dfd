"""The 360's timeline: sources merged newest first, paged without losing or repeating an entry, a failing
source (or panel) isolated, and the page's query budget."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from helpers.queries import statements
from helpers.web_app import csrf_of
from lottocrm.analytics.propensity.models import PlayerGamePropensity, PlayerNextGame, PropensityRun
from lottocrm.db.engine import transaction
from lottocrm.players.contrib import TimelineEntry
from lottocrm.players.timeline import Cursor, timeline_page
from lottocrm.presentation.values import Text
from players.test_panels_locale import AS_OF, fill_panels

T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


class ListSource:
    """A source over a fixed list, as the contract asks: at or before ``before``, newest first, ``limit``."""

    def __init__(self, name: str, entries: list[TimelineEntry]) -> None:
        self.name = name
        self._entries = sorted(entries, key=lambda e: e.key, reverse=True)

    def entries(self, session, *, player_id, before, limit):  # type: ignore[no-untyped-def]
        return [e for e in self._entries if before is None or e.at <= before][:limit]


class BrokenSource:
    name = "broken"

    def entries(self, session, *, player_id, before, limit):  # type: ignore[no-untyped-def]
        raise RuntimeError("this source is down")


def _entry(domain: str, minute: int, number: int) -> TimelineEntry:
    return TimelineEntry(
        at=T0 + dt.timedelta(minutes=minute),
        domain=domain,
        kind="k",
        title=Text(f"{domain} {number}"),
        ref=f"x:{number:06d}",
    )


def _all_pages(session: Session, sources: list, limit: int) -> list[TimelineEntry]:  # type: ignore[type-arg]
    shown: list[TimelineEntry] = []
    cursor: Cursor | None = None
    for _ in range(1000):
        page = timeline_page(session, player_id=1, sources=sources, after=cursor, limit=limit)
        shown += page.entries
        if page.next is None:
            return shown
        cursor = Cursor.decode(page.next.encode())
    raise AssertionError("the timeline never ended")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    minutes=st.lists(st.lists(st.integers(0, 6), max_size=25), min_size=1, max_size=3),
    limit=st.integers(1, 9),
)
def test_pages_show_every_entry_once_newest_first(
    engine: Engine, minutes: list[list[int]], limit: int
) -> None:
    """Many entries share a minute, within a source and across sources; paging must still be exact."""
    sources = [
        ListSource(f"s{i}", [_entry(f"s{i}", minute, n) for n, minute in enumerate(source)])
        for i, source in enumerate(minutes)
    ]
    expected = sorted((e for s in sources for e in s._entries), key=lambda e: e.key, reverse=True)
    with transaction(engine) as session:
        assert _all_pages(session, sources, limit) == expected


def test_a_failing_source_is_left_out_and_named(engine: Engine) -> None:
    good = ListSource("good", [_entry("good", minute, minute) for minute in range(3)])
    with transaction(engine) as session:
        page = timeline_page(session, player_id=1, sources=[BrokenSource(), good], limit=10)
    assert [e.ref for e in page.entries] == ["x:000002", "x:000001", "x:000000"]
    assert page.failed_sources == ["broken"]


def test_consent_and_contact_changes_reach_the_timeline_in_russian(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    csrf = csrf_of(client, "/players/1001")
    changed = client.post(
        "/players/1001/consents",
        data={
            "csrf_token": csrf,
            "purpose": "advertising",
            "channel": "email",
            "granted": "no",
            "reason": "попросил по телефону",
        },
    )
    assert changed.status_code == 303
    entries = client.get("/api/v1/players/1001/timeline").json()["entries"]
    assert entries[0]["title"] == "Consent withdrawn: advertising, email"
    assert {"Contact added: phone", "Contact added: card", "Consent granted: advertising, sms"} <= {
        e["title"] for e in entries
    }
    page = client.get("/players/1001?lang=ru").text
    assert "История игрока" in page and "Согласие отозвано: реклама, e-mail" in page
    assert "Контакт добавлен: телефон" in page


def test_the_timeline_api_pages_to_the_end(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    everything = client.get("/api/v1/players/1001/timeline", params={"limit": 100}).json()
    assert everything["next"] is None and len(everything["entries"]) >= 6
    paged, after = [], None
    while True:
        page = client.get(
            "/api/v1/players/1001/timeline", params={"limit": 2, **({"after": after} if after else {})}
        ).json()
        paged += page["entries"]
        if page["next"] is None:
            break
        after = page["next"]
    assert [e["ref"] for e in paged] == [e["ref"] for e in everything["entries"]]
    older = client.get(
        "/players/1001/timeline", params={"after": after or ""}, headers={"HX-Request": "true"}
    )
    assert older.status_code == 200 and "<html" not in older.text


def test_bad_cursors_are_refused_plainly(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    for after in ("yesterday", "2026-11-01T12:00:00|", "2026-11-01T12:00:00|x", "x" * 400):
        response = client.get("/api/v1/players/1001/timeline", params={"after": after})
        assert response.status_code in (400, 422), after
    assert client.get("/api/v1/players/999999/timeline").status_code == 404


def test_a_failing_source_or_panel_does_not_break_the_360(app, client_for) -> None:  # type: ignore[no-untyped-def]
    def broken_panel(session, *, player_id):  # type: ignore[no-untyped-def]
        session.execute(__import__("sqlalchemy").text("SELECT * FROM no_such_table"))

    app.state.timeline_sources = (BrokenSource(), *app.state.timeline_sources)
    app.state.player_panels = (broken_panel, *app.state.player_panels)
    client = client_for("operator")
    page = client.get("/players/1001?lang=ru")
    assert page.status_code == 200
    assert "Часть истории не удалось загрузить" in page.text and "Согласие получено" in page.text
    view = client.get("/api/v1/players/1001")
    assert view.status_code == 200
    assert client.get("/api/v1/players/1001/timeline").json()["failed_sources"] == ["broken"]


def _fill_propensity(engine: Engine) -> None:
    with transaction(engine) as session:
        session.add(
            PropensityRun(
                as_of=AS_OF,
                model_version="m1",
                horizon_days=30,
                train_as_of=AS_OF,
                holdout_as_of=AS_OF,
                metrics={},
                players=3,
                created_at=T0,
            )
        )
        session.add_all(
            PlayerGamePropensity(
                as_of=AS_OF, player_id=1001, rank=rank, game_id=game, probability=0.5, played_before=True
            )
            for rank, game in ((1, 1), (2, 2))
        )
        session.add(
            PlayerNextGame(
                as_of=AS_OF,
                player_id=1001,
                rank=1,
                game_id=2,
                score=0.4,
                propensity=0.3,
                lift=1.8,
                reason_kind="rule",
                reason_detail={"antecedent": [1], "confidence": 0.4},
            )
        )


def test_the_360_stays_within_its_query_budget(app, client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """One query per panel provider and one per timeline source (each group runs inside one savepoint),
    plus a fixed number: the sign-in check (2), the player, identities, current consents, consent history,
    responsible gaming, game names, the audit row; the page adds the player's changes and views (two lists of
    the audit log), the names of those who acted in them, and former contacts.
    Measured with every panel holding data (the record, segment, CLV, churn, propensity, loyalty)."""
    fill_panels(engine)
    _fill_propensity(engine)
    client = client_for("operator")
    client.get("/api/v1/players/1001")  # warm: the first request of a process looks up what is installed
    providers, sources = len(app.state.player_panels), len(app.state.timeline_sources)
    with statements() as api_sent:
        assert client.get("/api/v1/players/1001").status_code == 200
    with statements() as page_sent:
        assert client.get("/players/1001").status_code == 200
    (panels,) = _contributed(api_sent)
    assert len(panels) == providers + GATE_QUERIES, "\n".join(s[:80].replace("\n", " ") for s in panels)
    assert len(api_sent) - len(panels) - 2 == API_FIXED, api_sent
    panels, timeline = _contributed(page_sent)
    assert (len(panels), len(timeline)) == (providers + GATE_QUERIES, sources), (panels, timeline)
    assert len(page_sent) - len(panels) - len(timeline) - 4 == PAGE_FIXED, page_sent


def _contributed(sent: list[str]) -> list[list[str]]:
    """The statements sent between each SAVEPOINT and its RELEASE (contributors run inside one)."""
    groups: list[list[str]] = []
    inside = False
    for statement in sent:
        if statement.startswith("SAVEPOINT"):
            groups.append([])
            inside = True
        elif statement.startswith("RELEASE"):
            inside = False
        elif inside:
            groups[-1].append(statement)
    return groups


# The contact policy's gate reads a player's contactability row in one query and the policy in force once
# per transaction. Two panels ask it: "contactable for marketing" (two queries: one counted as its own, the
# policy one more) and the offer panel (whether a game may be offered at all: the row again, the policy
# already read).
GATE_QUERIES = 1 + 1
API_FIXED = 9
PAGE_FIXED = 13
