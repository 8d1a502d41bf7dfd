"""Propensity, rules and next game to offer for one as-of date, written back to the store in bulk.

``build_offers`` is what ``lottocrm propensity build`` and the demo call. Buyers get games they never bought,
ranked by propensity and cross-sell rules (``offers``); registered players without a purchase get the first
games their peers chose (``first_game``). Everything is computed first, then written in one transaction
(``writeback``), so a failure keeps the previous version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from lottocrm import clock
from lottocrm.analytics.extracts import players_with_channel_extract
from lottocrm.analytics.lake_compute import LakeCompute
from lottocrm.analytics.propensity.artifacts import load_model, save_fit
from lottocrm.analytics.propensity.first_game import DEFAULT_DAYS as FIRST_GAME_DAYS
from lottocrm.analytics.propensity.first_game import first_game_offers
from lottocrm.analytics.propensity.model import (
    PropensityFit,
    PropensityOptions,
    fit_propensity,
    score_propensity,
)
from lottocrm.analytics.propensity.offers import next_games, single_game_rules, top_propensities
from lottocrm.analytics.propensity.writeback import replace_offers
from lottocrm.analytics.rules.apriori import RuleOptions, RulesResult, mine_rules
from lottocrm.audit import service as audit
from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.lake.store import Lake
from lottocrm.settings import Settings

TOP_PROPENSITIES = 3
DEFAULT_OFFERS = 3
# Cross-sell rules for offers: loose thresholds, because a weak rule only boosts, never decides alone.
OFFER_RULES = RuleOptions(min_support=0.01, min_confidence=0.1)


@dataclass(frozen=True)
class OffersSummary:
    as_of: dt.date
    fit: PropensityFit
    rules: RulesResult
    players: int
    propensity_rows: int
    offer_rows: int
    boosted_offers: int
    first_game_offers: int
    model_version: str


def _run_metrics(fit: PropensityFit, rules: RulesResult, rule_options: RuleOptions) -> dict:
    return {
        "per_game": [
            {
                "game_id": m.game_id,
                "rows": m.rows,
                "positives": m.positives,
                "auc": m.auc,
                "baseline_auc": m.baseline_auc,
            }
            for m in fit.per_game
        ],
        "rules": {
            "min_support": rule_options.min_support,
            "min_confidence": rule_options.min_confidence,
            "window_days": rules.window_days,
            "baskets": rules.baskets,
            "itemsets": rules.itemsets.num_rows,
            "rules": rules.rules.num_rows,
        },
    }


def build_offers(
    settings: Settings,
    engine: Engine,
    as_of: dt.date,
    *,
    actor: Actor,
    options: PropensityOptions | None = None,
    rule_options: RuleOptions = OFFER_RULES,
    offers: int = DEFAULT_OFFERS,
    on_step: Callable[[str], None] | None = None,
) -> OffersSummary:
    """Fit and check the propensity model, mine the rules, rank next games and store them for ``as_of``."""
    options = options or PropensityOptions()
    step = on_step or (lambda _message: None)
    players = players_with_channel_extract(engine)
    with LakeCompute(Lake(settings.lake_path), timezone=settings.timezone) as compute:
        step("training the propensity model")
        fit = fit_propensity(compute, as_of=as_of, options=options)
        created_at = clock.now()
        # Scores come from the copy on disk, read back through the hash check: what is stored is what ran.
        model = load_model(settings.data_dir, save_fit(settings.data_dir, fit, created_at=created_at).version)
        step("scoring players × games")
        scores = compute.register(compute.name("scores"), score_propensity(compute, model))
        step("mining cross-sell rules")
        rules = mine_rules(compute, as_of=as_of, options=rule_options)
        step("ranking next games")
        top = top_propensities(compute, scores, top=TOP_PROPENSITIES)
        ranked = next_games(
            compute,
            propensities=scores,
            rules=single_game_rules(rules.rules),
            as_of=as_of,
            window_days=rule_options.window_days,
            top=offers,
        )
        step("choosing first games for players without a purchase")
        first_games = first_game_offers(
            compute, players=players, as_of=as_of, top=offers, days=FIRST_GAME_DAYS
        )
        scored_players = int(scores.player_id.nunique().to_pyarrow().as_py())
    run = {
        "model_version": model.version,
        "horizon_days": fit.horizon_days,
        "train_as_of": fit.train_as_of,
        "holdout_as_of": fit.holdout_as_of,
        "auc": fit.auc,
        "baseline_auc": fit.baseline_auc,
        "metrics": _run_metrics(fit, rules, rule_options),
        "players": scored_players,
        "created_at": created_at,
    }
    step("writing to the store")
    with transaction(engine) as session:
        replace_offers(
            session, as_of=as_of, propensities=top, offers=ranked, run=run, first_games=first_games
        )
        audit.record(
            session,
            actor=actor,
            action="analytics.propensity.build",
            detail={"as_of": as_of.isoformat(), "model_version": model.version, "players": scored_players},
        )
    return OffersSummary(
        as_of=as_of,
        fit=fit,
        rules=rules,
        players=scored_players,
        propensity_rows=top.num_rows,
        offer_rows=ranked.num_rows + first_games.num_rows,
        boosted_offers=ranked.num_rows - ranked.column("lift").null_count,
        first_game_offers=first_games.num_rows,
        model_version=model.version,
    )
