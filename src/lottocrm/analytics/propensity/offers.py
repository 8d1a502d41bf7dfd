"""The next game to offer each player: propensity, boosted by the cross-sell rules the player's basket fires.

Only games the player has never bought before the as-of date are offered: the offer is a *new* game, so a
lapsed player is not offered their own old favourite. For such a game the score is
``propensity × max(1, lift)`` where lift is the best lift of the single-game rules ``A → {game}`` whose
whole antecedent A is in the player's basket (the rules' window, as the rules were mined on it). A rule with
lift ≤ 1 never lowers a score: it says the games are no more than independent, which is the propensity's own
assumption. The score ranks games; it is not a probability.

Rules are matched per distinct basket, not per player: a basket is encoded as a bitmask of the antecedent
games it holds, and a rule fires on a basket when ``basket & antecedent == antecedent``. There are far fewer
distinct baskets than players (at most 2^games), so the rule matching is a small cross join and each player
reaches the best rules through one equi-join on the mask. The reason is stored as data (kind, antecedent,
lift, confidence); the sentence is rendered in the reader's language (``panels.py``).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from lottocrm.analytics.errors import AnalyticsInputError
from lottocrm.analytics.lake_compute import LakeCompute
from lottocrm.analytics.rules.apriori import basket_pairs

RULE = "rule"
PROPENSITY_ONLY = "propensity"
FIRST_GAME = "first_game"
# A basket mask is a signed 64-bit integer: one bit per game that appears in some rule's antecedent.
MAX_MASK_GAMES = 63

RULE_SCHEMA = pa.schema(
    [
        pa.field("rule_id", pa.int32()),
        pa.field("antecedent", pa.list_(pa.int32())),
        pa.field("game_id", pa.int32()),
        pa.field("lift", pa.float64()),
        pa.field("confidence", pa.float64()),
    ]
)
OFFER_SCHEMA = pa.schema(
    [
        pa.field("player_id", pa.int64()),
        pa.field("rank", pa.int16()),
        pa.field("game_id", pa.int32()),
        pa.field("score", pa.float64()),
        pa.field("propensity", pa.float64()),
        pa.field("lift", pa.float64()),
        pa.field("reason_kind", pa.string()),
        pa.field("rule_antecedent", pa.list_(pa.int32())),
        pa.field("rule_confidence", pa.float64()),
    ]
)


def game_label(codes: dict[int, str], game_id: int) -> str:
    return codes.get(game_id, f"game {game_id}")


def game_bits(rules: pa.Table) -> dict[int, int]:
    """Each game that appears in some rule's antecedent → its bit (a power of two)."""
    games = sorted({int(g) for antecedent in rules.column("antecedent").to_pylist() for g in antecedent})
    if len(games) > MAX_MASK_GAMES:
        raise AnalyticsInputError(
            f"the cross-sell rules name {len(games)} games in their antecedents, more than the "
            f"{MAX_MASK_GAMES} a basket mask holds: raise --min-support"
        )
    return {game: 1 << bit for bit, game in enumerate(games)}


def single_game_rules(rules: pa.Table) -> pa.Table:
    """Rules with one consequent game, numbered: the rules that can recommend a game."""
    rows = []
    for rule in rules.to_pylist():
        if len(rule["consequent"]) != 1:
            continue
        rows.append(
            {
                "rule_id": len(rows),
                "antecedent": [int(g) for g in rule["antecedent"]],
                "game_id": int(rule["consequent"][0]),
                "lift": float(rule["lift"]),
                "confidence": float(rule["confidence"]),
            }
        )
    return pa.Table.from_pylist(rows, schema=RULE_SCHEMA)


def top_propensities(compute: LakeCompute, propensities: ir.Table, *, top: int) -> pa.Table:
    place = ibis.row_number().over(
        group_by=propensities.player_id, order_by=[ibis.desc(propensities.probability), propensities.game_id]
    )
    ranked = propensities.mutate(rank=(place + 1).cast("int16"))
    return compute.to_arrow(ranked.filter(ranked.rank <= top).order_by("player_id", "rank"))


