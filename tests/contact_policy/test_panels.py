"""The 360 and the gate: a self-excluded player is offered no game and shown as reachable on no channel;
a consenting player's channels each say why or why not, in the reader's language."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from lottocrm.analytics.propensity.models import PlayerNextGame, PropensityRun
from lottocrm.db.engine import transaction

AS_OF = dt.date(2026, 4, 29)


def _offer(engine: Engine, player_id: int) -> None:
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
                created_at=dt.datetime(2026, 4, 29, tzinfo=dt.UTC),
            )
        )
        session.add(
            PlayerNextGame(
                as_of=AS_OF,
                player_id=player_id,
                rank=1,
                game_id=2,
                score=0.4,
                propensity=0.3,
                lift=1.8,
                reason_kind="rule",
                reason_detail={"antecedent": [1], "confidence": 0.4},
            )
        )


def _rows(client, player_id: int, key: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    panels = client.get(f"/api/v1/players/{player_id}").json()["panels"]
    return dict(map(tuple, next(p for p in panels if p["key"] == key)["rows"]))


def test_a_self_excluded_player_is_offered_no_game(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    _offer(engine, 1002)
    client = client_for("operator")
    rows = _rows(client, 1002, "propensity")
    assert rows["Next game to offer"] == "none: self-excluded until 2099-01-01"
    assert "Why this game" not in rows
    assert _rows(client, 1002, "contactable") == {
        "All channels": "✗ self-excluded until 2099-01-01",
        "Policy version": "built-in",
    }
    page = client.get("/players/1002?lang=ru").text
    assert "не предлагать: самоисключение до 1 янв. 2099\u202fг." in page
    assert "Моментальная" not in page.split("Игры и предложения")[-1].split("</section>")[0]


def test_a_consenting_players_channels_say_why(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    _offer(engine, 1001)
    client = client_for("operator")
    assert _rows(client, 1001, "propensity")["Next game to offer"] == "Моментальная"
    rows = _rows(client, 1001, "contactable")
    # Фёдоров (born 1980, Moscow) consented to SMS and e-mail advertising, has no device and no call consent.
    assert rows["email"] == "✓"
    assert rows["sms"] in ("✓",) or rows["sms"].startswith("✓ quiet hours")
    assert rows["push"] == "✗ no advertising consent"
    assert rows["call"] == "✗ no advertising consent"
