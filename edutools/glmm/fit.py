"""Maximum-likelihood binomial GLMMs with random intercepts, fitted by the Laplace approximation.

``fit_glmer("y ~ x1 * x2 + (1 | participant) + (1 | item)", data)`` fits what
``lme4::glmer(..., family = binomial, nAGQ = 1)`` fits and reports the same numbers: fixed
effects and their standard errors (from the finite-difference Hessian of the deviance over the
variance and fixed-effect parameters, as lme4's ``vcov`` does since 1.1-8), random-intercept SDs
and the Laplace log-likelihood. See ``edutools.glmm.laplace`` for the objective.

Reference: Bates, Mächler, Bolker & Walker (2015), Fitting linear mixed-effects models using
lme4, J. Stat. Softw. 67(1); lme4's ``vignette("lmer")`` and ``?glmer`` for the GLMM extension.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from edutools._blas import single_threaded
from edutools.errors import DataError, StudyError
from edutools.glmm.formula import build_model_frame, parse_formula
from edutools.glmm.laplace import RandomInterceptGLMM

__all__ = ["GLMMResult", "fit_glmer"]


@dataclass(frozen=True)
class GLMMResult:
    """A fitted binomial GLMM; the attributes mirror lme4's ``summary(glmer(...))``.

    Attributes
    ----------
    params, bse : pandas.Series
        Fixed effects and their standard errors, indexed by lme4's term names.
    cov_params : pandas.DataFrame
        Covariance matrix of the fixed effects.
    random_effects_sd : pandas.Series
        SD of each random intercept, indexed by grouping factor (``participant``, ``item``).
    random_effects : dict of pandas.Series
        Conditional modes (BLUPs) of each random intercept, by level.
    loglik, aic, bic : float
        Laplace log-likelihood and the information criteria (parameters = fixed effects + SDs).
    converged : bool
        The optimiser met its tolerance and the largest absolute gradient is below 1e-3.
    """

    formula: str
    params: pd.Series
    bse: pd.Series
    cov_params: pd.DataFrame
    random_effects_sd: pd.Series
    random_effects: dict[str, pd.Series]
    loglik: float
    aic: float
    bic: float
    n_obs: int
    n_groups: dict[str, int]
    n_dropped: int
    converged: bool
    n_iterations: int
    max_abs_gradient: float
    singular: bool
    se_method: str
    message: str = ""
    fitted: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)

    @property
    def tvalues(self) -> pd.Series:
        """Wald z statistics."""
        return self.params / self.bse

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided Wald p-values, as in lme4's summary."""
        return pd.Series(2.0 * stats.norm.sf(np.abs(self.tvalues)), index=self.params.index)

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald confidence intervals ``estimate ± z_(1-alpha/2) * se``."""
        z = stats.norm.ppf(1.0 - alpha / 2.0)
        return pd.DataFrame({"low": self.params - z * self.bse, "high": self.params + z * self.bse})

    def contrast(self, weights: dict[str, float]) -> tuple[float, float]:
        """Estimate and SE of a linear combination ``sum_j weights[j] * beta_j`` of fixed effects."""
        unknown = [k for k in weights if k not in self.params.index]
        if unknown:
            raise StudyError(
                f"unknown term '{unknown[0]}'; terms are: {', '.join(self.params.index)}"
            )
        c = pd.Series(0.0, index=self.params.index)
        for k, v in weights.items():
            c[k] = v
        est = float(c @ self.params)
        se = float(np.sqrt(c @ self.cov_params @ c))
        return est, se

    def summary(self, alpha: float = 0.05) -> pd.DataFrame:
        """Tidy table: term, estimate, se, z, p, ci_low, ci_high."""
        ci = self.conf_int(alpha)
        return pd.DataFrame(
            {
                "term": self.params.index,
                "estimate": self.params.to_numpy(),
                "se": self.bse.to_numpy(),
                "z": self.tvalues.to_numpy(),
                "p": self.pvalues.to_numpy(),
                "ci_low": ci["low"].to_numpy(),
                "ci_high": ci["high"].to_numpy(),
            }
        )


def _glm_start(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Logistic regression by IRLS (the start of the fixed effects); a ridge keeps it finite."""
    beta = np.zeros(X.shape[1])
    for _ in range(25):
        mu = 1.0 / (1.0 + np.exp(-(X @ beta)))
        w = np.clip(mu * (1 - mu), 1e-10, None)
        step = np.linalg.solve(X.T @ (w[:, None] * X) + 1e-8 * np.eye(X.shape[1]), X.T @ (y - mu))
        beta += step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


def _check_design(X: np.ndarray, columns: tuple[str, ...], label: str) -> None:
    rank = np.linalg.matrix_rank(X)
    if rank == X.shape[1]:
        return
    for j in range(1, X.shape[1] + 1):
        if np.linalg.matrix_rank(X[:, :j]) < j:
            raise DataError(
                f"{label}: the fixed-effect column '{columns[j - 1]}' is collinear with earlier columns; "
                "drop it from the formula or check that every factor level occurs"
            )


def _hessian(model: RandomInterceptGLMM, phi: np.ndarray) -> np.ndarray:
    """Central differences of the exact gradient (lme4 differences the deviance itself)."""
    k = len(phi)
    H = np.empty((k, k))
    for j in range(k):
        h = 1e-4 * max(1.0, abs(phi[j]))
        up, down = phi.copy(), phi.copy()
        up[j] += h
        down[j] -= h
        H[:, j] = (model.evaluate(up).gradient - model.evaluate(down).gradient) / (2.0 * h)
    model.evaluate(phi, gradient=False)  # leave the warm start at the optimum
    return (H + H.T) / 2.0


