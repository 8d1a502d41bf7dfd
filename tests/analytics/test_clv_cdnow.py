"""Our summary and fits against the numbers published on the CDNOW sample (brief §7)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lottocrm.analytics.clv import bgnbd, gammagamma, paretonbd, predict
from lottocrm.analytics.clv.holdout import compare


def sig3(value: float) -> float:
    return float(f"{value:.3g}")


def test_summary_equals_published(cdnow_summary: pd.DataFrame, published_summary: pd.DataFrame) -> None:
    ours = cdnow_summary.set_index("customer_id").sort_index()
    theirs = published_summary.set_index("ID").sort_index()
    assert list(ours.index) == list(theirs.index) == list(range(1, 2358))
    assert (ours["x"] == theirs["frequency"]).all()
    # The published file rounds weeks to two decimals.
    np.testing.assert_allclose(ours["t_x"], theirs["recency"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(ours["T"], theirs["T"], atol=0.005 + 1e-9)
    assert (ours["x"] > 0).sum() == 946
    assert ours.loc[ours["x"] == 0, "monetary"].isna().all()


def test_summary_merges_same_day_purchases(
    cdnow_transactions: pd.DataFrame, cdnow_summary: pd.DataFrame
) -> None:
    calibration = cdnow_transactions[cdnow_transactions["date"] <= "1997-09-30"]
    raw_counts = calibration.groupby("customer_id").size() - 1
    distinct_days = calibration.groupby("customer_id")["date"].nunique() - 1
    assert (raw_counts > distinct_days).any(), "the sample has same-day purchases to merge"
    assert (cdnow_summary.set_index("customer_id")["x"] == distinct_days).all()


@pytest.fixture(scope="module")
def bg_fit(cdnow_summary: pd.DataFrame) -> bgnbd.BgNbdFit:
    return bgnbd.fit(x=cdnow_summary["x"], t_x=cdnow_summary["t_x"], T=cdnow_summary["T"])


@pytest.fixture(scope="module")
def pareto_fit(cdnow_summary: pd.DataFrame) -> paretonbd.ParetoNbdFit:
    return paretonbd.fit(x=cdnow_summary["x"], t_x=cdnow_summary["t_x"], T=cdnow_summary["T"])


def test_bgnbd_reproduces_published(bg_fit: bgnbd.BgNbdFit) -> None:
    p = bg_fit.params
    assert bg_fit.convergence.converged
    assert (sig3(p.r), sig3(p.alpha), sig3(p.a), sig3(p.b)) == (0.243, 4.41, 0.793, 2.43)
    assert sig3(bg_fit.log_likelihood) == -9580.0
    assert round(bg_fit.log_likelihood, 1) == -9582.4
    assert bg_fit.customers == 2357


def test_pareto_reproduces_published(pareto_fit: paretonbd.ParetoNbdFit) -> None:
    p = pareto_fit.params
    assert pareto_fit.convergence.converged
    assert (sig3(p.r), sig3(p.alpha), sig3(p.s), sig3(p.beta)) == (0.553, 10.6, 0.606, 11.7)
    assert round(pareto_fit.log_likelihood, 1) == -9595.0


def test_published_parameters_give_published_likelihoods(published_summary: pd.DataFrame) -> None:
    x, t_x, T = published_summary["frequency"], published_summary["recency"], published_summary["T"]
    bg = bgnbd.log_likelihood(bgnbd.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426), x=x, t_x=t_x, T=T)
    pn = paretonbd.log_likelihood(
        paretonbd.ParetoNbdParams(r=0.553, alpha=10.578, s=0.606, beta=11.669), x=x, t_x=t_x, T=T
    )
    assert bg == pytest.approx(-9582.4, abs=0.1)
    assert pn == pytest.approx(-9595.0, abs=0.1)


def test_gamma_gamma_reproduces_published(cdnow_summary: pd.DataFrame) -> None:
    fitted = gammagamma.fit(x=cdnow_summary["x"], monetary=cdnow_summary["monetary"])
    assert fitted.customers == 946
    assert fitted.convergence.converged
    p = fitted.params
    assert (sig3(p.p), sig3(p.q), sig3(p.gamma)) == (6.25, 3.74, 15.4)
    assert round(p.gamma, 2) == 15.44


def test_bgnbd_expected_purchases_published_example(bg_fit: bgnbd.BgNbdFit) -> None:
    expected = predict.expected_purchases(bg_fit.params, t=39, x=[2], t_x=[30.43], T=[38.86])
    assert round(float(expected[0]), 3) == 1.226


def test_probability_alive_behaves(bg_fit: bgnbd.BgNbdFit, pareto_fit: paretonbd.ParetoNbdFit) -> None:
    T = np.full(5, 38.86)
    x = np.array([0, 5, 5, 5, 20])
    t_x = np.array([0, 5, 20, 38, 38])
    for params in (bg_fit.params, pareto_fit.params):
        alive = predict.probability_alive(params, x=x, t_x=t_x, T=T)
        assert ((alive > 0) & (alive <= 1)).all()
        # Same frequency, more recent last purchase: more likely alive.
        assert alive[1] < alive[2] < alive[3]
    # BG/NBD cannot lose a customer who never bought again; Pareto/NBD can.
    assert predict.probability_alive(bg_fit.params, x=[0], t_x=[0], T=[38.86])[0] == 1.0
    assert predict.probability_alive(pareto_fit.params, x=[0], t_x=[0], T=[38.86])[0] < 1.0
    # A heavy buyer silent for 30 weeks is almost surely gone.
    assert predict.probability_alive(bg_fit.params, x=[20], t_x=[8], T=[38.86])[0] < 0.01


def test_holdout_forecast_tracks_actual(bg_fit: bgnbd.BgNbdFit, cdnow_summary: pd.DataFrame) -> None:
    comparison = compare(bg_fit.params, cdnow_summary, weeks=39)
    assert comparison.actual_total == cdnow_summary["x_holdout"].sum()
    # Measured: 1653 predicted against 1882 actual repeat purchases in weeks 40-78 (-12 %), the shortfall
    # sitting in the x = 1-2 buckets; a broken model or summary misses by far more than 15 %.
    assert comparison.predicted_total == pytest.approx(comparison.actual_total, rel=0.15)
    assert [b.label for b in comparison.buckets] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    # The model's central claim: the conditional forecast rises with past frequency, as the actuals do.
    predicted = [b.predicted_mean for b in comparison.buckets]
    assert predicted == sorted(predicted)
