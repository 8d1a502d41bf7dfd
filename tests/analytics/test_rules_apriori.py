"""Apriori in the engine against numbers worked out by hand and against brute-force enumeration."""

from __future__ import annotations

import datetime as dt
import itertools
from fractions import Fraction

import numpy as np
import pytest

from helpers.propensity_synthetic import basket_tickets
from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.analytics.lake_compute import LakeCompute
from lottocrm.analytics.rules.apriori import RuleOptions, RulesResult, min_count, mine_rules
from lottocrm.lake.store import Lake

MOSCOW = dt.timezone(dt.timedelta(hours=3))
AS_OF = dt.date(2026, 6, 1)
SOLD = dt.datetime(2026, 5, 20, 12, tzinfo=MOSCOW)

# Six baskets: games 1, 2, 3 go together, game 4 mostly alone.
HAND = {1: {1, 2, 3}, 2: {1, 2}, 3: {1, 3}, 4: {2, 3}, 5: {1, 2, 3, 4}, 6: {4}}


def _mine(lake: Lake, **options: object) -> RulesResult:
    with LakeCompute(lake, timezone="Europe/Moscow") as engine:
        return mine_rules(engine, as_of=AS_OF, options=RuleOptions(**options))  # type: ignore[arg-type]


def _rules(
    result: RulesResult,
) -> dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[int, float, float, float]]:
    return {
        (tuple(r["antecedent"]), tuple(r["consequent"])): (
            r["players"],
            r["support"],
            r["confidence"],
            r["lift"],
        )
        for r in result.rules.to_pylist()
    }


def test_hand_made_baskets_give_the_hand_computed_sets_and_rules(lake: Lake) -> None:
    lake.append("tickets", basket_tickets(HAND, sold_at=SOLD), batch_id="hand")
    result = _mine(lake, min_support=1 / 3, min_confidence=0.6)

    assert (result.baskets, result.min_count) == (6, 2)
    sets = {tuple(r["items"]): r["players"] for r in result.itemsets.to_pylist()}
    # {4} is in 2 baskets (frequent); {1,4}, {2,4}, {3,4} in one each (pruned); {1,2,3} in baskets 1 and 5.
    assert sets == {(1,): 4, (2,): 4, (3,): 4, (4,): 2, (1, 2): 3, (1, 3): 3, (2, 3): 3, (1, 2, 3): 2}
    assert [(s.size, s.candidates, s.frequent) for s in result.levels] == [(1, 4, 4), (2, 6, 3), (3, 1, 1)]

    rules = _rules(result)
    # Pairs: support 3/6, confidence 3/4, lift (3/4) / (4/6) = 1.125 for each of the six directions.
    for a, c in itertools.permutations((1, 2, 3), 2):
        assert rules[((a,), (c,))] == pytest.approx((3, 0.5, 0.75, 1.125))
    # Two games → the third: support 2/6, confidence 2/3, lift (2/3) / (4/6) = 1.0.
    for pair in ((1, 2), (1, 3), (2, 3)):
        (third,) = {1, 2, 3} - set(pair)
        assert rules[(pair, (third,))] == pytest.approx((2, 1 / 3, 2 / 3, 1.0))
    # One game → the other two: confidence 2/4 = 0.5 < 0.6, left out; nothing involves game 4.
    assert len(rules) == 9


def test_a_lower_confidence_keeps_multi_game_consequents(lake: Lake) -> None:
    lake.append("tickets", basket_tickets(HAND, sold_at=SOLD), batch_id="hand")
    rules = _rules(_mine(lake, min_support=1 / 3, min_confidence=0.5))
    assert rules[((1,), (2, 3))] == pytest.approx((2, 1 / 3, 0.5, 0.5 / 0.5))
    assert len(rules) == 12


def test_max_length_stops_at_pairs(lake: Lake) -> None:
    lake.append("tickets", basket_tickets(HAND, sold_at=SOLD), batch_id="hand")
    result = _mine(lake, min_support=1 / 3, min_confidence=0.0, max_length=2)
    assert max(r["size"] for r in result.itemsets.to_pylist()) == 2
    assert len(result.rules) == 6


def test_the_window_decides_what_a_basket_holds(lake: Lake) -> None:
    old = {7: {1, 2}}  # bought 100 days before the as-of date: outside a 90-day window
    lake.append("tickets", basket_tickets(HAND, sold_at=SOLD), batch_id="hand")
    long_ago = dt.datetime.combine(AS_OF - dt.timedelta(days=100), dt.time(12), tzinfo=MOSCOW)
    lake.append("tickets", basket_tickets(old, sold_at=long_ago), batch_id="old")
    assert _mine(lake, min_support=0.1, min_confidence=0.0).baskets == 6
    assert _mine(lake, min_support=0.1, min_confidence=0.0, window_days=120).baskets == 7


