"""The review queue: the data steward's page (Russian, paged, both registrations side by side with the
evidence) and the decisions, audited on both players; bad decisions refused with nothing changed."""

from __future__ import annotations

import datetime as dt
import re
from itertools import combinations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from helpers.web_app import csrf_of
from lottocrm.audit.models import AuditEvent
from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.identity.errors import ReviewItemNotFound
from lottocrm.identity.models import ResolutionRun, ReviewItem
from lottocrm.identity.review import ReviewDecisionError, decide
from lottocrm.players.models import Player, PlayerIdentity
from lottocrm.players.service import PlayerServiceError

NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
EVIDENCE = {
    "last_name": ["same", 8.9],
    "first_name": ["same name, another form", 6.1],
    "middle_name": ["missing", 0.0],
    "birth_date": ["one digit off", 2.4],
    "region": ["same", 4.0],
    "phone": ["different", -0.3],
}


def _queue(engine: Engine, items: int) -> list[int]:
    """Ten players (2001–2010) and ``items`` pending pairs among them; returns the items' ids."""
    with transaction(engine) as session:
        for number in range(10):
            session.add(
                Player(
                    id=2001 + number,
                    last_name="Смирнова",
                    first_name="Александра" if number % 2 else "Саша",
                    middle_name=None if number % 2 else "Игоревна",
                    search_name="смирнова",
                    birth_date=dt.date(1990, 4, 1 + number),
                    region="RU-MOW",
                    registered_at=NOW,
                    registration_channel="website",
                    status="active",
                    created_at=NOW,
                )
            )
        run = ResolutionRun(
            mode="full", started_at=NOW, finished_at=NOW, actor="cli:test", certain=0.98, probable=0.8,
            max_size=6, min_density=0.5, counts={},
        )  # fmt: skip
        session.add(run)
        session.flush()
        rows = [
            ReviewItem(
                run_id=run.id,
                player_a=a,
                player_b=b,
                reason="probable",
                probability=0.91,
                evidence=EVIDENCE,
                status="pending",
                created_at=NOW,
            )  # fmt: skip
            for a, b in list(combinations(range(2001, 2011), 2))[:items]
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def test_a_decision_is_recorded_and_audited_on_both_players(engine: Engine) -> None:
    [item] = _queue(engine, 1)
    with transaction(engine) as session:
        decide(
            session,
            actor=Actor.console("steward"),
            item_id=item,
            decision="rejected",
            reason="разные отчества",
        )
    with transaction(engine) as session:
        row = session.get(ReviewItem, item)
        assert (row.status, row.decided_by, row.note) == ("rejected", "cli:steward", "разные отчества")
        audited = session.execute(
            select(AuditEvent.player_id, AuditEvent.detail).where(
                AuditEvent.action == "identity.review.decide"
            )
        ).all()
    assert sorted(player for player, _detail in audited) == [2001, 2002]
    assert all(detail["decision"] == "rejected" and detail["from"] == "pending" for _p, detail in audited)


@pytest.mark.parametrize(
    ("item_id", "decision", "reason", "error", "message"),
    [
        (None, "merge", "причина", ReviewDecisionError, "a decision is one of"),
        (None, "accepted", "", PlayerServiceError, "a reason of 3–500 characters"),
        (999_999, "accepted", "причина", ReviewItemNotFound, "no pair 999999"),
    ],
)
def test_bad_decisions_are_refused_and_change_nothing(  # type: ignore[no-untyped-def]
    engine: Engine, item_id, decision, reason, error, message
) -> None:
    [item] = _queue(engine, 1)
    with pytest.raises(error, match=message), transaction(engine) as session:
        decide(
            session, actor=Actor.console("steward"), item_id=item_id or item, decision=decision, reason=reason
        )
    with transaction(engine) as session:
        assert session.get(ReviewItem, item).status == "pending"
        assert (
            session.scalar(select(AuditEvent.id).where(AuditEvent.action == "identity.review.decide")) is None
        )


def _visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_steward_pages_through_the_queue_in_russian_and_decides(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    items = _queue(engine, 25)
    steward: TestClient = client_for("data_steward")
    first = steward.get("/identity/review")
    assert first.status_code == 200
    text = _visible(first.text)
    assert "Проверка дублей" in text and "Пар: 25" in text
    assert first.text.count('class="review-pair"') == 20
    for russian in ("Фамилия", "то же имя в другой форме", "одна цифра отличается", "Саша", "Александра"):
        assert russian in text
    for code in ("last_name", "same name, another form", "pending", "birth_date"):
        assert code not in text
    second = steward.get("/identity/review?page=2")
    assert second.text.count('class="review-pair"') == 5 and 'id="review-next"' not in second.text

    token = csrf_of(steward, "/identity/review")
    decided = steward.post(
        f"/identity/review/{items[0]}",
        data={"decision": "accepted", "reason": "одно лицо, опечатка", "csrf_token": token, "page": "1"},
    )
    assert decided.status_code == 303
    refused = steward.post(
        f"/identity/review/{items[1]}", data={"decision": "merge", "reason": "зачем", "csrf_token": token}
    )
    assert refused.status_code == 400
    assert "решение — одно из" in _visible(refused.text)
    with transaction(engine) as session:
        assert session.get(ReviewItem, items[0]).status == "accepted"
        assert session.get(ReviewItem, items[1]).status == "pending"
        looks = session.scalars(select(AuditEvent).where(AuditEvent.action == "identity.review.view")).all()
        assert looks and looks[0].actor == "user:data_steward"
    accepted = _visible(steward.get("/identity/review?status=accepted").text)
    assert "Пар: 1" in accepted and "одно лицо, опечатка" in accepted


def test_other_roles_cannot_open_the_queue(client_for) -> None:  # type: ignore[no-untyped-def]
    assert client_for("operator").get("/identity/review").status_code == 403
    assert client_for("analyst").get("/identity/review").status_code == 403


def test_a_masked_reader_sees_initials_and_masked_contacts(engine: Engine) -> None:
    from lottocrm.identity.review import review_page

    _queue(engine, 1)
    with transaction(engine) as session:
        session.add(
            PlayerIdentity(player_id=2001, kind="phone", value="+79161234567", verified=True, created_at=NOW)
        )
    with transaction(engine) as session:
        page = review_page(session, actor=Actor.console("analyst"), masked=True)
        values = page.cards[0].left.values
        looked = session.scalars(select(AuditEvent).where(AuditEvent.action == "identity.review.view")).one()
    assert (values["last_name"], values["first_name"]) == ("С.", "С.")
    assert values["phone"] != "+79161234567" and values["phone"].endswith("67")
    assert looked.detail == {"status": "pending", "page": 1, "shown": 2, "masked": True}
