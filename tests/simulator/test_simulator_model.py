"""The simulated data obeys the generative model it documents, checked against its own ground truth."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from conftest import SimulatedOperator
from lottocrm.simulator.draws import to_us
from lottocrm.simulator.run import Simulation


def test_no_player_buys_after_lapsing_and_first_purchase_is_the_truth(operator: SimulatedOperator) -> None:
    con = operator.facts()
    bad = con.execute(
        """
        SELECT count(*) FILTER (WHERE t.lapsed_at IS NOT NULL AND s.last_sold > t.lapsed_at),
               count(*) FILTER (
                   WHERE s.first_sold <> t.first_purchase_at AND t.monthly_spend_limit_kopecks IS NULL),
               count(*) FILTER (WHERE NOT t.buyer),
               count(*)
        FROM (SELECT player_id, min(sold_at) AS first_sold, max(sold_at) AS last_sold
              FROM tickets WHERE player_id IS NOT NULL GROUP BY player_id) s
        JOIN truth t USING (player_id)
        """
    ).fetchone()
    after_lapse, wrong_first, non_buyers_buying, buyers = bad
    assert buyers > 3_000
    assert (after_lapse, wrong_first, non_buyers_buying) == (0, 0, 0)


def test_occasions_in_the_lake_match_the_true_repeat_counts(operator: SimulatedOperator) -> None:
    # Tickets of one occasion share their instant, so distinct instants per player are its occasions.
    mismatched = (
        operator.facts()
        .execute(
            """
        SELECT count(*) FROM truth t
        LEFT JOIN (SELECT player_id, count(DISTINCT sold_at) AS occasions FROM tickets
                   WHERE player_id IS NOT NULL GROUP BY player_id) s USING (player_id)
        WHERE t.monthly_spend_limit_kopecks IS NULL
          AND coalesce(s.occasions, 0)
              <> CASE WHEN t.first_purchase_at IS NULL THEN 0 ELSE 1 + t.repeat_occasions END
        """
        )
        .fetchone()[0]
    )
    assert mismatched == 0


def test_purchase_rate_and_dropout_match_the_truth(operator: SimulatedOperator) -> None:
    """Poisson rate and per-occasion dropout hold, within 4 standard errors of their own noise.

    By optional stopping, for a Poisson process of rate λ stopped at lapse or window end, E[repeats] equals
    λ × the operational time it ran; and each repeat occasion ends life with chance p, so E[lapses] equals
    Σ p over repeat occasions. Both sums' noise is known, so the tolerance is not a guess.
    """
    truth = pq.read_table(operator.truth_dir / "players").filter(pc.field("first_purchase_at").is_valid())
    simulation = Simulation(operator.config)
    timeline = simulation.timeline
    first = truth["first_purchase_at"].cast("int64").to_numpy()
    lapsed = truth["lapsed_at"].cast("int64").fill_null(timeline.end_us).to_numpy()
    exposure = timeline.to_operational(lapsed) - timeline.to_operational(first)
    rate = truth["purchase_rate_per_week"].to_numpy()
    dropout = truth["dropout_probability"].to_numpy()
    repeats = truth["repeat_occasions"].to_numpy()

    expected_repeats = float((rate * exposure).sum())
    assert abs(repeats.sum() - expected_repeats) < 4 * np.sqrt(expected_repeats)

    lapses = int(truth["lapsed_at"].is_valid().to_numpy(zero_copy_only=False).sum())
    expected_lapses = float((dropout * repeats).sum())
    assert abs(lapses - expected_lapses) < 4 * np.sqrt((dropout * (1 - dropout) * repeats).sum())


def test_population_parameters_are_recovered_by_the_sample_means(operator: SimulatedOperator) -> None:
    truth = pq.read_table(operator.truth_dir / "players")
    population = operator.config.population
    n = truth.num_rows
    rate = truth["purchase_rate_per_week"].to_numpy()
    # Gamma(r, α): mean r/α, sd √r/α; Beta(a, b): mean a/(a+b); mean of ν ~ Gamma(q, γ) is q/γ.
    assert abs(rate.mean() - population.r / population.alpha) < 4 * np.sqrt(
        population.r
    ) / population.alpha / np.sqrt(n)
    a, b = population.a, population.b
    p_sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    assert abs(truth["dropout_probability"].to_numpy().mean() - a / (a + b)) < 4 * p_sd / np.sqrt(n)
    nu = truth["spend_rate_nu"].to_numpy()
    assert abs(nu.mean() - population.q / population.gamma) < 4 * np.sqrt(
        population.q
    ) / population.gamma / np.sqrt(n)


def test_december_sales_are_lifted_by_the_new_year_draw(operator: SimulatedOperator) -> None:
    """December sells well over 1.5× October per day (month factors 1.6 vs 1.0, plus the New Year draw lift,
    less October→December registration growth of a few per cent), and Русское лото's share rises by half."""
    rows = (
        operator.facts()
        .execute(
            """
        SELECT year(sold_at) AS y,
               count(*) FILTER (WHERE month(sold_at) = 12) / 31.0 AS december_per_day,
               count(*) FILTER (WHERE month(sold_at) = 10) / 31.0 AS october_per_day,
               count(*) FILTER (WHERE month(sold_at) = 12 AND game_id = 1)
                 / count(*) FILTER (WHERE month(sold_at) = 12) AS december_loto_share,
               count(*) FILTER (WHERE month(sold_at) = 10 AND game_id = 1)
                 / count(*) FILTER (WHERE month(sold_at) = 10) AS october_loto_share
        FROM tickets GROUP BY 1 HAVING count(*) FILTER (WHERE month(sold_at) = 12) > 0
        """
        )
        .fetchall()
    )
    assert len(rows) == 3
    for _, december, october, december_loto, october_loto in rows:
        assert december > 1.5 * october
        assert december_loto > 1.3 * october_loto