def _brute_force(baskets: dict[int, set[int]], min_support: float, min_confidence: float):  # type: ignore[no-untyped-def]
    games = sorted(set().union(*baskets.values()))
    n = len(baskets)
    need = Fraction(str(min_support))
    counts = {}
    for size in range(1, len(games) + 1):
        for items in itertools.combinations(games, size):
            held = sum(1 for basket in baskets.values() if set(items) <= basket)
            if Fraction(held, n) >= need:
                counts[items] = held
    rules = {}
    for items, held in counts.items():
        for size in range(1, len(items)):
            for antecedent in itertools.combinations(items, size):
                consequent = tuple(g for g in items if g not in antecedent)
                confidence = held / counts[antecedent]
                if confidence >= min_confidence:
                    lift = confidence / (counts[consequent] / n)
                    rules[(antecedent, consequent)] = (held, held / n, confidence, lift)
    return counts, rules


@pytest.mark.parametrize(
    ("seed", "min_support", "min_confidence"), [(1, 0.05, 0.3), (2, 0.1, 0.0), (3, 0.02, 0.5), (4, 0.08, 0.2)]
)
def test_rules_match_brute_force_enumeration_on_random_baskets(
    lake: Lake, seed: int, min_support: float, min_confidence: float
) -> None:
    rng = np.random.default_rng(seed)
    # Correlated baskets: each player leans to one of two game groups, so long sets are frequent too.
    baskets = {}
    for player in range(1, 301):
        lean = rng.integers(0, 2)
        odds = np.where(np.arange(7) % 2 == lean, 0.6, 0.15)
        games = {int(g) + 1 for g in np.flatnonzero(rng.random(7) < odds)}
        if games:
            baskets[player] = games
    lake.append("tickets", basket_tickets(baskets, sold_at=SOLD), batch_id=f"random-{seed}")
    result = _mine(lake, min_support=min_support, min_confidence=min_confidence)

    counts, expected = _brute_force(baskets, min_support, min_confidence)
    assert result.min_count == min_count(min_support, len(baskets))
    assert {tuple(r["items"]): r["players"] for r in result.itemsets.to_pylist()} == counts
    found = _rules(result)
    assert found.keys() == expected.keys()
    for key, values in expected.items():
        assert found[key] == pytest.approx(values)
    assert max(len(items) for items in counts) >= 3  # the case exercises Apriori's pruning beyond pairs


@pytest.mark.parametrize("support", [0.0, -0.1, 1.5])
def test_min_support_outside_zero_one_is_refused(support: float) -> None:
    with pytest.raises(AnalyticsInputError, match=r"--min-support must be in \(0, 1\]"):
        RuleOptions(min_support=support, min_confidence=0.5)


@pytest.mark.parametrize("confidence", [-0.01, 1.01])
def test_min_confidence_outside_zero_one_is_refused(confidence: float) -> None:
    with pytest.raises(AnalyticsInputError, match=r"--min-confidence must be in \[0, 1\]"):
        RuleOptions(min_support=0.1, min_confidence=confidence)


@pytest.mark.parametrize("window", [0, -30])
def test_a_window_of_no_days_is_refused(window: int) -> None:
    with pytest.raises(AnalyticsInputError, match="--window-days must be a positive number of days"):
        RuleOptions(min_support=0.1, min_confidence=0.5, window_days=window)


def test_an_as_of_date_with_no_tickets_before_it_is_refused(lake: Lake) -> None:
    lake.append("tickets", basket_tickets(HAND, sold_at=SOLD), batch_id="hand")
    with (
        LakeCompute(lake, timezone="Europe/Moscow") as engine,
        pytest.raises(
            AnalyticsInputError,
            match="has no tickets before it: the first ticket of a player was sold on 2026-05-20",
        ),
    ):
        mine_rules(
            engine, as_of=dt.date(2026, 5, 20), options=RuleOptions(min_support=0.1, min_confidence=0.5)
        )


def test_an_empty_lake_is_refused(lake: Lake) -> None:
    with (
        LakeCompute(lake, timezone="Europe/Moscow") as engine,
        pytest.raises(AnalyticsInputError, match="holds no tickets"),
    ):
        mine_rules(engine, as_of=AS_OF, options=RuleOptions(min_support=0.1, min_confidence=0.5))
