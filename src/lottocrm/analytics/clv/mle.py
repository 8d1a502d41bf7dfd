"""Maximum likelihood over log-parameters with L-BFGS-B, reporting how the optimiser ended.

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

Objective = Callable[[NDArray[np.float64]], tuple[float, NDArray[np.float64]] | float]


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


def maximise(
    *,
    log_likelihood: Objective,
    start: NDArray[np.float64],
    names: tuple[str, ...],
    scale: float,
    analytic_gradient: bool,
    relative_tolerance: float = 1e-13,
) -> Maximum:
    """Maximise ``log_likelihood(log_params)`` (returning ``(ll, gradient)`` when ``analytic_gradient``).

    ``scale`` (the number of customers) turns the objective into a per-customer average so the optimiser's
    tolerances mean the same thing for 2 000 and 2 000 000 customers. Finite-difference gradients are
    noisy below about 1e-10 of the objective, so fits that use them should stop there rather than spend
    evaluations chasing the noise.
    """

    if analytic_gradient:

        def objective(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            ll, grad = log_likelihood(theta)  # type: ignore[misc]
            if not np.isfinite(ll):
                return np.inf, np.zeros_like(theta)
            return -ll / scale, -grad / scale

    else:

        def objective(theta: NDArray[np.float64]) -> float:  # type: ignore[misc]
            ll = log_likelihood(theta)
            return -float(ll) / scale if np.isfinite(ll) else np.inf  # type: ignore[arg-type]

    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        result = minimize(
            objective,
            np.asarray(start, dtype=np.float64),
            jac=analytic_gradient,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * len(start),
            options={"maxiter": 1000, "ftol": relative_tolerance, "gtol": 1e-8},
        )
    converged = bool(result.success)
    message = str(result.message)
    pinned = [name for name, value in zip(names, result.x, strict=True) if abs(value) > LOG_BOUND - 1e-6]
    if pinned:
        converged = False
        message = (
            f"parameter(s) {', '.join(pinned)} ran to the edge of the search space: "
            "the data do not identify them"
        )
    return Maximum(
        params=np.exp(result.x),
        log_likelihood=-float(result.fun) * scale,
        convergence=Convergence(
            converged=converged, iterations=int(result.nit), evaluations=int(result.nfev), message=message
        ),
    )
