"""Frequent game sets and association rules over player baskets, with Apriori semantics, in the compute.

A basket is the set of games a player bought at least one ticket of in the window ``[as_of - window_days,
as_of)`` (local days). ``support(X)`` is the share of baskets holding every game of X; a rule ``A → C``
(A, C disjoint, non-empty) has ``confidence = support(A ∪ C) / support(A)`` and
``lift = confidence / support(C)``.

Level k is counted by extending each player's frequent (k-1)-sets with one more game the player holds (a
self-join of the player-game pairs), only for candidates whose every (k-1)-subset is frequent; sets below
the minimum count are dropped before the next level, so the work follows the frequent sets, not the
2^games possible ones. Everything is an Ibis expression run by DuckDB, materialised level by level.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from fractions import Fraction

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.analytics.lake_compute import LakeCompute

DEFAULT_WINDOW_DAYS = 90


def check_window(window_days: int) -> None:
    if window_days <= 0:
        raise AnalyticsInputError(f"--window-days must be a positive number of days, got {window_days}")


@dataclass(frozen=True)
class RuleOptions:
    min_support: float
    min_confidence: float
    window_days: int = DEFAULT_WINDOW_DAYS
    max_length: int | None = None  # None: grow sets until no frequent one is left

    def __post_init__(self) -> None:
        if not (math.isfinite(self.min_support) and 0 < self.min_support <= 1):
            raise AnalyticsInputError(
                f"--min-support must be in (0, 1] (a share of baskets), got {self.min_support}"
            )
        if not (math.isfinite(self.min_confidence) and 0 <= self.min_confidence <= 1):
            raise AnalyticsInputError(f"--min-confidence must be in [0, 1], got {self.min_confidence}")
        check_window(self.window_days)
        if self.max_length is not None and self.max_length < 2:
            raise AnalyticsInputError(
                f"--max-length must be at least 2 (a rule needs two games), got {self.max_length}"
            )


def min_count(min_support: float, baskets: int) -> int:
    """Fewest baskets a frequent set must appear in; exact decimal arithmetic, so 0.3 of 10 is 3, not 4."""
    return max(1, math.ceil(Fraction(str(min_support)) * baskets))


@dataclass(frozen=True)
class LevelStats:
    size: int
    candidates: int
    frequent: int


@dataclass(frozen=True)
class RulesResult:
    as_of: dt.date
    window_days: int
    baskets: int
    min_count: int
    levels: tuple[LevelStats, ...]
    # items (sorted game ids), size, players, support
    itemsets: pa.Table
    # antecedent, consequent, players, antecedent_players, consequent_players, support, confidence, lift
    rules: pa.Table


def basket_pairs(compute: LakeCompute, *, as_of: dt.date, window_days: int) -> ir.Table:
    """Distinct (player_id, game_id) of identified players' tickets in the window before ``as_of``."""
    tickets = compute.table("tickets")
    sold = tickets.filter(
        tickets.player_id.notnull(),
        tickets.sold_at >= compute.cutoff(as_of - dt.timedelta(days=window_days)),
        tickets.sold_at < compute.cutoff(as_of),
    )
    return sold.select("player_id", game_id=sold.game_id.cast("int32")).distinct()


def _items(k: int) -> list[str]:
    return [f"item_{i}" for i in range(1, k + 1)]


def _count(table: ir.Table) -> int:
    return int(table.count().to_pyarrow().as_py())


