"""Model mathematics: gradients, the stable Pareto/NBD form against direct integration, identities, errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import check_grad
from scipy.special import gammaln, hyp2f1

from helpers import clv_synthetic
from lottocrm.analytics.clv import bgnbd, gammagamma, paretonbd, predict
from lottocrm.analytics.clv.bgnbd import BgNbdParams
from lottocrm.analytics.clv.gammagamma import GammaGammaParams
from lottocrm.analytics.clv.mle import curvature, polish
from lottocrm.analytics.clv.paretonbd import ParetoNbdParams
from lottocrm.analytics.clv.rfm import collapse
from lottocrm.analytics.errors import AnalyticsInputError

X = np.array([0, 0, 1, 2, 7, 15, 3])
T_X = np.array([0, 0, 3.0, 30.43, 20.0, 38.0, 38.86])
T = np.array([38.86, 12.0, 38.86, 38.86, 38.86, 39.0, 38.86])


def test_bgnbd_gradient_matches_finite_differences() -> None:
    rfm = collapse(x=X, t_x=T_X, T=T)
    x_values, x_index = np.unique(rfm.x, return_inverse=True)
    theta = np.log([0.3, 5.0, 0.7, 2.0])
    value = lambda t: bgnbd._log_likelihood_and_gradient(t, rfm, x_values, x_index)[0]  # noqa: E731
    gradient = lambda t: bgnbd._log_likelihood_and_gradient(t, rfm, x_values, x_index)[1]  # noqa: E731
    assert check_grad(value, gradient, theta) < 1e-5 * np.linalg.norm(gradient(theta))


def test_gamma_gamma_gradient_matches_finite_differences() -> None:
    x = np.array([1.0, 2, 5, 9])
    m = np.array([10.0, 25.5, 3.2, 40.0])
    theta = np.log([4.0, 3.0, 12.0])
    value = lambda t: gammagamma._log_likelihood_and_gradient(t, x, m)[0]  # noqa: E731
    gradient = lambda t: gammagamma._log_likelihood_and_gradient(t, x, m)[1]  # noqa: E731
    assert check_grad(value, gradient, theta) < 1e-5 * np.linalg.norm(gradient(theta))


def _pareto_by_integration(p: ParetoNbdParams, x: float, t_x: float, T: float) -> float:
    """log L from its definition: alive at T, or died at y in (t_x, T), integrated numerically."""

    def purchases(y: float) -> float:
        log_nbd = gammaln(p.r + x) - gammaln(p.r) + p.r * np.log(p.alpha) - (p.r + x) * np.log(p.alpha + y)
        return float(np.exp(log_nbd))

    def death_density(y: float) -> float:
        return p.s * p.beta**p.s / (p.beta + y) ** (p.s + 1)

    survival = (p.beta / (p.beta + T)) ** p.s
    died, _ = quad(lambda y: purchases(y) * death_density(y), t_x, T, epsabs=0, epsrel=1e-12)
    return float(np.log(purchases(T) * survival + died))


def test_series_matches_scipy_with_derivatives() -> None:
    b = np.array([0.6, 1.6, 12.0, 300.0, 1.2])
    c = b + np.array([1.6, 0.4, 2.0, 1.0, 0.05])
    z = np.array([0.0, 0.3, 0.9, 0.5, 0.97])
    f = paretonbd.series(b, c, z)
    np.testing.assert_allclose(f.value, hyp2f1(1.0, b, c, z), rtol=1e-13)
    h = 1e-6
    np.testing.assert_allclose(
        f.d_b, (hyp2f1(1.0, b + h, c, z) - hyp2f1(1.0, b - h, c, z)) / (2 * h), rtol=1e-6, atol=1e-9
    )
    np.testing.assert_allclose(
        f.d_c, (hyp2f1(1.0, b, c + h, z) - hyp2f1(1.0, b, c - h, z)) / (2 * h), rtol=1e-6, atol=1e-9
    )
    np.testing.assert_allclose(
        f.d_z, (hyp2f1(1.0, b, c, z + 1e-8) - hyp2f1(1.0, b, c, z - 1e-8)) / 2e-8, rtol=1e-5
    )


def test_series_falls_back_to_scipy_where_it_converges_too_slowly() -> None:
    # z this close to 1 with c - b this small needs far more than SERIES_TERMS terms.
    b, c, z = np.array([1.6, 2.0]), np.array([1.65, 4.0]), np.array([0.9999, 0.5])
    f = paretonbd.series(b, c, z)
    np.testing.assert_allclose(f.value, hyp2f1(1.0, b, c, z), rtol=1e-10)
    assert np.isfinite(f.d_b).all() and np.isfinite(f.d_c).all() and (f.d_z > 0).all()


@pytest.mark.parametrize(
    "params",
    [
        ParetoNbdParams(r=0.553, alpha=10.578, s=0.606, beta=11.669),  # α < β
        ParetoNbdParams(r=1.7, alpha=25.0, s=2.3, beta=4.0),  # α > β
        ParetoNbdParams(r=0.8, alpha=6.0, s=0.9, beta=6.0),  # α = β
    ],
)
def test_pareto_gradient_matches_finite_differences(params: ParetoNbdParams) -> None:
    rfm = collapse(x=X, t_x=T_X, T=T)
    pairs = paretonbd._Pairs.of(x=rfm.x, t_x=rfm.t_x, T=rfm.T)
    theta = np.log([params.r, params.alpha, params.s, params.beta])
    value = lambda t: paretonbd._log_likelihood_and_gradient(t, rfm, pairs)[0]  # noqa: E731
    gradient = lambda t: paretonbd._log_likelihood_and_gradient(t, rfm, pairs)[1]  # noqa: E731
    assert check_grad(value, gradient, theta) < 1e-5 * np.linalg.norm(gradient(theta))


def test_pareto_newton_polish_from_a_sample_reaches_the_full_maximum() -> None:
    truth = ParetoNbdParams(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    drawn = clv_synthetic.draw_paretonbd(
        truth, T=clv_synthetic.observation_lengths(6_000, low=26, high=52, seed=8), seed=9
    )
    rfm = collapse(x=drawn.x, t_x=drawn.t_x, T=drawn.T)
    full = paretonbd._maximise(rfm, np.log([1.0, 39.0, 1.0, 39.0]))
    sample = rfm.sample(1_500, seed=0)
    start = np.log(paretonbd._maximise(sample, np.log([1.0, 39.0, 1.0, 39.0])).params)
    polished = polish(
        log_likelihood=paretonbd._objective(rfm),
        start=start,
        names=paretonbd.NAMES,
        scale=rfm.customers,
        hessian=curvature(paretonbd._objective(sample), start, scale=sample.customers),
    )
    assert polished.convergence.converged
    assert polished.convergence.evaluations < full.convergence.evaluations
    np.testing.assert_allclose(polished.params, full.params, rtol=1e-4)
    assert polished.log_likelihood == pytest.approx(full.log_likelihood, abs=1e-6)


@pytest.mark.parametrize(
    "params",
    [
        ParetoNbdParams(r=0.553, alpha=10.578, s=0.606, beta=11.669),  # α < β
        ParetoNbdParams(r=1.7, alpha=25.0, s=2.3, beta=4.0),  # α > β
        ParetoNbdParams(r=0.8, alpha=6.0, s=0.9, beta=6.0),  # α = β
    ],
)
def test_pareto_likelihood_matches_direct_integration(params: ParetoNbdParams) -> None:
    terms = paretonbd.log_terms(params, x=X.astype(float), t_x=T_X, T=T)
    ours = terms.constant + np.logaddexp(terms.alive, terms.died)
    by_integration = [_pareto_by_integration(params, *row) for row in zip(X, T_X, T, strict=True)]
    np.testing.assert_allclose(ours, by_integration, rtol=0, atol=1e-8)


def test_pareto_stays_finite_for_heavy_buyers() -> None:
    params = ParetoNbdParams(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    ll = paretonbd.log_likelihood(params, x=[300, 1000], t_x=[50.0, 51.9], T=[52.0, 52.0])
    assert np.isfinite(ll)
    alive = predict.probability_alive(params, x=[300, 1000], t_x=[50.0, 51.9], T=[52.0, 52.0])
    assert np.isfinite(alive).all() and (alive > 0).all()


def _new_customer_purchases(params: BgNbdParams | ParetoNbdParams, *, t: float) -> float:
    """E[X(t)], repeat purchases in a new customer's first t weeks, from the papers' closed forms: the
    reference the conditional forecast (x = t_x = T = 0) and simulated customers are checked against."""
    if isinstance(params, BgNbdParams):
        r, alpha, a, b = params.r, params.alpha, params.a, params.b
        z = t / (alpha + t)
        return float(
            (a + b - 1) / (a - 1) * (1 - (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b - 1, z))
        )
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))


@pytest.mark.parametrize(
    "params",
    [
        BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426),
        ParetoNbdParams(r=0.553, alpha=10.578, s=0.606, beta=11.669),
    ],
)
def test_conditional_forecast_of_a_new_customer_is_the_unconditional_one(params) -> None:
    conditional = predict.expected_purchases(params, t=52.0, x=[0], t_x=[0], T=[0])
    assert conditional[0] == pytest.approx(float(_new_customer_purchases(params, t=52.0)), rel=1e-10)


@pytest.mark.parametrize(
    ("params", "draw"),
    [
        (BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426), clv_synthetic.draw_bgnbd),
        (ParetoNbdParams(r=0.553, alpha=10.578, s=0.606, beta=11.669), clv_synthetic.draw_paretonbd),
    ],
)
def test_unconditional_forecast_matches_simulated_customers(params, draw) -> None:
    customers = draw(params, T=np.full(200_000, 52.0), seed=7)
    simulated = customers.x.mean()
    # Standard error of the mean is ~0.006 here; 0.03 leaves room without hiding a wrong formula.
    assert simulated == pytest.approx(float(_new_customer_purchases(params, t=52.0)), abs=0.03)


def test_pareto_forecast_is_continuous_through_s_equal_one() -> None:
    args = {"t": 39.0, "x": [3], "t_x": [20.0], "T": [38.0]}
    at_one = predict.expected_purchases(ParetoNbdParams(r=0.5, alpha=10.0, s=1.0, beta=12.0), **args)
    near_one = predict.expected_purchases(ParetoNbdParams(r=0.5, alpha=10.0, s=1.0 + 1e-6, beta=12.0), **args)
    assert at_one[0] == pytest.approx(near_one[0], rel=1e-5)


def test_expected_spend_shrinks_towards_the_population_mean() -> None:
    params = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
    population = params.p * params.gamma / (params.q - 1)
    spend = predict.expected_spend(params, x=[0, 1, 50], monetary=[np.nan, 100.0, 100.0])
    assert spend[0] == pytest.approx(population)
    assert population < spend[1] < spend[2] < 100.0


@pytest.mark.parametrize("fitter", [bgnbd.fit, paretonbd.fit])
def test_purchase_models_refuse_unusable_data(fitter) -> None:
    with pytest.raises(AnalyticsInputError, match="no customers"):
        fitter(x=[], t_x=[], T=[])
    with pytest.raises(AnalyticsInputError, match="repeat purchase"):
        fitter(x=[0, 0, 0], t_x=[0, 0, 0], T=[10.0, 20.0, 30.0])
    with pytest.raises(AnalyticsInputError, match="t_x ≤ T"):
        fitter(x=[1, 2], t_x=[5.0, 40.0], T=[10.0, 30.0])
    with pytest.raises(AnalyticsInputError, match="whole numbers"):
        fitter(x=[1.5, 2], t_x=[5.0, 20.0], T=[10.0, 30.0])


def test_gamma_gamma_refuses_unusable_data() -> None:
    with pytest.raises(AnalyticsInputError, match="repeat purchase"):
        gammagamma.fit(x=[0, 0], monetary=[np.nan, np.nan])
    with pytest.raises(AnalyticsInputError, match="positive"):
        gammagamma.fit(x=[1, 2], monetary=[10.0, 0.0])
    with pytest.raises(AnalyticsInputError, match="infinite"):
        predict.expected_spend(GammaGammaParams(p=2.0, q=0.9, gamma=5.0), x=[1], monetary=[3.0])