def test_new_year_draws_collect_the_december_loto_tickets(operator: SimulatedOperator) -> None:
    con = operator.facts()
    con.register("draws", operator.db_table("draws", "id", "draw_at"))
    share = con.execute(
        """
        SELECT avg(CASE WHEN month(d.draw_at) = 1 AND day(d.draw_at) = 1 THEN 1.0 ELSE 0.0 END)
        FROM tickets t JOIN draws d ON d.id = t.draw_id
        WHERE t.game_id = 1 AND month(t.sold_at) = 12 AND day(t.sold_at) BETWEEN 1 AND 20
        """
    ).fetchone()[0]
    assert abs(share - operator.config.population.new_year_draw_share) < 0.05


def test_anonymous_share_is_near_its_parameter(operator: SimulatedOperator) -> None:
    share = (
        operator.facts()
        .execute("SELECT avg(CASE WHEN player_id IS NULL THEN 1.0 ELSE 0 END) FROM tickets")
        .fetchone()[0]
    )
    assert abs(share - operator.config.population.anonymous_ticket_share) < 0.01
    assert (
        operator.facts()
        .execute(
            "SELECT count(*) FROM tickets "
            "WHERE player_id IS NULL AND channel NOT IN ('retail_kiosk', 'post_office')"
        )
        .fetchone()[0]
        == 0
    )


def test_about_a_hundred_tickets_per_registered_player(operator: SimulatedOperator) -> None:
    per_player = operator.result.totals.tickets / operator.result.totals.players
    assert 60 < per_player < 160


def test_spend_limits_hold_every_moscow_month(operator: SimulatedOperator) -> None:
    over = (
        operator.facts()
        .execute(
            """
        SELECT count(*) FROM (
            SELECT t.player_id, date_trunc('month', t.sold_at + INTERVAL 3 HOUR) AS m,
                   sum(t.price_kopecks) AS spent,
                   any_value(g.monthly_spend_limit_kopecks) AS cap
            FROM tickets t JOIN truth g USING (player_id)
            WHERE g.monthly_spend_limit_kopecks IS NOT NULL GROUP BY 1, 2
        ) WHERE spent > cap
        """
        )
        .fetchone()[0]
    )
    assert over == 0


def test_self_excluded_players_buy_nothing_while_excluded(operator: SimulatedOperator) -> None:
    con = operator.facts()
    con.register("rg", operator.db_table("responsible_gaming"))
    excluded, inside = con.execute(
        """
        SELECT count(DISTINCT rg.player_id), count(t.ticket_id)
        FROM rg LEFT JOIN tickets t ON t.player_id = rg.player_id
             AND CAST(t.sold_at AS DATE) >= CAST(rg.updated_at AS DATE)
             AND CAST(t.sold_at AS DATE) <= CAST(rg.self_excluded_until AS DATE)
        WHERE rg.self_excluded_until IS NOT NULL
        """
    ).fetchone()
    assert excluded > 0
    assert inside == 0


def test_jackpots_roll_over_and_reset(operator: SimulatedOperator) -> None:
    simulation = Simulation(operator.config)
    draws = simulation.calendar.for_game(3)  # 6 из 45
    assert draws is not None
    regular = ~draws.new_year
    jackpot, hit = draws.jackpot[regular], draws.jackpot_won[regular]
    base = draws.game.jackpot.base_kopecks
    assert (jackpot[1:][~hit[:-1]] > jackpot[:-1][~hit[:-1]]).all()  # grows after a draw nobody hit
    assert (jackpot[1:][hit[:-1]] == base).all()  # back to base after a hit
    assert to_us(operator.config.start_utc) < draws.draw_at[0]
