"""The results page as an analyst reads it, in Russian: per-arm figures, the lift with its interval, the
segment table, the CSV; and a clear refusal for a campaign that has nothing to measure yet."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from helpers.factories import IMPORT
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.marketing.campaigns.models import Campaign
from lottocrm.marketing.history.service import import_history
from marketing.history.conftest import add_players, write_history


def test_an_imported_campaign_reads_in_russian_with_its_interval(
    client_for, engine, settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ids = list(range(5001, 5401))
    add_players(engine, ids)
    rows = [
        {
            "player_id": pid,
            "campaign_code": "SAS-7",
            "campaign_name": "Возврат спящих",
            "arm": "control" if pid % 10 == 0 else "treatment",
            "sent_at": "2026-10-01 10:00",
            "responded": "1" if pid % 3 == 0 else "0",
            "revenue_kopecks": "15000" if pid % 3 == 0 else "0",
        }
        for pid in ids
    ]
    path = write_history(tmp_path / "history.csv", rows)
    with transaction(engine) as session:
        import_history(session, actor=IMPORT, path=path, lake=Lake(settings.lake_path), settings=settings)
        campaign_id = session.scalar(select(Campaign.id))
    analyst = client_for("analyst")
    page = analyst.get(f"/campaigns/{campaign_id}/results")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Результаты: Возврат спящих" in text and "Прирост отклика" in text and "95 % интервал" in text
    assert 'id="arms"' in text and "Контроль (без отправки)" in text
    csv = analyst.get(f"/campaigns/{campaign_id}/results.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")


def test_a_campaign_without_a_send_says_so(client_for) -> None:  # type: ignore[no-untyped-def]
    analyst = client_for("analyst")
    missing = analyst.get("/campaigns/424242/results")
    assert missing.status_code == 404 and "кампании 424242 нет" in missing.text
