"""The three-parameter logistic model, with a fallback for samples too small to identify it.

See :class:`ThreePL`. The fitting machinery is that of the other logistic models
(:mod:`edutools.irt.estimators`).
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any, ClassVar, Literal

import numpy as np

from edutools.errors import CalibrationError
from edutools.irt._data import CalibrationWarning, ResponseData
from edutools.irt._em import run_em
from edutools.irt._fitting import subsample
from edutools.irt._models import ModelName, ModelSpec
from edutools.irt._quadrature import Quadrature
from edutools.irt.estimators import _MML
from edutools.irt.result import Calibration

__all__ = ["ThreePL"]

# The 3PL's 2PL start values come from at most this many persons.
_START_SUBSAMPLE = 20_000


class ThreePL(_MML):
    """Three-parameter logistic model with a Beta prior on the lower asymptote c.

    The estimate is the posterior mode in c and the likelihood maximum in a and d (as
    mirt with a prior on g). ``loglik_`` is the marginal log-likelihood at that point,
    without the priors.

    Small samples often leave a 3PL slope unidentified: the likelihood keeps rising as
    one item turns into a step function, EM never converges and the information is
    singular. With ``a_prior="auto"`` (the default) a fit that has not converged within 250
    E-steps, has a slope beyond 10 or a singular information is repeated with a
    LogNormal(0, 0.5) prior on every slope (BILOG-MG's default prior), with a
    :class:`CalibrationWarning` and a note saying so; a stable fit keeps no slope prior.

    Parameters
    ----------
    c_prior : (float, float) or None
        Beta(α, β) prior on c. The default Beta(6, 16) has its mode at 0.25 (four options)
        and is BILOG-MG's default, 20 pseudo-observations. ``None`` gives plain ML, which is
        often unstable for c.
    a_prior : "auto", (float, float) or None
        LogNormal(μ, σ) prior on the slopes: ``"auto"`` only when the fit without it is
        unstable (see above), a pair always, ``None`` never (an unstable fit then ends with
        CalibrationWarnings about convergence and standard errors).
    **kwargs
        As for :class:`Rasch`.

    Example
    -------
    >>> ThreePL(c_prior=(6, 16)).fit(X).c_  # doctest: +SKIP
    """

    model: ClassVar[ModelName] = "3pl"
    _FALLBACK_PRIOR: ClassVar[tuple[float, float]] = (0.0, 0.5)
    _FIRST_ATTEMPT_ITER: ClassVar[int] = 250

    def __init__(
        self,
        *,
        c_prior: tuple[float, float] | None = (6.0, 16.0),
        a_prior: tuple[float, float] | Literal["auto"] | None = "auto",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.c_prior = c_prior
        self.a_prior = a_prior
        self._slope_prior: tuple[float, float] | None = None

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Hyper-parameters, as scikit-learn's ``get_params``."""
        params = super().get_params(deep)
        params.pop("_slope_prior", None)
        return params

    def _spec(self, n_items: int) -> ModelSpec:
        prior = self.c_prior
        if prior is not None:
            if len(prior) != 2 or min(prior) < 1:
                raise CalibrationError(
                    f"c_prior={prior!r}; expected (alpha, beta) with both at least 1, or None"
                )
            prior = (float(prior[0]), float(prior[1]))
        return ModelSpec("3pl", n_items, prior, self._slope_prior)

    def _fit_data(
        self, data: ResponseData, quad: Quadrature, *, max_iter: int | None = None
    ) -> Calibration:
        if self.a_prior != "auto":
            if self.a_prior is not None and (len(self.a_prior) != 2 or not self.a_prior[1] > 0):
                raise CalibrationError(
                    f"a_prior={self.a_prior!r}; expected 'auto', None or (mu, sigma) with sigma > 0"
                )
            self._slope_prior = None if self.a_prior is None else tuple(map(float, self.a_prior))  # type: ignore[assignment]
            return super()._fit_data(data, quad, max_iter=max_iter)
        self._slope_prior = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CalibrationWarning)
            first = super()._fit_data(
                data, quad, max_iter=min(self.max_iter, self._FIRST_ATTEMPT_ITER)
            )
        unstable = self._unstable(first)
        if not unstable:
            for w in caught:
                warnings.warn(str(w.message), w.category, stacklevel=4)
            return first
        self._slope_prior = self._FALLBACK_PRIOR
        try:
            second = super()._fit_data(data, quad)
        finally:
            self._slope_prior = None
        mu, sd = self._FALLBACK_PRIOR
        message = (
            f"the 3PL without a slope prior is unstable on these {data.n_persons} persons "
            f"({unstable}); refitted with a LogNormal({mu:g}, {sd:g}) prior on every slope "
            "(BILOG-MG's default). For estimates without it, use more persons or the 2PL"
        )
        warnings.warn(message, CalibrationWarning, stacklevel=4)
        return replace(second, notes=(*second.notes, message))

    @staticmethod
    def _unstable(cal: Calibration) -> str:
        """Why a fit is not trustworthy ('' when it is)."""
        if not cal.converged:
            return "no convergence"
        steep = [i for i, a in zip(cal.items, cal.a, strict=True) if not abs(a) <= 10]
        if steep:
            return f"slope of {', '.join(steep)} beyond 10"
        if not np.all(np.isfinite(cal.se[["a", "d", "c"]].to_numpy())):
            return "singular information"
        return ""

    def _start(
        self,
        data: ResponseData,
        quad: Quadrature,
        spec: ModelSpec,
        p: np.ndarray,
        rpb: np.ndarray,
        dtype: type[np.floating],
    ) -> np.ndarray:
        # The 3PL surface is flat in c; start from a 2PL solution, whose slopes and
        # intercepts are shrunk versions of the 3PL's.
        two = ModelSpec("2pl", spec.n_items)
        if data.n_patterns > _START_SUBSAMPLE:  # start values need no more than a sample
            data = subsample(data, _START_SUBSAMPLE)
        em = run_em(data, two, quad, two.start(p, rpb), max_iter=200, tol=1e-3, dtype=dtype)
        a, d, _ = two.expand(em.phi)
        c = np.full_like(a, spec.c_start())
        # Keep the 2PL curve's midpoint b and its slope there: the 3PL passes 1/2 at b when
        # σ(a3 b + d3) = s with s = (1/2 - c) / (1 - c), and its slope (1 - c) a3 s (1 - s)
        # equals the 2PL's a / 4.
        s = (0.5 - c) / (1 - c)
        a3 = a / (4 * (1 - c) * s * (1 - s))
        d3 = np.log(s / (1 - s)) + a3 * d / a
        if spec.a_prior is not None:  # the LogNormal prior needs positive slopes
            a3 = np.clip(a3, 0.2, 5.0)
            d3 = np.log(s / (1 - s)) + a3 * d / np.where(a == 0, 1.0, a)
        return spec.contract(a3, d3, c)
