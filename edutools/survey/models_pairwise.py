"""Study 1: Bradley–Terry / logistic preference on style-feature differences.

A user compares responses A and B. With standardised style features ``x`` (z-scores over all
responses) the model is::

    logit P(A preferred) = alpha + sum_f (beta_f + sum_p gamma_fp [population = p]
                                            + sum_t delta_ft z_t) * (x_Af - x_Bf)

``alpha`` is a position bias (A shown first). Without population or trait terms this is the
Bradley–Terry model with item strengths ``beta' x`` (Bradley & Terry, 1952; with covariates as in
Springall, 1973, Applied Statistics 22). SEs are cluster-robust by participant, CIs also come
from a participant-level (cluster) bootstrap, p-values are Holm or FDR adjusted across terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from edutools._blas import single_threaded
from edutools.errors import DataError, StudyError
from edutools.glmm.formula import build_model_frame, parse_formula
from edutools.glmm.logit import auc, cluster_cov, fit_logit
from edutools.survey.data import StudyExport
from edutools.survey.models_common import (
    adjust_pvalues,
    attribute_table,
    included_participants,
    trait_table,
    zscore,
)

__all__ = ["PreferenceResult", "fit_preference", "pairwise_trials"]


def pairwise_trials(
    export: StudyExport,
    features: list[str] | None = None,
    traits: list[str] | None = None,
    ties: Literal["drop", "half"] = "drop",
    attributes: dict[str, list[str] | None] | None = None,
) -> pd.DataFrame:
    """One row per choice: the outcome, standardised feature differences A − B and z-scored traits.

    Parameters
    ----------
    export : StudyExport
        A ``pairwise`` export (see :mod:`edutools.survey.data`).
    features : list of str, optional
        Style features to use (default: all in ``styles.csv``). Each is z-scored over all responses.
    traits : list of str, optional
        Traits to attach, z-scored over the included participants (default: all in ``traits.csv``).
    ties : {"drop", "half"}
        ``drop`` removes ties; ``half`` counts a tie as half a win for each side (two rows of
        weight 0.5).
    attributes : dict, optional
        User attributes from ``attributes.csv`` to attach: name -> levels (reference first) or
        None (see :func:`~edutools.survey.models_common.attribute_table`). Default: all.

    Returns
    -------
    pandas.DataFrame
        Columns ``participant_id, population, prompt_id, chose_a, weight``, one column per
        feature (the difference), one per trait and one per attribute. Participants who
        failed the attention check are left out.

    Example
    -------
    >>> from edutools.survey.simulate import simulate_pairwise
    >>> d = pairwise_trials(simulate_pairwise(n_participants=10, seed=1).export)
    >>> d[["chose_a", "certainty", "trust"]].shape[1]
    3
    """
    if export.design != "pairwise":
        raise StudyError(
            f"the export's design is '{export.design}'; pairwise_trials needs a pairwise export"
        )
    if ties not in ("drop", "half"):
        raise StudyError(f"ties '{ties}' is unknown; expected 'drop' or 'half'")
    wide = export.styles.pivot(index="response_id", columns="feature", values="value")
    use = list(wide.columns) if features is None else features
    for f in use:
        if f not in wide.columns:
            raise DataError(
                f"styles.csv: no feature '{f}'; features in the export: {', '.join(map(str, wide.columns))}"
            )
    z = pd.DataFrame({f: zscore(wide[f], f) for f in use})
    keep = included_participants(export)
    trials = export.trials[export.trials["participant_id"].isin(keep)]
    if trials.empty:
        raise StudyError(
            "no trials left after excluding participants who failed the attention check"
        )
    people = export.participants.set_index("participant_id")
    out = pd.DataFrame(
        {
            "participant_id": trials["participant_id"].to_numpy(),
            "population": people.loc[trials["participant_id"], "population"]
            .replace("", "unspecified")
            .to_numpy(),
            "prompt_id": trials["prompt_id"].to_numpy(),
            "choice": trials["choice"].to_numpy(),
        }
    )
    diff = z.loc[trials["response_a"]].to_numpy() - z.loc[trials["response_b"]].to_numpy()
    for j, f in enumerate(use):
        out[f] = diff[:, j]
    ztraits = trait_table(export, sorted(set(out["participant_id"])), traits)
    for t in ztraits.columns:
        out[t] = ztraits.loc[out["participant_id"], t].to_numpy()
    attrs = attribute_table(export, sorted(set(out["participant_id"])), attributes)
    for a in attrs.columns:
        values = attrs.loc[out["participant_id"], a]
        out[a] = (
            pd.Categorical(values, categories=values.cat.categories)
            if isinstance(values.dtype, pd.CategoricalDtype)
            else values.to_numpy()
        )
    decided = out[out["choice"] != "tie"].assign(
        chose_a=lambda d: (d["choice"] == "A").astype(int), weight=1.0
    )
    if ties == "half":
        tied = out[out["choice"] == "tie"]
        halves = [tied.assign(chose_a=v, weight=0.5) for v in (1, 0)]
        decided = pd.concat([decided, *halves], ignore_index=True)
    return decided.drop(columns="choice").reset_index(drop=True)


@dataclass(frozen=True)
class PreferenceResult:
    """A fitted preference model.

    Attributes
    ----------
    coefficients : pandas.DataFrame
        ``term, estimate, se, z, p, ci_low, ci_high, boot_low, boot_high, p_adjusted,
        odds_ratio`` (SEs clustered by participant; Wald and bootstrap CIs).
    by_population : pandas.DataFrame
        The same model without population terms, fitted within each population.
    simple_slopes : pandas.DataFrame
        Each feature's effect at moderator values −1, 0 and +1 SD.
    auc, auc_cv : float
        In-sample AUC and AUC of out-of-fold predictions (folds by participant).
    """

    formula: str
    coefficients: pd.DataFrame
    cov: pd.DataFrame
    by_population: pd.DataFrame
    simple_slopes: pd.DataFrame
    auc: float
    auc_cv: float
    n_trials: int
    n_participants: int
    n_boot: int
    correction: str
    alpha: float


def _q(name: str) -> str:
    return f"`{name}`"


def _formula(
    dv: str, features: list[str], groups: list[str], moderators: list[str], position_bias: bool
) -> str:
    terms = ["1" if position_bias else "0"]
    terms += [_q(f) for f in features]
    for f in features:
        terms += [f"{_q(f)}:{_q(g)}" for g in groups]
        terms += [f"{_q(f)}:{_q(m)}" for m in moderators]
    return f"{dv} ~ " + " + ".join(terms)


def _cluster_bootstrap(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    groups: np.ndarray,
    beta: np.ndarray,
    n_boot: int,
    seed: int,
) -> np.ndarray:
    """Refit on participants resampled with replacement; returns the successful draws."""
    rng = np.random.default_rng(seed)
    uniq, codes = np.unique(groups, return_inverse=True)
    rows_of = [np.flatnonzero(codes == g) for g in range(len(uniq))]
    draws = []
    for _ in range(n_boot):
        pick = rng.integers(0, len(uniq), len(uniq))
        idx = np.concatenate([rows_of[g] for g in pick])
        try:
            draws.append(fit_logit(X[idx], y[idx], w[idx], start=beta, tol=1e-8))
        except StudyError:
            continue  # a resample with separation has no finite estimate
    return np.array(draws).reshape(-1, len(beta))


def _cv_auc(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, groups: np.ndarray, folds: int, seed: int
) -> float:
    uniq, codes = np.unique(groups, return_inverse=True)
    if len(uniq) < folds or folds < 2:
        return float("nan")
    fold_of = np.random.default_rng(seed).permutation(len(uniq)) % folds
    pred = np.empty(len(y))
    for k in range(folds):
        test = fold_of[codes] == k
        try:
            beta = fit_logit(X[~test], y[~test], w[~test])
        except StudyError:
            return float("nan")
        pred[test] = expit(X[test] @ beta)
    return auc(y, pred, w)


@single_threaded
def fit_preference(
    data: pd.DataFrame,
    features: list[str],
    *,
    dv: str = "chose_a",
    subject: str = "participant_id",
    group: str | list[str] | None = None,
    moderators: list[str] | tuple[str, ...] = (),
    weight: str | None = "weight",
    position_bias: bool = True,
    n_boot: int = 1000,
    correction: str = "holm",
    alpha: float = 0.05,
    cv_folds: int = 5,
    seed: int = 0,
) -> PreferenceResult:
    """Fit the Bradley–Terry / logistic preference model on style-feature differences.

    ``logit P(A) = alpha + sum_f (beta_f + gamma_f,group + delta_f' z) (x_Af - x_Bf)``; see the
    module docstring. Matches the Bradley–Terry MLE of ``choix`` when the features are
    response indicators, and statsmodels' ``Logit(...).fit(cov_type="cluster")`` SEs.

    Parameters
    ----------
    data : pandas.DataFrame
        From :func:`pairwise_trials`: outcome ``dv`` (1 = A chosen) and feature differences.
    features : list of str
        Feature-difference columns.
    dv, subject : str
        Outcome and participant columns (SEs and bootstrap are clustered by ``subject``).
    group : str or list of str, optional
        Categorical population columns; each adds feature × population interactions
        (treatment coded: the first category of a pandas Categorical, else the first level in
        sorted order, is the reference). The model is also fitted within each level of the
        first one.
    moderators : list of str
        Numeric participant-level columns (z-scored traits) that moderate each feature.
    weight : str, optional
        Row weights (``half`` ties have 0.5); None for unit weights.
    position_bias : bool
        Estimate an intercept (a preference for the response shown as A).
    n_boot : int
        Cluster-bootstrap replications (0 skips the bootstrap).
    correction : {"holm", "fdr_bh", "none"}
        Multiple-comparison adjustment across all terms except the intercept.
    alpha : float
        1 − confidence level.
    cv_folds : int
        Folds (by participant) for the cross-validated AUC.
    seed : int
        Seeds the bootstrap and the folds.

    Returns
    -------
    PreferenceResult

    Example
    -------
    >>> from edutools.survey.simulate import simulate_pairwise
    >>> sim = simulate_pairwise(n_participants=80, seed=3)
    >>> d = pairwise_trials(sim.export)
    >>> fit = fit_preference(d, ["certainty", "verbosity"], n_boot=0)
    >>> fit.coefficients["term"].tolist()[:2]
    ['(Intercept)', 'certainty']
    """
    moderators = list(moderators)
    groups = [group] if isinstance(group, str) else list(group or [])
    for col in [
        dv,
        subject,
        *features,
        *moderators,
        *groups,
        *([weight] if weight else []),
    ]:
        if col not in data.columns:
            raise DataError(
                f"no column '{col}' in the preference data; columns: {', '.join(map(str, data.columns))}"
            )
    if not features:
        raise StudyError("no style features given; name at least one feature column")
    formula = _formula(dv, features, groups, moderators, position_bias)
    mf = build_model_frame(parse_formula(formula), data, label="preference data")
    if mf.n_dropped:
        raise DataError(
            f"preference data: {mf.n_dropped} rows have missing values in {', '.join([dv, *features])}"
        )
    X, y = mf.X, mf.y
    w = data[weight].to_numpy(float) if weight else np.ones(len(y))
    clusters = data[subject].to_numpy()
    names = list(mf.columns)
    beta = fit_logit(X, y, w)
    V = cluster_cov(X, y, beta, clusters, w)
    se = np.sqrt(np.diag(V))
    zcrit = stats.norm.ppf(1 - alpha / 2)
    table = pd.DataFrame({"term": names, "estimate": beta, "se": se})
    table["z"] = beta / se
    table["p"] = 2 * stats.norm.sf(np.abs(table["z"]))
    table["ci_low"], table["ci_high"] = beta - zcrit * se, beta + zcrit * se
    draws = (
        _cluster_bootstrap(X, y, w, clusters, beta, n_boot, seed)
        if n_boot > 0
        else np.empty((0, len(beta)))
    )
    if len(draws) >= 20:
        table["boot_low"] = np.quantile(draws, alpha / 2, axis=0)
        table["boot_high"] = np.quantile(draws, 1 - alpha / 2, axis=0)
    else:
        table["boot_low"] = table["boot_high"] = np.nan
    tested = table["term"] != "(Intercept)"
    table["p_adjusted"] = np.nan
    table.loc[tested, "p_adjusted"] = adjust_pvalues(table.loc[tested, "p"], correction)
    table["odds_ratio"] = np.exp(beta)
    cov = pd.DataFrame(V, index=names, columns=names)

    slopes = []
    for m in moderators:
        for f in features:
            inter = f"{f}:{m}"
            for at in (-1.0, 0.0, 1.0):
                c = np.zeros(len(names))
                c[names.index(f)] = 1.0
                c[names.index(inter)] = at
                est, s = float(c @ beta), float(np.sqrt(c @ V @ c))
                slopes.append(
                    {
                        "feature": f,
                        "moderator": m,
                        "at_sd": at,
                        "slope": est,
                        "se": s,
                        "ci_low": est - zcrit * s,
                        "ci_high": est + zcrit * s,
                    }
                )
    by_pop = []
    if groups:
        for level, part in data.groupby(groups[0], sort=True, observed=True):
            sub = _formula(dv, features, [], moderators, position_bias)
            mfp = build_model_frame(parse_formula(sub), part, label=f"population '{level}'")
            wp = part[weight].to_numpy(float) if weight else np.ones(len(part))
            try:
                bp = fit_logit(mfp.X, mfp.y, wp)
                Vp = cluster_cov(mfp.X, mfp.y, bp, part[subject].to_numpy(), wp)
            except (StudyError, np.linalg.LinAlgError, ZeroDivisionError):
                continue  # too few participants in this population for its own fit
            sp = np.sqrt(np.diag(Vp))
            for term, b, s in zip(mfp.columns, bp, sp, strict=True):
                by_pop.append(
                    {
                        "population": level,
                        "term": term,
                        "estimate": b,
                        "se": s,
                        "ci_low": b - zcrit * s,
                        "ci_high": b + zcrit * s,
                        "n_trials": len(part),
                    }
                )
    return PreferenceResult(
        formula=formula.replace("`", ""),
        coefficients=table,
        cov=cov,
        by_population=pd.DataFrame(
            by_pop,
            columns=["population", "term", "estimate", "se", "ci_low", "ci_high", "n_trials"],
        ),
        simple_slopes=pd.DataFrame(
            slopes, columns=["feature", "moderator", "at_sd", "slope", "se", "ci_low", "ci_high"]
        ),
        auc=auc(y, expit(X @ beta), w),
        auc_cv=_cv_auc(X, y, w, clusters, cv_folds, seed),
        n_trials=len(data),
        n_participants=int(pd.Series(clusters).nunique()),
        n_boot=len(draws),
        correction=correction,
        alpha=alpha,
    )
