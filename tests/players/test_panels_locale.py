"""The 360 panels in the reader's language: ru-RU money, dates and numbers, Russian micro-segment names and
loyalty words on the Russian page; English text in the API and on the English page."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from helpers.factories import analytics_record
from lottocrm.analytics.churn.models import ChurnScore
from lottocrm.analytics.clusters.models import ClusterProfile, PlayerCluster
from lottocrm.analytics.clv.models import PlayerClv
from lottocrm.db.engine import transaction
from lottocrm.loyalty.ledger.accounts import member_account
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyOperation

AS_OF = dt.date(2026, 4, 29)
NBSP = "\u00a0"
TRAITS = [["status", "active"], ["value", "high"], ["rhythm", "weekly"], ["audience", "draw"]]
ENGLISH_SEGMENT = "Active high-value weekly draw-game players"


def fill_panels(engine) -> None:  # type: ignore[no-untyped-def]
    """Player 1001 with an analytical record, a micro-segment, CLV and churn scores and a loyalty account."""
    with transaction(engine) as session:
        session.add(analytics_record(1001, AS_OF, "vip", 1_250_000))
        session.add(
            ClusterProfile(
                as_of=AS_OF,
                cluster=0,
                label=ENGLISH_SEGMENT,
                traits=TRAITS,
                players=10,
                share=0.5,
                means={},
                bic_by_k={"2": 1.0},
            )
        )
        session.add(PlayerCluster(as_of=AS_OF, player_id=1001, cluster=0, probability=0.97))
        session.add(
            PlayerClv(
                as_of=AS_OF,
                player_id=1001,
                model="pareto",
                probability_alive=0.9,
                expected_purchases=2.5,
                horizon_days=365,
                expected_spend_kopecks=30_000,
                clv_kopecks=1_234_567,
                discount_rate=0.1,
            )
        )
        session.add(
            ChurnScore(
                as_of=AS_OF,
                model_version="20260429-abc",
                player_id=1001,
                probability=0.35,
                risk_band="medium",
            )
        )
        account = member_account(session, 1001)
        session.execute(
            update(LoyaltyAccount).where(LoyaltyAccount.id == account).values(tier="gold", balance=1500)
        )
        session.add(
            LoyaltyOperation(
                kind="earn",
                account_id=account,
                points=1500,
                created_at=dt.datetime(2026, 4, 28, 9, 30, tzinfo=dt.UTC),
            )
        )


def _panel_rows(page: str, key: str) -> str:
    start = page.index(f'class="panel-{key}"')
    return page[start : page.index("</article>", start)]


def test_russian_360_formats_every_panel_value_the_ru_way(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    fill_panels(engine)
    page = client_for("operator").get("/players/1001?lang=ru").text

    analytics = _panel_rows(page, "analytics")
    assert f"12{NBSP}500,00{NBSP}₽" in analytics  # spend
    assert f"1{NBSP}041,66{NBSP}₽" in analytics  # average check, rounded down per purchase day
    assert "×1,25" in analytics and "29 апр. 2026" in analytics
    assert "Активные высокодоходные еженедельные игроки тиражных лотерей (29 апр. 2026" in analytics
    clv = _panel_rows(page, "clv")
    assert f"12{NBSP}345,67{NBSP}₽" in clv and f"90{NBSP}%" in clv and "2,5" in clv
    churn = _panel_rows(page, "churn")
    assert f"35{NBSP}%" in churn and "Средний" in churn
    loyalty = _panel_rows(page, "loyalty")
    assert f"1{NBSP}500" in loyalty and "Золотой" in loyalty and "Начислены баллы" in loyalty
    assert "+1" in loyalty and "28.04.2026" in loyalty and "Баланс" in loyalty and "Уровень" in loyalty
    # Games and offers are not seeded here; their Russian rendering is tested in test_propensity_offers.
    ours = analytics + clv + churn + loyalty
    for english in (ENGLISH_SEGMENT, "draw-game", ".00", "Points earned", "Gold", "Medium", "2026-04-29"):
        assert english not in ours, english


def test_api_and_english_page_keep_english_text(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    fill_panels(engine)
    client = client_for("operator")
    panels = {
        p["key"]: dict(map(tuple, p["rows"])) for p in client.get("/api/v1/players/1001").json()["panels"]
    }
    assert panels["analytics"]["Spend"] == f"12{NBSP}500.00 ₽"
    assert panels["analytics"]["Micro-segment"] == f"{ENGLISH_SEGMENT} (2026-04-29)"
    assert panels["clv"]["Lifetime value (discounted)"] == f"12{NBSP}345.67 ₽"
    assert (
        panels["loyalty"]["Loyalty tier"] == "Gold"
        and panels["loyalty"]["Points earned"] == "+1\u00a0500 · 2026-04-28 09:30"
    )
    page = client.get("/players/1001?lang=en").text
    assert f"{ENGLISH_SEGMENT} (29 Apr 2026)" in page and "Points earned" in page


def test_a_micro_segment_stored_before_traits_shows_its_label(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    fill_panels(engine)
    with transaction(engine) as session:
        session.execute(update(ClusterProfile).values(traits=None, label="recent · frequent"))
    page = client_for("operator").get("/players/1001?lang=ru").text
    assert "recent · frequent (29 апр. 2026" in _panel_rows(page, "analytics")


def test_every_micro_segment_word_has_a_russian_translation() -> None:
    from lottocrm.analytics.clusters.labels import MESSAGE_CONTEXT, WORDS
    from lottocrm.web.i18n import translations

    russian = translations("ru")
    assert [w for w in WORDS.values() if russian.pgettext(MESSAGE_CONTEXT, w) == w] == []
    assert russian.gettext("%(days)s d") % {"days": 30} == "30 дн."
