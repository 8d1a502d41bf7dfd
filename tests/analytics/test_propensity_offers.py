"""Next game to offer: ranking on a hand-made case, the whole build stored and rerun, the 360 panel."""

from __future__ import annotations

import datetime as dt
import random

import pyarrow as pa
import pytest
from sqlalchemy import func, select

from helpers.propensity_synthetic import (
    basket_tickets,
    write_synthetic_games,
    write_synthetic_lake,
    write_synthetic_players,
)
from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.analytics.lake_compute import LakeCompute
from lottocrm.analytics.propensity.artifacts import load_model
from lottocrm.analytics.propensity.model import PROPENSITY_SCHEMA, PropensityOptions
from lottocrm.analytics.propensity.models import PlayerGamePropensity, PlayerNextGame, PropensityRun
from lottocrm.analytics.propensity.offers import (
    FIRST_GAME,
    PROPENSITY_ONLY,
    RULE,
    next_games,
    single_game_rules,
)
from lottocrm.analytics.propensity.panels import player_panels, reason
from lottocrm.analytics.propensity.pipeline import build_offers
from lottocrm.analytics.propensity.writeback import replace_offers
from lottocrm.analytics.rules.apriori import basket_pairs
from lottocrm.audit.service import Actor
from lottocrm.db.engine import make_engine, transaction
from lottocrm.lake.store import Lake
from lottocrm.presentation.render import as_text
from lottocrm.presentation.values import english
from lottocrm.settings import Settings
from lottocrm.web.i18n import Formats, translations