@single_threaded
def fit_glmer(
    formula: str, data: pd.DataFrame, *, tol: float = 1e-8, max_iter: int = 500
) -> GLMMResult:
    """Fit a binomial GLMM with random intercepts by maximum likelihood (Laplace approximation).

    The marginal likelihood is approximated at the conditional modes ``u_hat`` of the spherical
    random effects (Bates et al., 2015)::

        -2 log L(theta, beta) ~= -2 log p(y | u_hat) + |u_hat|^2 + log det(I + Lambda Z'WZ Lambda)

    and minimised over the random-intercept SDs ``theta >= 0`` and the fixed effects ``beta``
    with L-BFGS-B and the exact gradient. Matches R's
    ``lme4::glmer(formula, data, family = binomial)`` (tested to 0.01 on fixed effects, 5 % on
    SEs and 0.05 on the log-likelihood).

    Parameters
    ----------
    formula : str
        lme4 syntax with random intercepts only: ``"y ~ x1 * x2 + (1 | participant)"``,
        ``"y ~ x + (1 | participant) + (1 | item)"``. Character, categorical and boolean columns
        are treatment-coded factors (first level = reference, as R's ``factor`` would sort them).
    data : pandas.DataFrame
        One row per binary trial; rows with a missing value in a used column are dropped.
    tol : float
        Tolerance on the projected gradient of the deviance.
    max_iter : int
        Maximum optimiser iterations.

    Returns
    -------
    GLMMResult

    Example
    -------
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"g": np.repeat(np.arange(30), 20), "x": rng.normal(size=600)})
    >>> eta = 0.5 * df["x"] + rng.normal(size=30)[df["g"]]
    >>> df["y"] = (rng.random(600) < 1 / (1 + np.exp(-eta))).astype(int)
    >>> fit = fit_glmer("y ~ x + (1 | g)", df)
    >>> list(fit.params.index)
    ['(Intercept)', 'x']
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data is a {type(data).__name__}; expected a pandas DataFrame")
    parsed = parse_formula(formula)
    if not parsed.groups:
        raise StudyError(
            f"formula '{formula}': no random intercept; add one such as '+ (1 | participant)'"
        )
    mf = build_model_frame(parsed, data)
    _check_design(mf.X, mf.columns, "data")
    sizes = tuple(len(lv) for lv in mf.group_levels)
    model = RandomInterceptGLMM(mf.y, mf.X, mf.groups, sizes)
    K, p = len(sizes), mf.X.shape[1]
    phi0 = np.concatenate([np.ones(K), _glm_start(mf.y, mf.X)])

    def objective(phi: np.ndarray) -> tuple[float, np.ndarray]:
        state = model.evaluate(phi)
        return state.deviance, state.gradient

    bounds = [(0.0, None)] * K + [(None, None)] * p
    res = optimize.minimize(
        objective,
        phi0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": max_iter, "gtol": tol, "ftol": 1e-15, "maxcor": 20},
    )
    phi = res.x
    final = model.evaluate(phi)
    free = ~((np.arange(K + p) < K) & (phi <= 1e-6))
    max_grad = float(np.max(np.abs(final.gradient[free]))) if free.any() else 0.0
    singular = bool(np.any(phi[:K] < 1e-4))

    # lme4's vcov: the fixed-effect block of 2 * inverse Hessian of the deviance over (theta, beta)
    hess = _hessian(model, phi)
    se_method = "hessian"
    try:
        inv = np.linalg.inv(hess)
        V = 2.0 * inv[K:, K:]
        if np.min(np.linalg.eigvalsh((V + V.T) / 2.0)) <= 0:
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        # the Hessian is not positive definite (e.g. an SD on the boundary): lme4 falls back to RX
        V = np.linalg.inv(model.fixed_information(phi))
        se_method = "rx"
    V = (V + V.T) / 2.0

    names = list(mf.columns)
    params = pd.Series(phi[K:], index=names, name="estimate")
    bse = pd.Series(np.sqrt(np.diag(V)), index=names, name="se")
    u = final.u
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    re = {
        name: pd.Series(phi[k] * u[offsets[k] : offsets[k + 1]], index=list(levels), name=name)
        for k, (name, levels) in enumerate(zip(mf.group_names, mf.group_levels, strict=True))
    }
    loglik = -0.5 * final.deviance
    n_par = K + p
    converged = bool(res.success) and max_grad < 1e-3
    return GLMMResult(
        formula=formula,
        params=params,
        bse=bse,
        cov_params=pd.DataFrame(V, index=names, columns=names),
        random_effects_sd=pd.Series(phi[:K], index=list(mf.group_names), name="sd"),
        random_effects=re,
        loglik=loglik,
        aic=-2.0 * loglik + 2.0 * n_par,
        bic=-2.0 * loglik + np.log(len(mf.y)) * n_par,
        n_obs=len(mf.y),
        n_groups={name: s for name, s in zip(mf.group_names, sizes, strict=True)},
        n_dropped=mf.n_dropped,
        converged=converged,
        n_iterations=int(res.nit),
        max_abs_gradient=max_grad,
        singular=singular,
        se_method=se_method,
        message=str(res.message),
        fitted=final.mu,
    )
