"""Maximum likelihood over log-parameters with L-BFGS-B and analytic gradients, reporting how it ended.

Optimising log-parameters keeps every model parameter positive without constraints. The bounds only stop
the optimiser wandering into overflow; a parameter that ends on one means the data do not pin it down, and
the fit says so instead of returning a number that looks like an estimate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

LOG_BOUND = 25.0
FLAT_GRADIENT = 1e-6

Objective = Callable[[NDArray[np.float64]], tuple[float, NDArray[np.float64]]]


@dataclass(frozen=True)
class Convergence:
    converged: bool
    iterations: int
    evaluations: int
    message: str


@dataclass(frozen=True)
class Maximum:
    params: NDArray[np.float64]
    log_likelihood: float
    convergence: Convergence


def curvature(
    log_likelihood: Objective, at: NDArray[np.float64], *, scale: float, step: float = 1e-4
) -> NDArray[np.float64]:
    """Hessian of the per-customer negative log-likelihood at ``at``: central differences of the gradient."""
    size = at.size
    hessian = np.empty((size, size))
    for i in range(size):
        shift = np.zeros(size)
        shift[i] = step
        hessian[:, i] = (log_likelihood(at - shift)[1] - log_likelihood(at + shift)[1]) / (2 * step * scale)
    return (hessian + hessian.T) / 2


def maximise(
    *,
    log_likelihood: Objective,
    start: NDArray[np.float64],
    names: tuple[str, ...],
    scale: float,
    relative_tolerance: float = 1e-13,
) -> Maximum:
    """Maximise ``log_likelihood(log_params) -> (ll, gradient)``.

    ``scale`` (the number of customers) turns the objective into a per-customer average so the optimiser's
    tolerances mean the same thing for 2 000 and 2 000 000 customers.
    """

    def objective(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        ll, grad = log_likelihood(theta)
        if not np.isfinite(ll):
            return np.inf, np.zeros_like(theta)
        return -ll / scale, -grad / scale

    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        result = minimize(
            objective,
            np.asarray(start, dtype=np.float64),
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * len(start),
            options={"maxiter": 1000, "ftol": relative_tolerance, "gtol": 1e-8},
        )
    converged, message = bool(result.success), str(result.message)
    if not converged and np.max(np.abs(result.jac)) <= FLAT_GRADIENT:
        # L-BFGS-B's line search gives up when rounding noise swamps the last improvement; a gradient this
        # flat means it already stood on the maximum.
        converged = True
        message = f"at the maximum: every gradient component below {FLAT_GRADIENT:g} per customer ({message})"
    return _maximum(
        result.x,
        -float(result.fun) * scale,
        names,
        converged,
        message,
        int(result.nit),
        int(result.nfev),
    )


def polish(
    *,
    log_likelihood: Objective,
    start: NDArray[np.float64],
    names: tuple[str, ...],
    scale: float,
    hessian: NDArray[np.float64],
    gradient_tolerance: float = 1e-9,
) -> Maximum:
    """BFGS from a start near the maximum, its curvature seeded with ``hessian`` (per-customer objective).

    Made for a start and Hessian measured on a sample of the data: the first step is then already a Newton
    step and the updates only correct the sample's curvature, so a handful of full-data evaluations suffice
    where L-BFGS from scratch would first spend a dozen or more learning it. Stops when every component of
    the per-customer gradient is below ``gradient_tolerance``; if BFGS gives up before that (a Hessian
    that is no maximum's, a start far away), ``maximise`` takes over from where it stopped.
    """

    def objective(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        ll, grad = log_likelihood(theta)
        if not np.isfinite(ll):
            return np.inf, np.zeros_like(theta)
        return -ll / scale, -grad / scale

    try:
        inverse = np.linalg.inv(hessian)
        inverse = (inverse + inverse.T) / 2
        np.linalg.cholesky(inverse)
    except np.linalg.LinAlgError:
        inverse = None
    evaluations = 0
    theta = np.asarray(start, dtype=np.float64)
    if inverse is not None:
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            result = minimize(
                objective,
                theta,
                jac=True,
                method="BFGS",
                options={"gtol": gradient_tolerance, "hess_inv0": inverse, "maxiter": 200},
            )
        evaluations = int(result.nfev)
        if result.success:
            return _maximum(
                result.x,
                -float(result.fun) * scale,
                names,
                True,
                str(result.message),
                int(result.nit),
                evaluations,
            )
        theta = result.x
    fallback = maximise(log_likelihood=log_likelihood, start=theta, names=names, scale=scale)
    return _maximum(
        np.log(fallback.params),
        fallback.log_likelihood,
        names,
        fallback.convergence.converged,
        fallback.convergence.message,
        fallback.convergence.iterations,
        evaluations + fallback.convergence.evaluations,
    )


def _maximum(
    theta: NDArray[np.float64],
    log_likelihood: float,
    names: tuple[str, ...],
    converged: bool,
    message: str,
    iterations: int,
    evaluations: int,
) -> Maximum:
    pinned = [name for name, value in zip(names, theta, strict=True) if abs(value) > LOG_BOUND - 1e-6]
    if pinned:
        converged = False
        message = (
            f"parameter(s) {', '.join(pinned)} ran to the edge of the search space: "
            "the data do not identify them"
        )
    return Maximum(
        params=np.exp(theta),
        log_likelihood=float(log_likelihood),
        convergence=Convergence(
            converged=converged, iterations=iterations, evaluations=evaluations, message=message
        ),
    )