MOSCOW = dt.timezone(dt.timedelta(hours=3))
NBSP = "\u00a0"
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
    # Player 3 is lapsed: games 1 and 3, bought long before the rules' 90-day basket window.
    lapsed = dt.datetime(2025, 11, 1, 12, tzinfo=MOSCOW)
    lake.append("tickets", basket_tickets({3: {1, 3}}, sold_at=lapsed), batch_id="lapsed")
    propensities = pa.table(
        {
            "player_id": [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3],
            "game_id": [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4],
            "probability": [0.9, 0.8, 0.2, 0.25, 0.3, 0.1, 0.7, 0.05, 0.95, 0.1, 0.6, 0.2],
            "played_before": [True, True, False, False, False, False, True, False, True, False, True, False],
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
    single = single_game_rules(rules)
    assert single.num_rows == 4  # the two-game consequent is not an offer of one game
    with LakeCompute(lake, timezone="Europe/Moscow") as engine:
        scores = engine.register("scores", propensities)
        ranked = next_games(engine, propensities=scores, rules=single, as_of=AS_OF, window_days=90, top=2)
    rows = [(r["player_id"], r["rank"], r["game_id"], r["score"], r["lift"]) for r in ranked.to_pylist()]
    # Player 1 plays 1 and 2: game 3 is boosted ×2 by {1, 2} → 3 and beats game 4, whose rule (lift 0.8)
    # must not lower it. Player 2 plays 3: game 2 is boosted ×2.5 by {3} → 2 but stays behind game 1.
    # Player 3 is never offered games 1 or 3 (bought before, however long ago), and {3} → 2 does not fire:
    # game 3 is not in the basket the rules were mined on.
    assert rows == [
        (1, 1, 3, pytest.approx(0.4), pytest.approx(2.0)),
        (1, 2, 4, pytest.approx(0.25), None),
        (2, 1, 1, pytest.approx(0.3), None),
        (2, 2, 2, pytest.approx(0.25), pytest.approx(2.5)),
        (3, 1, 4, pytest.approx(0.2), None),
        (3, 2, 2, pytest.approx(0.1), None),
    ]
    reasons = {
        (r["player_id"], r["game_id"]): (r["reason_kind"], r["rule_antecedent"], r["rule_confidence"])
        for r in ranked.to_pylist()
    }
    assert reasons[(1, 3)] == (RULE, [1, 2], pytest.approx(0.4))
    assert reasons[(1, 4)] == (PROPENSITY_ONLY, None, None)


def _reference(baskets, propensities, rules, top):  # type: ignore[no-untyped-def]
    """Next games by brute force: every rule checked against every player's basket."""
    best: dict = {}
    for player, game, probability, played in propensities:
        if played:
            continue
        lifts = [
            lift
            for antecedent, consequent, lift in rules
            if consequent == game and set(antecedent) <= baskets.get(player, set())
        ]
        boost = max(lifts, default=0.0)
        score = probability * (boost if boost > 1 else 1.0)
        best.setdefault(player, []).append((-score, game, boost if boost > 1 else None))
    return [
        (player, rank, game, pytest.approx(-neg), None if lift is None else pytest.approx(lift))
        for player in sorted(best)
        for rank, (neg, game, lift) in enumerate(sorted(best[player])[:top], start=1)
    ]


def test_bitmask_matching_equals_brute_force_on_random_baskets_and_rules(lake: Lake) -> None:
    rng = random.Random(5)
    games = list(range(1, 9))
    baskets = {p: set(rng.sample(games, rng.randint(1, 5))) for p in range(1, 301)}
    sold = dt.datetime(2026, 5, 20, 12, tzinfo=MOSCOW)
    lake.append("tickets", basket_tickets(baskets, sold_at=sold), batch_id="random")
    rules = []
    for _ in range(120):
        antecedent = sorted(rng.sample(games, rng.randint(1, 3)))
        consequent = rng.choice([g for g in games if g not in antecedent])
        rules.append((antecedent, consequent, round(rng.uniform(0.5, 3.0), 3)))
    propensities = [
        (p, g, rng.random(), g in baskets[p] or rng.random() < 0.2) for p in baskets for g in games
    ]
    rule_table = pa.table(
        {
            "antecedent": [a for a, _, _ in rules],
            "consequent": [[c] for _, c, _ in rules],
            "lift": [lift for _, _, lift in rules],
            "confidence": [0.5] * len(rules),
        }
    )
    scores = pa.Table.from_pylist(
        [dict(zip(PROPENSITY_SCHEMA.names, row, strict=True)) for row in propensities],
        schema=PROPENSITY_SCHEMA,
    )
    with LakeCompute(lake, timezone="Europe/Moscow") as engine:
        ranked = next_games(
            engine,
            propensities=engine.register("scores", scores),
            rules=single_game_rules(rule_table),
            as_of=AS_OF,
            window_days=90,
            top=3,
        )
    rows = [(r["player_id"], r["rank"], r["game_id"], r["score"], r["lift"]) for r in ranked.to_pylist()]
    assert rows == _reference(baskets, propensities, rules, 3)


@pytest.fixture
def operator(settings: Settings):
    engine = make_engine(settings.db_url)
    write_synthetic_games(engine)
    # Players 401-440 registered but never bought: they get first games, chosen from what players 441-480
    # (first purchase ten days ago) bought first.
    write_synthetic_players(engine, players=480, registered_on=AS_OF - dt.timedelta(days=400))
    lake = Lake(settings.lake_path)
    write_synthetic_lake(lake, players=400, start=AS_OF - dt.timedelta(days=300), days=300, seed=11)
    first_timers = {player: {1 + player % 3} for player in range(441, 481)}
    sold = dt.datetime.combine(AS_OF - dt.timedelta(days=10), dt.time(12), tzinfo=MOSCOW)
    lake.append("tickets", basket_tickets(first_timers, sold_at=sold), batch_id="first-timers")
    yield engine
    engine.dispose()


def _count(engine, model) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_build_offers_stores_a_version_per_as_of_and_reruns_replace(settings: Settings, operator) -> None:
    options = PropensityOptions(trees=30)
    summary = build_offers(settings, operator, AS_OF, options=options, actor=Actor("test:analytics"))
    assert summary.players > 100
    assert summary.propensity_rows == 3 * summary.players
    assert summary.first_game_offers == 3 * (480 - summary.players)
    assert summary.first_game_offers < summary.offer_rows <= 3 * 480
    assert summary.boosted_offers > 0
    counts = {m: _count(operator, m) for m in (PlayerGamePropensity, PlayerNextGame, PropensityRun)}
    assert counts == {
        PlayerGamePropensity: summary.propensity_rows,
        PlayerNextGame: summary.offer_rows,
        PropensityRun: 1,
    }

    with LakeCompute(Lake(settings.lake_path), timezone=settings.timezone) as engine:
        # Every game a player ever bought before the as-of date, not just in the rules' window.
        ever = {
            (r["player_id"], r["game_id"])
            for r in engine.to_arrow(basket_pairs(engine, as_of=AS_OF, window_days=10_000)).to_pylist()
        }
    with transaction(operator) as session:
        offered = session.execute(
            select(PlayerNextGame.player_id, PlayerNextGame.game_id, PlayerNextGame.reason_kind)
        ).all()
        run = session.get(PropensityRun, AS_OF)
        assert run is not None and run.metrics["rules"]["rules"] == summary.rules.rules.num_rows
        assert len(run.metrics["per_game"]) == 8
        # The scores' model is a stored, hash-checked artifact.
        assert run.model_version == summary.model_version == load_model(settings.data_dir).version
    assert offered and not ever & {(player, game) for player, game, _ in offered}
    buyers = {player for player, _ in ever}
    first_games = {player for player, _, kind in offered if kind == FIRST_GAME}
    assert first_games and not first_games & buyers
    assert {player for player, _, kind in offered if kind != FIRST_GAME} <= buyers

    # Another as-of date is another version: rerunning this date leaves it alone, and vice versa.
    earlier = AS_OF - dt.timedelta(days=7)
    with transaction(operator) as session:
        replace_offers(session, as_of=earlier, propensities=EMPTY_TOP, offers=EMPTY_TOP, run=_run(earlier))
    again = build_offers(settings, operator, AS_OF, options=options, actor=Actor("test:analytics"))
    assert again.offer_rows == summary.offer_rows
    assert {m: _count(operator, m) for m in counts} == {**counts, PropensityRun: 2}


def test_panel_shows_likeliest_games_the_offer_and_its_reason_in_the_readers_language(engine) -> None:  # type: ignore[no-untyped-def]
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
                reason_kind=kind,
                reason_detail=detail,
            )
            for rank, game, score, lift, kind, detail in (
                (1, 5, 0.25, 2.0, RULE, {"antecedent": [3, 7], "confidence": 0.4}),
                (2, 8, 0.1, None, PROPENSITY_ONLY, None),
            )
        )
        # Player 8 never bought: a first game, and no likeliest games.
        session.add(
            PlayerNextGame(
                as_of=AS_OF,
                player_id=8,
                rank=1,
                game_id=2,
                score=0.5,
                propensity=0.5,
                lift=None,
                reason_kind=FIRST_GAME,
                reason_detail={
                    "scope": "channel_region",
                    "channel": "website",
                    "region": "RU-MOW",
                    "buyers": 1200,
                    "share": 0.5,
                    "days": 90,
                },
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
                reason_kind=PROPENSITY_ONLY,
                reason_detail=None,
            )
        )
    with transaction(engine) as session:
        (panel,) = player_panels(session, player_id=7)
        (newcomer,) = player_panels(session, player_id=8)
    assert panel.key == "propensity" and panel.title == "Games and offers"
    # English text (the API's), and the typed values the page renders in the reader's language.
    assert panel.rows == [
        ("Propensity as of", "2026-06-01"),
        ("Most likely games", "Игра 3 72% · Игра 7 40% · Игра 5 12% (30 d)"),
        ("Next game to offer", "Игра 5"),
        ("Why this game", "plays Игра 3 + Игра 7: such players play Игра 5 2.0× as often (confidence 40%)"),
        ("Also worth offering", "Игра 8"),
    ]
    russian = [_russian(value) for value in panel.values]
    assert russian[1] == f"Игра 3 72{NBSP}% · Игра 7 40{NBSP}% · Игра 5 12{NBSP}% (30 дн.)"
    assert russian[3] == (
        f"играет в Игра 3 + Игра 7: такие игроки играют в Игра 5 в 2,0 раза чаще (уверенность 40{NBSP}%)"
    )
    assert newcomer.rows == [
        ("Propensity as of", "2026-06-01"),
        ("Next game to offer", "Игра 2"),
        (
            "Why this game",
            f"no purchase yet: 50% of 1{NBSP}200 first-time buyers of the last 90 days (website, RU-MOW) "
            "chose Игра 2 first",
        ),
    ]
    assert _russian(newcomer.values[2]) == (
        f"покупок ещё нет: 50{NBSP}% из 1{NBSP}200 новых покупателей за последние 90 дн. (сайт, RU-MOW) "
        "первой выбрали игру Игра 2"
    )