def _basket_masks(compute: LakeCompute, played: ir.Table, bits: dict[int, int]) -> ir.Table:
    """(player_id, mask) of every player whose basket holds a game some antecedent names."""
    bit_table = compute.register(
        compute.name("bits"),
        pa.table(
            {"game_id": pa.array(list(bits), pa.int32()), "bit": pa.array(list(bits.values()), pa.int64())}
        ),
    )
    held = played.join(bit_table, "game_id")
    # Basket pairs are distinct, so the sum of their games' bits is the bitwise OR (which Ibis cannot compile
    # for PySpark). DuckDB sums BIGINT into a 128-bit integer: cast back once materialised.
    masks = compute.materialize(held.group_by("player_id").aggregate(mask=held.bit.sum()), "masks")
    return masks.mutate(mask=masks.mask.cast("int64"))


def _best_rules(masks: ir.Table, rules: ir.Table) -> ir.Table:
    """Per distinct basket mask and consequent game: the rule of highest lift (then lowest id) that fires."""
    baskets = masks.select("mask").distinct()
    fired = baskets.cross_join(rules)
    fired = fired.filter((fired.mask & fired.antecedent_mask) == fired.antecedent_mask)
    place = ibis.row_number().over(
        group_by=[fired.mask, fired.game_id], order_by=[ibis.desc(fired.lift), fired.rule_id]
    )
    best = fired.mutate(place=place)
    return best.filter(best.place == 0).select(
        "mask", "game_id", "lift", rule_antecedent="antecedent", rule_confidence="confidence"
    )


def next_games(
    compute: LakeCompute,
    *,
    propensities: ir.Table,
    rules: pa.Table,
    as_of: dt.date,
    window_days: int,
    top: int,
) -> pa.Table:
    """Up to ``top`` never-bought games per player, best first (columns: ``OFFER_SCHEMA``).

    ``propensities`` has one row per player × game with ``played_before`` (any ticket before ``as_of``);
    ``rules`` comes from ``single_game_rules``; baskets for the rules are the ``window_days`` before as_of.
    """
    played = compute.materialize(basket_pairs(compute, as_of=as_of, window_days=window_days), "played")
    bits = game_bits(rules)
    masks = _basket_masks(compute, played, bits)
    antecedent_masks = [sum(bits[g] for g in a) for a in rules.column("antecedent").to_pylist()]
    with_masks = rules.append_column("antecedent_mask", pa.array(antecedent_masks, pa.int64()))
    best = _best_rules(masks, compute.register(compute.name("rules"), with_masks))
    new_games = propensities.filter(~propensities.played_before)
    scored = new_games.left_join(masks, "player_id").drop("player_id_right")
    scored = scored.mutate(mask=scored.mask.fill_null(0))
    scored = scored.left_join(best, ["mask", "game_id"]).drop("mask_right", "game_id_right")
    boosted = scored.lift.notnull() & (scored.lift > 1)
    scored = scored.mutate(
        score=scored.probability * ibis.ifelse(boosted, scored.lift, 1.0),
        lift=ibis.ifelse(boosted, scored.lift, ibis.null("float64")),
        reason_kind=ibis.ifelse(boosted, RULE, PROPENSITY_ONLY),
        rule_antecedent=ibis.ifelse(boosted, scored.rule_antecedent, ibis.null("array<int32>")),
        rule_confidence=ibis.ifelse(boosted, scored.rule_confidence, ibis.null("float64")),
    )
    place = ibis.row_number().over(
        group_by=scored.player_id, order_by=[ibis.desc(scored.score), scored.game_id]
    )
    ranked = scored.mutate(rank=(place + 1).cast("int16"))
    ranked = ranked.filter(ranked.rank <= top).select(
        "player_id",
        "rank",
        "game_id",
        "score",
        "lift",
        "reason_kind",
        "rule_antecedent",
        "rule_confidence",
        propensity="probability",
    )
    return (
        compute.to_arrow(ranked.order_by("player_id", "rank")).select(OFFER_SCHEMA.names).cast(OFFER_SCHEMA)
    )
