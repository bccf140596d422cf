"""Rasch, 1PL, 2PL and 3PL by marginal maximum likelihood (EM over a quadrature grid).

The convention is mirt's: P(x = 1 | θ) = c + (1 - c) / (1 + exp(-(a θ + d))), b = -d / a,
θ ~ N(0, 1). Fits follow Bock & Aitkin (1981): EM over a fixed grid (61 equally spaced
nodes on [-6, 6] by default), accelerated by SQUAREM and finished with Newton steps on the
exact marginal log-likelihood; large data take quasi-Newton steps with the Hessian of a
subsample instead (see ``_fitting``). Standard errors come from the inverse of the exact
observed information (Louis, 1982), b and c by the delta method.

The LSAT6 and LSAT7 fits match R's ltm and mirt to the printed digits; see tests/irt.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from edutools._blas import blas_threads_for
from edutools.errors import CalibrationError
from edutools.irt._base import EstimatorMixin
from edutools.irt._data import CalibrationWarning, ResponseData, prepare_responses
from edutools.irt._em import run_em
from edutools.irt._fitting import item_rest_stats, maximise, subsample
from edutools.irt._louis import Derivatives
from edutools.irt._models import ModelName, ModelSpec
from edutools.irt._quadrature import Quadrature, normal_grid
from edutools.irt.result import Calibration

__all__ = ["OnePL", "Rasch", "ThreePL", "TwoPL", "calibrate", "lr_test"]

Precision = Literal["auto", "double", "single"]

# Above this many pattern × column cells the matrix products run in float32: the
# parameter estimates move by far less than their standard errors (checked in
# tests/irt/test_estimators.py) while time and memory halve.
_SINGLE_ABOVE = 1_000_000
# Up to about 4e6 pattern x item cells one BLAS thread is as fast and steadier than two;
# above it (measured on 2 cores: 5e6 cells 0.64 s vs 0.55 s) every thread pays.
_ONE_THREAD_BELOW = 4_000_000
# The 3PL's 2PL start values come from at most this many persons.
_START_SUBSAMPLE = 20_000


class _MML(EstimatorMixin):
    """Shared fitting code; subclasses fix the model."""

    model: ClassVar[ModelName]

    def __init__(
        self,
        *,
        n_quadrature: int = 61,
        theta_limit: float = 6.0,
        max_iter: int = 2000,
        tol: float = 1e-6,
        precision: Precision = "auto",
        compute_se: bool = True,
    ) -> None:
        self.n_quadrature = n_quadrature
        self.theta_limit = theta_limit
        self.max_iter = max_iter
        self.tol = tol
        self.precision = precision
        self.compute_se = compute_se

    def _spec(self, n_items: int) -> ModelSpec:
        return ModelSpec(self.model, n_items)

    def _check_params(self) -> None:
        if self.precision not in ("auto", "double", "single"):
            raise CalibrationError(
                f"precision={self.precision!r}; expected 'auto', 'double' or 'single'"
            )
        if not (isinstance(self.max_iter, int) and self.max_iter >= 1):
            raise CalibrationError(f"max_iter={self.max_iter!r}; expected a positive integer")
        if not (isinstance(self.tol, float | int) and 0 < self.tol < 1):
            raise CalibrationError(
                f"tol={self.tol!r}; expected a number between 0 and 1, e.g. 1e-6"
            )
        if self.n_quadrature < 41:
            warnings.warn(
                f"n_quadrature={self.n_quadrature} is below 41; estimates of long tests may be biased",
                CalibrationWarning,
                stacklevel=3,
            )

    def fit(self, X: Any, y: None = None) -> _MML:
        """Calibrate the items of ``X`` (persons × items, 0/1, NaN = missing); returns self.

        Items without variance are excluded with a :class:`CalibrationWarning` and listed
        in ``excluded_``.
        """
        quad = normal_grid(self.n_quadrature, self.theta_limit)
        self._check_params()
        data = prepare_responses(X)
        with blas_threads_for(
            data.n_patterns * data.design.shape[1], single_below=_ONE_THREAD_BELOW
        ):
            cal = self._fit_data(data, quad)
        self._set_fitted(cal)
        return self

    def _fit_data(
        self, data: ResponseData, quad: Quadrature, *, max_iter: int | None = None
    ) -> Calibration:
        spec = self._spec(data.n_items)
        max_iter = self.max_iter if max_iter is None else max_iter
        cells = data.n_patterns * data.design.shape[1]
        if self.precision == "single" or (self.precision == "auto" and cells > _SINGLE_ABOVE):
            dtype: type[np.floating] = np.float32
        else:
            dtype = np.float64
        p, rpb = item_rest_stats(data)
        phi0 = self._start(data, quad, spec, p, rpb, dtype)
        fit = maximise(data, spec, quad, phi0, tol=self.tol, max_iter=max_iter, dtype=dtype)
        phi, deriv, n_iter, converged = fit.phi, fit.deriv, fit.n_iter, fit.converged
        notes: list[str] = [f"{k} excluded: {v}" for k, v in data.excluded.items()]
        notes.append(f"optimum reached by {fit.method} ({n_iter} E-steps over all persons)")
        if not converged:
            warnings.warn(
                f"{self.model} fit ({fit.method}) did not converge in {max_iter} iterations; "
                "raise max_iter or loosen tol",
                CalibrationWarning,
                stacklevel=3,
            )
            notes.append(f"stopped after {n_iter} E-steps without converging")
        a, d, _ = spec.expand(phi)
        with np.errstate(divide="ignore", invalid="ignore"):
            wild = [
                i
                for i, ai, bi in zip(data.items, a, -d / a, strict=True)
                if abs(ai) > 10 or not abs(bi) <= 10
            ]
        if wild:
            warnings.warn(
                f"item(s) {', '.join(wild)} have extreme estimates (|a| > 10 or |b| > 10): the data "
                "hardly inform them; check their scoring, or use a model with fewer parameters",
                CalibrationWarning,
                stacklevel=3,
            )
            notes.append(f"extreme estimates (|a| > 10 or |b| > 10): {', '.join(wild)}")
        if self.compute_se:
            cov = self._covariance(deriv, spec, notes)
        else:
            cov = np.full((spec.n_params,) * 2, np.nan)
        return self._calibration(
            data, spec, quad, phi, cov, deriv.loglik, converged, n_iter, notes, p
        )

    def _start(
        self,
        data: ResponseData,
        quad: Quadrature,
        spec: ModelSpec,
        p: np.ndarray,
        rpb: np.ndarray,
        dtype: type[np.floating],
    ) -> np.ndarray:
        return spec.start(p, rpb)

    @staticmethod
    def _covariance(deriv: Derivatives, spec: ModelSpec, notes: list[str]) -> np.ndarray:
        info = -deriv.hess
        try:
            np.linalg.cholesky(info)
            return np.linalg.inv(info)
        except np.linalg.LinAlgError:
            warnings.warn(
                f"the observed information of the {spec.name} model is not positive definite "
                "(an item may be unidentified); standard errors are NaN",
                CalibrationWarning,
                stacklevel=4,
            )
            notes.append("observed information not positive definite: no standard errors")
            return np.full_like(info, np.nan)

    def _calibration(
        self,
        data: ResponseData,
        spec: ModelSpec,
        quad: Quadrature,
        phi: np.ndarray,
        cov: np.ndarray,
        loglik: float,
        converged: bool,
        n_iter: int,
        notes: list[str],
        p_values: np.ndarray,
    ) -> Calibration:
        a, d, c = spec.expand(phi)
        se = standard_errors(spec, phi, cov, data.items)
        labels = spec.labels(data.items)
        return Calibration(
            model=spec.name,
            items=tuple(data.items),
            a=a,
            d=d,
            c=c,
            se=se,
            cov=pd.DataFrame(cov, index=labels, columns=labels),
            loglik=float(loglik),
            n_params=spec.n_params,
            n_persons=data.n_persons,
            quadrature=quad,
            converged=bool(converged),
            n_iter=int(n_iter),
            excluded=dict(data.excluded),
            notes=tuple(notes),
            c_prior=spec.c_prior,
            p_values=p_values,
        )

    def _set_fitted(self, cal: Calibration) -> None:
        idx = pd.Index(cal.items, name="item")
        self.calibration_ = cal
        self.items_ = list(cal.items)
        self.a_ = pd.Series(cal.a, index=idx, name="a")
        self.b_ = pd.Series(cal.b, index=idx, name="b")
        self.d_ = pd.Series(cal.d, index=idx, name="d")
        self.c_ = pd.Series(
            cal.guessing if cal.c is not None else np.zeros(cal.n_items), index=idx, name="c"
        )
        self.se_ = cal.se
        self.cov_ = cal.cov
        self.loglik_ = cal.loglik
        self.aic_ = cal.aic
        self.bic_ = cal.bic
        self.n_iter_ = cal.n_iter
        self.converged_ = cal.converged
        self.excluded_ = dict(cal.excluded)
        self.notes_ = list(cal.notes)

    def summary(self) -> pd.DataFrame:
        """One row per item: a, b, d, c with standard errors."""
        if not hasattr(self, "calibration_"):
            raise CalibrationError(
                f"this {type(self).__name__} is not fitted yet; call fit(X) first"
            )
        return self.calibration_.summary()


def standard_errors(
    spec: ModelSpec, phi: np.ndarray, cov: np.ndarray, items: list[str]
) -> pd.DataFrame:
    """SEs of a, b, d, c per item from the covariance of phi (b = -d/a and c by the delta method).

    Var(b) = ∇bᵀ Σ ∇b with ∇b = (d / a², -1 / a) over (a, d); SE(c) = c (1 - c) SE(logit c).
    """
    J = spec.n_items
    a, d, c = spec.expand(phi)
    T = spec.transform()
    full = T @ cov @ T.T
    var_a, var_d = np.diag(full)[:J], np.diag(full)[J : 2 * J]
    cov_ad = full[np.arange(J), J + np.arange(J)]
    if spec.name == "rasch":
        var_a = np.full(J, np.nan)
        var_b = var_d / a**2
    else:
        var_b = (d / a**2) ** 2 * var_a + (1 / a) ** 2 * var_d - 2 * (d / a**2) * (1 / a) * cov_ad
    se_c = np.full(J, np.nan)
    if c is not None:
        se_c = c * (1 - c) * np.sqrt(np.diag(full)[2 * J :])
    with np.errstate(invalid="ignore"):
        return pd.DataFrame(
            {"a": np.sqrt(var_a), "b": np.sqrt(var_b), "d": np.sqrt(var_d), "c": se_c},
            index=pd.Index(items, name="item"),
        )


class Rasch(_MML):
    """Rasch model: every slope fixed at 1, θ ~ N(0, 1); intercepts d by MML.

    Parameters
    ----------
    n_quadrature : int
        Quadrature nodes (default 61, at least 41 recommended).
    theta_limit : float
        The grid spans [-theta_limit, theta_limit].
    max_iter : int
        Maximum number of E-steps.
    tol : float
        Convergence: the largest parameter change of an EM step and the relative change of
        the log-likelihood both below ``tol``.
    precision : {"auto", "double", "single"}
        Floating-point precision of the E-step products; "auto" uses single precision only
        for large data.
    compute_se : bool
        Compute standard errors from the observed information.

    Example
    -------
    >>> import pandas as pd
    >>> X = pd.read_csv("tests/data/lsat6.csv")  # doctest: +SKIP
    >>> Rasch().fit(X).b_.round(3).tolist()  # doctest: +SKIP
    [-2.872, -1.063, -0.258, -1.388, -2.219]
    """

    model: ClassVar[ModelName] = "rasch"


class OnePL(_MML):
    """One-parameter logistic model: one common slope a for all items, estimated; θ ~ N(0, 1).

    Parameters are those of :class:`Rasch`.

    Example
    -------
    >>> OnePL().fit(X).a_.iloc[0]  # doctest: +SKIP
    0.7551
    """

    model: ClassVar[ModelName] = "1pl"


class TwoPL(_MML):
    """Two-parameter logistic model: a slope and an intercept per item.

    Parameters are those of :class:`Rasch`.

    Example
    -------
    >>> m = TwoPL(n_quadrature=61).fit(X)  # doctest: +SKIP
    >>> m.summary()[["item", "a", "se_a", "b", "se_b"]]  # doctest: +SKIP
    """

    model: ClassVar[ModelName] = "2pl"


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


_MODELS: dict[str, type[_MML]] = {"rasch": Rasch, "1pl": OnePL, "2pl": TwoPL, "3pl": ThreePL}
MODEL_NAMES = ("rasch", "1pl", "2pl", "3pl", "pcm", "gpcm", "grm", "rsm")
CML_MODELS = ("rasch", "pcm", "rsm")


def calibrate(data: Any, model: str = "2pl", method: str = "mml", **kwargs: Any) -> Any:
    """Fit ``model`` to ``data`` by ``method`` and return its calibration.

    Parameters
    ----------
    data : DataFrame or array
        Persons × items: 0/1 for the dichotomous models, scores 0..K_j for the polytomous
        ones (NaN = missing).
    model : str
        rasch, 1pl, 2pl, 3pl (:class:`Calibration`) or pcm, gpcm, grm, rsm
        (:class:`~edutools.irt.result_poly.PolyCalibration`), in any case.
    method : {"mml", "cml"}
        Marginal ML, or conditional ML for the Rasch-family models rasch, pcm and rsm.
    **kwargs
        Hyper-parameters of the estimator.

    Example
    -------
    >>> cal = calibrate(X, "2PL")  # doctest: +SKIP
    >>> calibrate(X, "pcm", method="cml").summary()  # doctest: +SKIP
    """
    name = str(model).strip().lower()
    how = str(method).strip().lower()
    if name not in MODEL_NAMES:
        raise CalibrationError(
            f"unknown model {model!r}; expected one of {', '.join(MODEL_NAMES)} (any case)"
        )
    if how not in ("mml", "cml"):
        raise CalibrationError(f"unknown method {method!r}; expected 'mml' or 'cml'")
    if how == "cml":
        if name not in CML_MODELS:
            raise CalibrationError(
                f"conditional ML needs a Rasch-family model (rasch, pcm or rsm), not {name}; "
                "use --method mml for it"
            )
        from edutools.irt import cml

        cml_est = {"rasch": cml.RaschCML, "pcm": cml.PCMCML, "rsm": cml.RSMCML}[name]
        return cml_est(**kwargs).fit(data).calibration_
    if name in _MODELS:
        return _MODELS[name](**kwargs).fit(data).calibration_
    from edutools.irt import polytomous

    poly_est = {
        "pcm": polytomous.PCM,
        "gpcm": polytomous.GPCM,
        "grm": polytomous.GRM,
        "rsm": polytomous.RSM,
    }[name]
    return poly_est(**kwargs).fit(data).calibration_


_NESTING = {"rasch": 0, "1pl": 1, "2pl": 2, "3pl": 3}


def lr_test(restricted: Any, general: Any) -> pd.DataFrame:
    """Likelihood-ratio test of a restricted model against a more general one fitted to the same data.

    G² = 2 (loglik_general - loglik_restricted), referred to χ² with the difference in the
    number of parameters as degrees of freedom. Valid nestings: rasch ⊂ 1pl ⊂ 2pl. The
    3PL is refused: c = 0 lies on the boundary and its prior makes the fit a posterior mode.

    Parameters
    ----------
    restricted, general : fitted estimator or Calibration

    Returns
    -------
    DataFrame
        One row: model_restricted, model_general, loglik_restricted, loglik_general,
        statistic, df, p_value, aic and bic of both.

    Example
    -------
    >>> lr_test(Rasch().fit(X), TwoPL().fit(X))  # doctest: +SKIP
    """
    r = getattr(restricted, "calibration_", restricted)
    g = getattr(general, "calibration_", general)
    for cal in (r, g):
        if not isinstance(cal, Calibration):
            raise CalibrationError(
                f"lr_test needs fitted estimators or Calibrations, got {type(cal).__name__}"
            )
    if "3pl" in (r.model, g.model):
        raise CalibrationError(
            "lr_test does not support the 3pl: c = 0 is on the boundary and c has a prior"
        )
    if _NESTING.get(r.model, -1) >= _NESTING.get(g.model, -1):
        raise CalibrationError(
            f"{r.model} is not nested in {g.model}; pass the restricted model first (rasch < 1pl < 2pl)"
        )
    same = r.items == g.items and r.n_persons == g.n_persons
    if not same or not np.allclose(r.p_values, g.p_values, rtol=0, atol=1e-12):
        raise CalibrationError(
            "the two models were fitted to different data; fit both to the same responses"
        )
    stat = max(0.0, 2.0 * (g.loglik - r.loglik))
    df = g.n_params - r.n_params
    return pd.DataFrame(
        [
            {
                "model_restricted": r.model,
                "model_general": g.model,
                "loglik_restricted": r.loglik,
                "loglik_general": g.loglik,
                "statistic": stat,
                "df": df,
                "p_value": float(stats.chi2.sf(stat, df)),
                "aic_restricted": r.aic,
                "aic_general": g.aic,
                "bic_restricted": r.bic,
                "bic_general": g.bic,
            }
        ]
    )