def _russian(value) -> str:  # type: ignore[no-untyped-def]
    return as_text(value, Formats("ru", "Europe/Moscow"), translations("ru"))


def test_reason_without_a_rule_and_from_before_reasons_were_data() -> None:
    def name(game_id: int) -> str:
        return f"game {game_id}"

    plain = reason(PlayerNextGame(game_id=4, lift=None, reason_kind=PROPENSITY_ONLY), name=name)
    legacy = reason(PlayerNextGame(game_id=4, lift=1.5, reason_kind=RULE, reason_detail=None), name=name)
    everyone = reason(
        PlayerNextGame(
            game_id=4,
            lift=None,
            reason_kind=FIRST_GAME,
            reason_detail={
                "scope": "all",
                "channel": "app",
                "region": None,
                "buyers": 40,
                "share": 0.25,
                "days": 90,
            },
        ),
        name=name,
    )
    assert english(plain) == "propensity only: no cross-sell rule fires"
    assert _russian(plain) == "только по склонности: ни одно правило кросс-продаж не сработало"
    assert english(legacy) == "players like this one play game 4 1.5× as often"
    assert _russian(legacy) == "похожие игроки играют в game 4 в 1,5 раза чаще"
    assert "(все каналы и регионы)" in _russian(everyone)


def test_rules_naming_more_games_than_a_basket_mask_holds_are_refused(lake: Lake) -> None:
    sold = dt.datetime(2026, 5, 20, 12, tzinfo=MOSCOW)
    lake.append("tickets", basket_tickets({1: {1, 2}}, sold_at=sold), batch_id="baskets")
    rules = pa.table(
        {
            "antecedent": [[game] for game in range(1, 65)],
            "consequent": [[100]] * 64,
            "lift": [2.0] * 64,
            "confidence": [0.5] * 64,
        }
    )
    propensities = pa.table(
        {"player_id": [1], "game_id": [100], "probability": [0.5], "played_before": [False]},
        schema=PROPENSITY_SCHEMA,
    )
    with LakeCompute(lake, timezone="Europe/Moscow") as engine, pytest.raises(AnalyticsInputError) as refused:
        next_games(
            engine,
            propensities=engine.register("scores", propensities),
            rules=single_game_rules(rules),
            as_of=AS_OF,
            window_days=90,
            top=3,
        )
    assert "name 64 games in their antecedents, more than the 63 a basket mask holds" in str(refused.value)
