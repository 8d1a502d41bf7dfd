"""The next game to offer each player: propensity, boosted by the cross-sell rules the player's basket fires.

For a player and a game the player does not play yet (no ticket in the rules' basket window), the score is
``propensity × max(1, lift)`` where lift is the best lift of the single-game rules ``A → {game}`` whose whole
antecedent A is in the player's basket. A rule with lift ≤ 1 never lowers a score: it says the games are no
more than independent, which is the propensity's own assumption. The score ranks games; it is not a
probability. Matching rules to baskets and ranking run in the engine; only the top rows reach Python.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from lottocrm.analytics.rules.apriori import basket_pairs
from lottocrm.analytics.rules.engine import LakeEngine

PROPENSITY_ONLY = "propensity only: no cross-sell rule fires"

RULE_SCHEMA = pa.schema(
    [
        pa.field("rule_id", pa.int32()),
        pa.field("antecedent", pa.list_(pa.int32())),
        pa.field("size", pa.int32()),
        pa.field("game_id", pa.int32()),
        pa.field("lift", pa.float64()),
        pa.field("reason", pa.string()),
    ]
)


def game_label(codes: dict[int, str], game_id: int) -> str:
    return codes.get(game_id, f"game {game_id}")


def single_game_rules(rules: pa.Table, codes: dict[int, str]) -> pa.Table:
    """Rules with one consequent game, numbered, each with the sentence an operator reads as the reason."""
    rows = []
    for rule in rules.to_pylist():
        if len(rule["consequent"]) != 1:
            continue
        game = rule["consequent"][0]
        plays = " + ".join(game_label(codes, g) for g in rule["antecedent"])
        rows.append(
            {
                "rule_id": len(rows),
                "antecedent": [int(g) for g in rule["antecedent"]],
                "size": len(rule["antecedent"]),
                "game_id": int(game),
                "lift": float(rule["lift"]),
                "reason": (
                    f"plays {plays}: such players play {game_label(codes, game)} "
                    f"{rule['lift']:.1f}× as often (confidence {rule['confidence']:.0%})"
                ),
            }
        )
    return pa.Table.from_pylist(rows, schema=RULE_SCHEMA)


def top_propensities(engine: LakeEngine, propensities: ir.Table, *, top: int) -> pa.Table:
    place = ibis.row_number().over(
        group_by=propensities.player_id, order_by=[ibis.desc(propensities.probability), propensities.game_id]
    )
    ranked = propensities.mutate(rank=(place + 1).cast("int16"))
    return engine.to_arrow(ranked.filter(ranked.rank <= top).order_by("player_id", "rank"))


def next_games(
    engine: LakeEngine,
    *,
    propensities: ir.Table,
    rules: pa.Table,
    as_of: dt.date,
    window_days: int,
    top: int,
) -> pa.Table:
    """Up to ``top`` games per player, best first.

    Columns: player_id, rank, game_id, score, propensity, lift (null: no rule boosts it), reason.
    """
    played = engine.materialize(basket_pairs(engine, as_of=as_of, window_days=window_days), "played")
    fired = engine.register(engine.name("rules"), rules)
    antecedents = fired.select("rule_id", game_id=fired.antecedent.unnest())
    held = played.join(antecedents, "game_id")
    counted = held.group_by("player_id", "rule_id").aggregate(held_games=held.count())
    matched = counted.join(fired, "rule_id")
    matched = matched.filter(matched.held_games == matched.size)
    best = matched.mutate(
        place=ibis.row_number().over(
            group_by=[matched.player_id, matched.game_id], order_by=[ibis.desc(matched.lift), matched.rule_id]
        )
    )
    best = best.filter(best.place == 0).select("player_id", "game_id", "lift", "reason")
    new_games = propensities.anti_join(played, ["player_id", "game_id"])
    scored = new_games.left_join(best, ["player_id", "game_id"]).drop("player_id_right", "game_id_right")
    boosted = scored.lift.notnull() & (scored.lift > 1)
    scored = scored.mutate(
        score=scored.probability * ibis.ifelse(boosted, scored.lift, 1.0),
        lift=ibis.ifelse(boosted, scored.lift, ibis.null("float64")),
        reason=ibis.ifelse(boosted, scored.reason, PROPENSITY_ONLY),
    )
    place = ibis.row_number().over(
        group_by=scored.player_id, order_by=[ibis.desc(scored.score), scored.game_id]
    )
    ranked = scored.mutate(rank=(place + 1).cast("int16"))
    ranked = ranked.filter(ranked.rank <= top).select(
        "player_id", "rank", "game_id", "score", propensity="probability", lift="lift", reason="reason"
    )
    return engine.to_arrow(ranked.order_by("player_id", "rank"))