def frequent_itemsets(
    compute: LakeCompute, pairs: ir.Table, *, min_players: int, max_length: int | None
) -> tuple[ir.Table, list[LevelStats]]:
    """Every game set held by at least ``min_players`` baskets: (items, size, players)."""
    counted = pairs.group_by(item_1=pairs.game_id).aggregate(players=pairs.count())
    frequent = compute.materialize(counted.filter(counted.players >= min_players), "l1")
    levels = [LevelStats(1, _count(counted), _count(frequent))]
    held = pairs.select("player_id", item_1=pairs.game_id)
    # When every candidate is frequent the pruning filter keeps every row: skip that pass over the pairs.
    holders = (
        held
        if levels[0].frequent == levels[0].candidates
        else compute.materialize(held.semi_join(frequent, held.item_1 == frequent.item_1), "p1")
    )
    singles = holders.view()
    by_level = [frequent]
    k = 1
    while levels[-1].frequent > 1 and (max_length is None or k < max_length):
        k += 1
        previous, previous_holders = by_level[-1], holders
        left, right = previous, previous.view()
        prefix = _items(k - 2)
        joined = left.join(
            right,
            [left[c] == right[c] for c in prefix] + [left[f"item_{k - 1}"] < right[f"item_{k - 1}"]],
        )
        candidates = joined.select(*[left[c] for c in _items(k - 1)], **{f"item_{k}": right[f"item_{k - 1}"]})
        # Apriori pruning: the subsets that drop one of the first k-2 items must be frequent too (the two
        # that drop item k-1 or item k are the joined sets themselves).
        for dropped in range(1, k - 1):
            kept = [c for c in _items(k) if c != f"item_{dropped}"]
            subset = previous.view()
            candidates = candidates.semi_join(
                subset, [candidates[c] == subset[p] for c, p in zip(kept, _items(k - 1), strict=True)]
            )
        candidates = compute.materialize(candidates, f"c{k}")
        candidate_count = _count(candidates)
        if candidate_count == 0:
            break
        # Each player's frequent (k-1)-sets, extended by a candidate's last game the player also holds.
        extended = previous_holders.join(
            candidates, [previous_holders[c] == candidates[c] for c in _items(k - 1)]
        ).select("player_id", *[candidates[c] for c in _items(k)])
        extended = extended.semi_join(
            singles,
            [extended.player_id == singles.player_id, extended[f"item_{k}"] == singles.item_1],
        )
        extended = compute.materialize(extended, f"e{k}")
        counted = extended.group_by(_items(k)).aggregate(players=extended.count())
        frequent = compute.materialize(counted.filter(counted.players >= min_players), f"l{k}")
        levels.append(LevelStats(k, candidate_count, _count(frequent)))
        if levels[-1].frequent == 0:
            break
        holders = (
            extended
            if levels[-1].frequent == levels[-1].candidates
            else compute.materialize(
                extended.semi_join(frequent, [extended[c] == frequent[c] for c in _items(k)]), f"p{k}"
            )
        )
        by_level.append(frequent)
    parts = [
        level.select(
            items=ibis.array([level[c] for c in _items(size)]),
            size=ibis.literal(size, "int32"),
            players="players",
        )
        for size, level in enumerate(by_level, start=1)
    ]
    return compute.materialize(ibis.union(*parts) if len(parts) > 1 else parts[0], "itemsets"), levels


def association_rules(itemsets: ir.Table, *, baskets: int, min_confidence: float) -> ir.Table:
    """Rules A → C from every frequent set of two or more games, with support, confidence and lift."""
    whole = itemsets.filter(itemsets.size >= 2)
    part = itemsets.view()
    pairs = whole.join(
        part,
        [part.size < whole.size, whole["items"].intersect(part["items"]).length() == part.size],
    ).select(
        whole_items=whole["items"],
        players=whole.players,
        antecedent=part["items"],
        antecedent_players=part.players,
    )
    # Filtering a sorted list keeps it sorted, so the consequent matches its itemset row exactly.
    pairs = pairs.mutate(consequent=pairs.whole_items.filter(lambda game: ~pairs.antecedent.contains(game)))
    then = itemsets.view()
    rules = pairs.join(then, pairs.consequent == then["items"]).select(
        pairs.antecedent,
        pairs.consequent,
        pairs.players,
        pairs.antecedent_players,
        consequent_players=then.players,
    )
    total = float(baskets)
    confidence = rules.players.cast("float64") / rules.antecedent_players.cast("float64")
    rules = rules.mutate(
        support=rules.players.cast("float64") / total,
        confidence=confidence,
        lift=confidence / (rules.consequent_players.cast("float64") / total),
    )
    return rules.filter(rules.confidence >= min_confidence)


def mine_rules(compute: LakeCompute, *, as_of: dt.date, options: RuleOptions) -> RulesResult:
    compute.check_tickets_before(as_of)
    pairs = compute.materialize(basket_pairs(compute, as_of=as_of, window_days=options.window_days), "pairs")
    baskets = int(pairs.player_id.nunique().to_pyarrow().as_py())
    if baskets == 0:
        raise AnalyticsInputError(
            f"no player bought a ticket in the {options.window_days} days before {as_of}: widen --window-days"
        )
    needed = min_count(options.min_support, baskets)
    itemsets, levels = frequent_itemsets(compute, pairs, min_players=needed, max_length=options.max_length)
    rules = association_rules(itemsets, baskets=baskets, min_confidence=options.min_confidence)
    itemsets_table = compute.to_arrow(
        itemsets.mutate(support=itemsets.players.cast("float64") / float(baskets)).order_by(
            ibis.desc("players"), "size", "items"
        )
    )
    rules_table = compute.to_arrow(
        rules.order_by(ibis.desc("lift"), ibis.desc("confidence"), "antecedent", "consequent")
    )
    return RulesResult(
        as_of=as_of,
        window_days=options.window_days,
        baskets=baskets,
        min_count=needed,
        levels=tuple(levels),
        itemsets=itemsets_table,
        rules=rules_table,
    )
