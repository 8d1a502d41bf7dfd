"""Next game to offer: ranking on a hand-made case, the whole build stored and rerun, the 360 panel."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from sqlalchemy import func, select

from lottocrm.analytics.clusters.models import ClusterProfile, PlayerCluster
from lottocrm.analytics.propensity.model import PROPENSITY_SCHEMA, PropensityOptions
from lottocrm.analytics.propensity.models import PlayerGamePropensity, PlayerNextGame, PropensityRun
from lottocrm.analytics.propensity.offers import PROPENSITY_ONLY, next_games, single_game_rules
from lottocrm.analytics.propensity.panels import player_panels
from lottocrm.analytics.propensity.service import build_offers, replace_offers
from lottocrm.analytics.propensity.synthetic import (
    basket_tickets,
    write_synthetic_games,
    write_synthetic_lake,
    write_synthetic_players,
)
from lottocrm.analytics.rules.apriori import basket_pairs
from lottocrm.analytics.rules.engine import LakeEngine
from lottocrm.db.engine import make_engine, transaction
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings

MOSCOW = dt.timezone(dt.timedelta(hours=3))
AS_OF = dt.date(2026, 6, 1)
EMPTY_TOP = pa.table(
    {
        "player_id": pa.array([], pa.int64()),
        "rank": pa.array([], pa.int16()),
        "game_id": pa.array([], pa.int32()),
        "probability": pa.array([], pa.float64()),
        "played_before": pa.array([], pa.bool_()),
    }
)


def _run(as_of: dt.date) -> dict:
    return {
        "model_version": "test",
        "horizon_days": 30,
        "train_as_of": as_of - dt.timedelta(days=60),
        "holdout_as_of": as_of - dt.timedelta(days=30),
        "auc": None,
        "baseline_auc": None,
        "metrics": {},
        "players": 0,
        "created_at": dt.datetime.now(dt.UTC),
    }


def test_ranking_boosts_by_the_rules_a_basket_fires_and_skips_played_games(lake: Lake) -> None:
    sold = dt.datetime(2026, 5, 20, 12, tzinfo=MOSCOW)
    lake.append("tickets", basket_tickets({1: {1, 2}, 2: {3}}, sold_at=sold), batch_id="baskets")
    propensities = pa.table(
        {
            "player_id": [1, 1, 1, 1, 2, 2, 2, 2],
            "game_id": [1, 2, 3, 4, 1, 2, 3, 4],
            "probability": [0.9, 0.8, 0.2, 0.25, 0.3, 0.1, 0.7, 0.05],
            "played_before": [True, True, False, False, False, False, True, False],
        },
        schema=PROPENSITY_SCHEMA,
    )
    rules = pa.table(
        {
            "antecedent": [[1, 2], [1], [3], [5], [1]],
            "consequent": [[3], [4], [2], [1], [3, 4]],
            "lift": [2.0, 0.8, 2.5, 5.0, 9.0],
            "confidence": [0.4, 0.2, 0.25, 0.9, 0.5],
        }
    )
    single = single_game_rules(rules, {1: "6x45", 2: "rapido", 3: "loto"})
    assert single.num_rows == 4  # the two-game consequent is not an offer of one game
    with LakeEngine(lake, timezone="Europe/Moscow") as engine:
        scores = engine.register("scores", propensities)
        ranked = next_games(engine, propensities=scores, rules=single, as_of=AS_OF, window_days=90, top=2)
    rows = [(r["player_id"], r["rank"], r["game_id"], r["score"], r["lift"]) for r in ranked.to_pylist()]
    # Player 1 plays 1 and 2: game 3 is boosted ×2 by {1, 2} → 3 and beats game 4, whose rule (lift 0.8)
    # must not lower it. Player 2 plays 3: game 2 is boosted ×2.5 by {3} → 2 but stays behind game 1.
    assert rows == [
        (1, 1, 3, pytest.approx(0.4), pytest.approx(2.0)),
        (1, 2, 4, pytest.approx(0.25), None),
        (2, 1, 1, pytest.approx(0.3), None),
        (2, 2, 2, pytest.approx(0.25), pytest.approx(2.5)),
    ]
    reasons = {(r["player_id"], r["game_id"]): r["reason"] for r in ranked.to_pylist()}
    assert reasons[(1, 3)] == "plays 6x45 + rapido: such players play loto 2.0× as often (confidence 40%)"
    assert reasons[(1, 4)] == PROPENSITY_ONLY


@pytest.fixture
def operator(settings: Settings):
    engine = make_engine(settings.db_url)
    write_synthetic_games(engine)
    write_synthetic_players(engine, players=400, registered_on=AS_OF - dt.timedelta(days=400))
    write_synthetic_lake(
        Lake(settings.lake_path), players=400, start=AS_OF - dt.timedelta(days=300), days=300, seed=11
    )
    yield engine
    engine.dispose()


def _count(engine, model) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_build_offers_stores_a_version_per_as_of_and_reruns_replace(settings: Settings, operator) -> None:
    options = PropensityOptions(trees=30)
    summary = build_offers(settings, operator, AS_OF, options=options)
    assert summary.players > 100
    assert summary.propensity_rows == 3 * summary.players
    assert 0 < summary.offer_rows <= 3 * summary.players
    assert summary.boosted_offers > 0
    counts = {m: _count(operator, m) for m in (PlayerGamePropensity, PlayerNextGame, PropensityRun)}
    assert counts == {
        PlayerGamePropensity: summary.propensity_rows,
        PlayerNextGame: summary.offer_rows,
        PropensityRun: 1,
    }

    with LakeEngine(Lake(settings.lake_path), timezone=settings.timezone) as engine:
        played = {
            (r["player_id"], r["game_id"])
            for r in engine.to_arrow(basket_pairs(engine, as_of=AS_OF, window_days=90)).to_pylist()
        }
    with transaction(operator) as session:
        offered = session.execute(select(PlayerNextGame.player_id, PlayerNextGame.game_id)).all()
        run = session.get(PropensityRun, AS_OF)
        assert run is not None and run.metrics["rules"]["rules"] == summary.rules.rules.num_rows
        assert len(run.metrics["per_game"]) == 8
    assert offered and not played & {tuple(row) for row in offered}

    # Another as-of date is another version: rerunning this date leaves it alone, and vice versa.
    earlier = AS_OF - dt.timedelta(days=7)
    with transaction(operator) as session:
        replace_offers(session, as_of=earlier, propensities=EMPTY_TOP, offers=EMPTY_TOP, run=_run(earlier))
    again = build_offers(settings, operator, AS_OF, options=options)
    assert again.offer_rows == summary.offer_rows
    assert {m: _count(operator, m) for m in counts} == {**counts, PropensityRun: 2}


def test_panel_shows_likeliest_games_offer_reason_and_micro_segment(engine) -> None:  # type: ignore[no-untyped-def]
    write_synthetic_games(engine)
    with transaction(engine) as session:
        assert player_panels(session, player_id=7) == []
        session.add(PropensityRun(**_run(AS_OF), as_of=AS_OF))
        session.add_all(
            PlayerGamePropensity(
                as_of=AS_OF, player_id=7, rank=rank, game_id=game, probability=p, played_before=played
            )
            for rank, game, p, played in ((1, 3, 0.72, True), (2, 7, 0.4, True), (3, 5, 0.125, False))
        )
        session.add_all(
            PlayerNextGame(
                as_of=AS_OF,
                player_id=7,
                rank=rank,
                game_id=game,
                score=score,
                propensity=0.1,
                lift=lift,
                reason=why,
            )
            for rank, game, score, lift, why in (
                (1, 5, 0.25, 2.0, "plays game_3: such players play game_5 2.0× as often (confidence 40%)"),
                (2, 8, 0.1, None, PROPENSITY_ONLY),
            )
        )
        # An older version must not show.
        session.add(
            PlayerNextGame(
                as_of=AS_OF - dt.timedelta(days=30),
                player_id=7,
                rank=1,
                game_id=1,
                score=0.9,
                propensity=0.9,
                lift=None,
                reason=PROPENSITY_ONLY,
            )
        )
        session.add(
            ClusterProfile(
                as_of=AS_OF,
                cluster=0,
                label="recent · frequent · high spend · draw games",
                players=1,
                share=1.0,
                means={},
                bic_by_k={},
            )
        )
        session.add(PlayerCluster(as_of=AS_OF, player_id=7, cluster=0, probability=0.9))
    with transaction(engine) as session:
        (panel,) = player_panels(session, player_id=7)
    assert panel.key == "propensity" and panel.title == "Games and offers"
    assert panel.rows == [
        ("Propensity as of", "2026-06-01"),
        ("Most likely games", "Игра 3 72% · Игра 7 40% · Игра 5 12% (30 d)"),
        ("Next game to offer", "Игра 5"),
        ("Why this game", "plays game_3: such players play game_5 2.0× as often (confidence 40%)"),
        ("Also worth offering", "Игра 8"),
        ("Micro-segment", "recent · frequent · high spend · draw games (2026-06-01)"),
    ]
