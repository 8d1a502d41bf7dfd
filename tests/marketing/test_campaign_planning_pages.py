"""The planning pages as their users meet them, in Russian: the calendar of a month (runs sent, occurrences
to come, "ещё N", the state filter, month navigation), the approvals queue (paged, with audience, cost and
what would refuse each draft; approvers only), and the global holdout's month."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.marketing.campaigns import service as campaigns
from lottocrm.marketing.campaigns.models import Campaign, CampaignRun
from lottocrm.settings import Settings

from .campaigns.helpers import AUTHOR, published_template, segment
from .history.conftest import add_players
from .test_marketing_api import ADULTS

# Monday 7 December 2026, 15:00 in Moscow.
NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def _document(template_id: int, schedule: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "channels": ["sms"],
        "variants": [{"name": "A", "template_id": template_id}],
        "schedule": schedule,
        **more,
    }


def _campaign(engine: Engine, name: str, status: str, document: dict[str, Any], **fields: Any) -> int:
    with transaction(engine) as session:
        campaign = Campaign(
            name=name,
            kind="one_off" if document["schedule"]["kind"] == "once" else "recurring",
            status=status,
            definition=document,
            snapshot={"definition": document} if status != "draft" else None,
            created_at=NOW - dt.timedelta(days=20),
            created_by="user:marketer",
            **fields,
        )
        session.add(campaign)
        session.flush()
        return campaign.id


def _run(engine: Engine, campaign_id: int, at: dt.datetime, status: str, counts: dict[str, int]) -> None:
    with transaction(engine) as session:
        session.add(
            CampaignRun(
                campaign_id=campaign_id,
                occurrence=at.isoformat(),
                status=status,
                started_at=at,
                counts=counts,
            )
        )


def _calendar_world(engine: Engine) -> dict[str, int]:
    template = published_template(engine)
    sent = _campaign(
        engine,
        "Осенний розыгрыш",
        "done",
        _document(template, {"kind": "once", "at": "2026-12-02T09:00:00+03:00"}),
    )
    _run(
        engine,
        sent,
        dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.UTC),
        "done",
        {"treatment": 900, "control": 100},
    )
    daily = _campaign(
        engine,
        "Ежедневное напоминание",
        "scheduled",
        _document(template, {"kind": "cron", "cron": "0 10 * * *"}),
        approved_audience=5000,
    )
    drafts = [
        _campaign(
            engine,
            f"Новогодний черновик {n}",
            "draft",
            _document(template, {"kind": "once", "at": f"2026-12-24T1{n}:00:00+03:00"}),
        )
        for n in range(4)
    ]
    paused = _campaign(engine, "Пауза", "paused", _document(template, {"kind": "cron", "cron": "0 12 * * *"}))
    return {"sent": sent, "daily": daily, "draft": drafts[0], "paused": paused}


def _cell(page: str, day: str) -> str:
    found = re.search(rf'data-date="{day}">(.*?)</td>', page, re.S)
    assert found, day
    return found.group(1)


def test_the_calendar_shows_runs_sent_and_occurrences_to_come(
    engine: Engine, client_for: Callable[[str], TestClient]
) -> None:
    ids = _calendar_world(engine)
    marketer = client_for("marketer")
    with clock.frozen(NOW):
        page = marketer.get("/campaigns/calendar").text
        filtered = marketer.get("/campaigns/calendar?month=2026-12&state=done").text
        january = marketer.get("/campaigns/calendar?month=2027-01").text
    assert "Календарь кампаний: Декабрь 2026" in page
    heads = re.findall(r"<th>(\w+)</th>", page.split('id="calendar"')[1])
    assert heads == ["пн", "вт", "ср", "чт", "пт", "сб", "вс"]
    # 30 November is the first Monday of the grid, outside the month.
    assert 'class="other" data-date="2026-11-30"' in page
    second = _cell(page, "2026-12-02")
    assert f'href="/campaigns/{ids["sent"]}"' in second and "измерена" in second and "1\xa0000" in second
    # Daily at 10:00 Moscow from tomorrow (today's 10:00 has passed), never before now.
    assert "Ежедневное напоминание" not in _cell(page, "2026-12-07")
    assert "10:00 Ежедневное напоминание" in _cell(page, "2026-12-08")
    assert "5\xa0000" in _cell(page, "2026-12-31")
    # Four drafts and the daily one on the 24th: three shown, "ещё 2".
    eve = _cell(page, "2026-12-24")
    assert eve.count('class="entry') == 3 and "ещё 2" in eve and "Черновик" in eve
    assert "Пауза" not in page
    assert 'href="/campaigns/calendar?month=2026-11"' in page and "?month=2027-01" in page
    assert "Осенний розыгрыш" in filtered and "Ежедневное напоминание" not in filtered
    assert "Новогодний черновик" not in filtered and "state=done" in filtered
    assert "Календарь кампаний: Январь 2027" in january
    assert "10:00 Ежедневное напоминание" in _cell(january, "2027-01-31")


def test_a_bad_calendar_month_is_refused_in_russian(
    engine: Engine, client_for: Callable[[str], TestClient]
) -> None:
    marketer = client_for("marketer")
    refused = marketer.get("/campaigns/calendar?month=2026-13")
    assert refused.status_code == 422 and "2026-13 — не месяц: укажите его как ГГГГ-ММ" in refused.text


def test_a_bad_calendar_state_is_refused_in_russian(
    engine: Engine, client_for: Callable[[str], TestClient]
) -> None:
    refused = client_for("marketer").get("/campaigns/calendar?state=sleeping")
    assert refused.status_code == 422 and "sleeping — не состояние кампании" in refused.text


def test_the_calendar_is_for_campaign_readers(client_for: Callable[[str], TestClient]) -> None:
    assert client_for("operator").get("/campaigns/calendar").status_code == 403


def _draft(engine: Engine, name: str, segment_id: int, template_id: int, *, actor: Actor = AUTHOR) -> int:
    at = (clock.now() + dt.timedelta(days=2)).isoformat()
    with transaction(engine) as session:
        return campaigns.create_campaign(
            session,
            actor=actor,
            name=name,
            segment_id=segment_id,
            definition=_document(template_id, {"kind": "once", "at": at}, cost_per_message_kopecks=150),
        ).id


def test_the_approvals_queue_shows_each_draft_with_what_would_refuse_it(
    engine: Engine, client_for: Callable[[str], TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOTTOCRM_CAMPAIGN_FOUR_EYES_PLAYERS", "0")
    template = published_template(engine)
    adults = segment(engine, ADULTS, name="Взрослые")
    nobody = segment(engine, {"field": "profile.region", "op": "eq", "value": "RU-ZZZ"}, name="Никто")
    first = _draft(engine, "Весенний тираж", adults, template)
    empty = _draft(engine, "Пустая кампания", nobody, template)
    own = _draft(engine, "Своя кампания", adults, template, actor=Actor("user:approver"))
    approver = client_for("approver")
    page = approver.get("/campaigns/approvals")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Кампании, ждущие утверждения" in text and "Ждут утверждения: 3" in text
    assert text.index("Весенний тираж") < text.index("Пустая кампания") < text.index("Своя кампания")
    row = re.search(rf'id="draft-{first}">(.*?)</tr>', text, re.S).group(1)  # type: ignore[union-attr]
    audience = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert audience[0] not in ("", "—") and "два утверждающих" in row
    assert "слишком мало, чтобы что-то измерить" in row
    empty_row = re.search(rf'id="draft-{empty}">(.*?)</tr>', text, re.S).group(1)  # type: ignore[union-attr]
    assert "в сегменте сейчас нет игроков" in empty_row and "Утвердить" not in empty_row
    own_row = re.search(rf'id="draft-{own}">(.*?)</tr>', text, re.S).group(1)  # type: ignore[union-attr]
    assert "ваша" in own_row and "должен утвердить не её автор" in own_row
    assert 'href="/campaigns/approvals"' in text
    assert client_for("marketer").get("/campaigns/approvals").status_code == 403
    with transaction(engine) as session:
        assert session.get(Campaign, first).status == "draft"  # type: ignore[union-attr]


def test_the_approvals_queue_is_paged_and_offers_approval_when_nothing_objects(
    engine: Engine, client_for: Callable[[str], TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    template = published_template(engine)
    adults = segment(engine, ADULTS, name="Взрослые")
    ids = [_draft(engine, f"Кампания {n:02d}", adults, template) for n in range(11)]
    with transaction(engine) as session:
        for campaign_id in ids:
            campaign = session.get(Campaign, campaign_id)
            assert campaign is not None
            campaign.definition = {**campaign.definition, "control_share": 0.5}
    approver = client_for("approver")
    first = approver.get("/campaigns/approvals").text
    second = approver.get("/campaigns/approvals?page=2").text
    assert first.count('id="draft-') == 10 and "Кампания 00" in first and "Кампания 10" not in first
    assert second.count('id="draft-') == 1 and "Кампания 10" in second and "?page=1" in second
    assert "Ждут утверждения: 11" in second


def test_the_holdout_page_reads_in_russian_and_refuses_a_future_month(
    seeded: Settings, engine: Engine, client_for: Callable[[str], TestClient]
) -> None:
    add_players(engine, range(1, 401))
    tickets = [
        {
            "ticket_id": 10_000 + pid,
            "player_id": pid,
            "game_id": 1,
            "draw_id": None,
            "channel": "website",
            "pos_id": None,
            "region": "RU-MOW",
            "price_kopecks": 10_000 * (1 + pid % 3),
            "sold_at": dt.datetime(2026, 11, 3 + pid % 20, 12, tzinfo=dt.UTC),
        }
        for pid in range(1, 401)
        if pid % 4
    ]
    Lake(seeded.lake_path).append("tickets", pa.Table.from_pylist(tickets), batch_id="holdout-page")
    analyst = client_for("analyst")
    with clock.frozen(NOW):
        page = analyst.get("/campaigns/holdout")
        future = analyst.get("/campaigns/holdout?month=2027-03")
        malformed = analyst.get("/campaigns/holdout?month=ноябрь")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Глобальная контрольная группа: Ноябрь 2026" in text
    assert "Предварительно" in text  # no sale after November in the lake yet
    assert "Остальные (с маркетингом)" in text and "Дополнительная выручка от всего маркетинга" in text
    assert "С начала года" in text and "хранилища фактов" in text
    assert "month=2026-10" in text and "month=2026-12" in text
    assert future.status_code == 422 and "2027-03 ещё не начался" in future.text
    assert malformed.status_code == 422 and "ноябрь — не месяц" in malformed.text
    assert client_for("operator").get("/campaigns/holdout").status_code == 403
