"""Study 2: preferred styles from GSP chains, and how traits moderate them.

Three analyses of a ``gsp`` export:

1. :func:`preferred_points` — each participant's preferred point per dimension: their
   responses at nodes past the burn-in, summarised by the mean or the mode of a Gaussian KDE
   (the summary GSP uses for a node; Harrison et al., 2020).
2. :func:`fit_preferred_regression` — per dimension, OLS of the preferred point on z-scored
   traits with HC3 standard errors (MacKinnon & White, 1985; Long & Ervin, 2000) and t-based
   CIs; Holm or FDR adjustment across every trait coefficient.
3. :func:`fit_trial_glmm` — a trial-level binomial GLMM of choosing the upper half of the
   active dimension's range, with dimension × trait interactions, random intercepts for
   participant-by-dimension and base prompt, and simple slopes of each trait per dimension with
   predicted probabilities at ±1 SD (Aiken & West, 1991).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from scipy.special import expit

from edutools.errors import DataError, StudyError
from edutools.glmm import GLMMResult, fit_glmer
from edutools.survey.data import StudyExport
from edutools.survey.models_common import adjust_pvalues, included_participants, trait_table

__all__ = [
    "TrialModel",
    "fit_preferred_regression",
    "fit_trial_glmm",
    "gsp_trials",
    "preferred_points",
]


def gsp_trials(export: StudyExport, traits: list[str] | None = None) -> pd.DataFrame:
    """GSP trials of the included participants with their z-scored traits attached.

    Parameters
    ----------
    export : StudyExport
        A ``gsp`` export.
    traits : list of str, optional
        Traits to attach (default: every trait in ``traits.csv``), z-scored over the included
        participants who have trials.

    Returns
    -------
    pandas.DataFrame
        ``trials.csv`` columns plus one column per trait.

    Example
    -------
    >>> from edutools.survey.simulate_gsp import simulate_gsp
    >>> d = gsp_trials(simulate_gsp(n_participants=5, seed=1).export)
    >>> {"trust", "openness"} <= set(d.columns)
    True
    """
    if export.design != "gsp":
        raise StudyError(f"the export's design is '{export.design}'; gsp_trials needs a gsp export")
    keep = set(included_participants(export))
    trials = export.trials[export.trials["participant_id"].isin(keep)].reset_index(drop=True)
    if trials.empty:
        raise StudyError(
            "no GSP trials left after excluding participants who failed the attention check"
        )
    z = trait_table(export, sorted(set(trials["participant_id"])), traits)
    for t in z.columns:
        trials[t] = z.loc[trials["participant_id"], t].to_numpy()
    return trials


def preferred_points(
    data: pd.DataFrame,
    *,
    burn_in: int = 4,
    method: Literal["mean", "kde_mode"] = "mean",
    bandwidth: str | float = "scott",
    subject: str = "participant_id",
    traits: list[str] | tuple[str, ...] = (),
) -> pd.DataFrame:
    """Each participant's preferred level on each dimension from their post-burn-in responses.

    ``preferred_{i,d}`` is the mean (or the Gaussian-KDE mode, as GSP aggregates a node) of
    participant ``i``'s responses on dimension ``d`` at nodes ``node >= burn_in``. Across
    chains these responses are draws from the participant's conditional preference, so the
    summary estimates where their preference peaks.

    Parameters
    ----------
    data : pandas.DataFrame
        GSP trials (:func:`gsp_trials`): ``participant_id, node, dimension, response``.
    burn_in : int
        Nodes dropped from the start of every chain.
    method : {"mean", "kde_mode"}
    bandwidth : str or float
        KDE bandwidth rule (``scott``, ``silverman``) or factor.
    subject : str
        Participant column.
    traits : list of str
        Participant-level columns to carry into the result (the z-scored traits).

    Returns
    -------
    pandas.DataFrame
        ``participant_id, dimension, preferred, n_responses`` and the ``traits`` columns.

    Example
    -------
    >>> d = pd.DataFrame({"participant_id": ["p"] * 4, "node": [0, 1, 2, 3],
    ...                   "dimension": ["x"] * 4, "response": [0.9, 0.2, 0.4, 0.6]})
    >>> preferred_points(d, burn_in=1)["preferred"].round(2).tolist()
    [0.4]
    """
    from edutools.survey.gsp import aggregate

    if burn_in < 0:
        raise StudyError(f"burn_in {burn_in} is negative; use 0 or more nodes")
    if method not in ("mean", "kde_mode"):
        raise StudyError(f"method '{method}' is unknown; expected 'mean' or 'kde_mode'")
    for col in (subject, "node", "dimension", "response", *traits):
        if col not in data.columns:
            raise DataError(
                f"no column '{col}' in the GSP trials; columns: {', '.join(map(str, data.columns))}"
            )
    kept = data[data["node"] >= burn_in]
    if kept.empty:
        raise StudyError(
            f"no responses at nodes >= {burn_in}; lower the burn-in (chains are {data['node'].max() + 1} nodes long)"
        )
    rows = []
    for (pid, dim), part in kept.groupby([subject, "dimension"], sort=True):
        values = part["response"].to_numpy(float)
        value = (
            float(values.mean())
            if method == "mean"
            else aggregate(values.tolist(), "kde_mode", bandwidth)
        )
        rows.append(
            {subject: pid, "dimension": dim, "preferred": value, "n_responses": len(values)}
        )
    out = pd.DataFrame(rows)
    if traits:
        out = out.join(data.groupby(subject)[list(traits)].first(), on=subject)
    return out


def fit_preferred_regression(
    points: pd.DataFrame,
    traits: list[str],
    *,
    correction: str = "holm",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Per dimension, OLS of the preferred point on z-scored traits with HC3 SEs.

    ``preferred_{i,d} = b0_d + sum_t b_{t,d} z_{i,t} + e_{i,d}``, fitted separately for each
    dimension; ``b_{t,d}`` is the shift of the preferred level per SD of trait ``t``. HC3
    (MacKinnon & White, 1985) keeps the SEs valid when the residual spread depends on the
    traits; CIs and p-values use the t distribution with n − k degrees of freedom.

    Parameters
    ----------
    points : pandas.DataFrame
        From :func:`preferred_points` (with the trait columns).
    traits : list of str
        Trait columns (z-scores).
    correction : {"holm", "fdr_bh", "none"}
        Adjustment across all trait coefficients of all dimensions.
    alpha : float

    Returns
    -------
    pandas.DataFrame
        ``dimension, term, estimate, se, t, p, ci_low, ci_high, p_adjusted, n``.

    Example
    -------
    >>> from edutools.survey.simulate_gsp import simulate_gsp
    >>> d = gsp_trials(simulate_gsp(n_participants=30, seed=1).export)
    >>> reg = fit_preferred_regression(preferred_points(d, traits=["trust"]), ["trust"])
    >>> reg["term"].tolist()[:2]
    ['(Intercept)', 'trust']
    """
    missing = [t for t in traits if t not in points.columns]
    if missing:
        raise DataError(
            f"no trait column '{missing[0]}' in the preferred points; columns: {', '.join(map(str, points.columns))}"
        )
    rows = []
    for dim, part in points.groupby("dimension", sort=True):
        X = sm.add_constant(part[traits].to_numpy(float), has_constant="add")
        if len(part) <= X.shape[1] + 1:
            raise StudyError(
                f"dimension '{dim}': {len(part)} participants are too few for {len(traits)} traits"
            )
        fit = sm.OLS(part["preferred"].to_numpy(float), X).fit(cov_type="HC3", use_t=True)
        ci = fit.conf_int(alpha)
        for j, term in enumerate(["(Intercept)", *traits]):
            rows.append(
                {
                    "dimension": dim,
                    "term": term,
                    "estimate": fit.params[j],
                    "se": fit.bse[j],
                    "t": fit.tvalues[j],
                    "p": fit.pvalues[j],
                    "ci_low": ci[j, 0],
                    "ci_high": ci[j, 1],
                    "n": len(part),
                }
            )
    table = pd.DataFrame(rows)
    tested = table["term"] != "(Intercept)"
    table["p_adjusted"] = np.nan
    table.loc[tested, "p_adjusted"] = adjust_pvalues(table.loc[tested, "p"], correction)
    return table[
        ["dimension", "term", "estimate", "se", "t", "p", "ci_low", "ci_high", "p_adjusted", "n"]
    ]


@dataclass(frozen=True)
class TrialModel:
    """The trial-level GLMM and its simple slopes.

    Attributes
    ----------
    glmm : GLMMResult
        ``high ~ dimension * (traits) + (1 | participant_id:dimension) + (1 | prompt_id)``.
    simple_slopes : pandas.DataFrame
        Per dimension and trait: the trait's slope (log-odds per SD) with SE, CI and p, and the
        predicted probability of choosing the upper half at −1 SD and +1 SD (other traits at
        their mean, random effects at zero).
    n_dropped_at_threshold : int
        Trials whose response equals the threshold exactly (neither half), left out.
    """

    glmm: GLMMResult
    simple_slopes: pd.DataFrame
    n_dropped_at_threshold: int
    formula: str


def fit_trial_glmm(
    data: pd.DataFrame,
    traits: list[str],
    thresholds: dict[str, float],
    *,
    subject: str = "participant_id",
    item: str = "prompt_id",
    alpha: float = 0.05,
) -> TrialModel:
    """Trial-level mixed logistic model of choosing the upper half of a style dimension.

    ``logit P(response_t > threshold_d) = a_d + sum_k (b_k + c_{k,d}) z_k + u_{i,d} + v_b``
    with ``u ~ N(0, s_u)`` per participant and dimension and ``v ~ N(0, s_v)`` per base prompt,
    fitted by :func:`~edutools.glmm.fit_glmer` (Laplace ML, as lme4's glmer). The
    trait × dimension interactions ``c`` say whether a trait shifts preference more on one
    style dimension than on another; the simple slope of trait ``k`` on dimension ``d`` is
    ``b_k + c_{k,d}``.

    Parameters
    ----------
    data : pandas.DataFrame
        GSP trials with z-scored trait columns (:func:`gsp_trials`).
    traits : list of str
    thresholds : dict
        Dimension name -> the cut point (usually the middle of its range).
    subject, item : str
        Participant and base-prompt columns.
    alpha : float

    Returns
    -------
    TrialModel

    Example
    -------
    >>> from edutools.survey.simulate_gsp import simulate_gsp
    >>> d = gsp_trials(simulate_gsp(n_participants=30, seed=1).export)
    >>> cut = {"authoritativeness": 0.5, "certainty": 0.5, "verbosity": 0.5}
    >>> model = fit_trial_glmm(d, ["trust"], cut)
    >>> model.simple_slopes[["dimension", "trait"]].values.tolist()[0]
    ['authoritativeness', 'trust']
    """
    unknown = sorted(set(data["dimension"]) - set(thresholds))
    if unknown:
        raise StudyError(f"no threshold for dimension '{unknown[0]}'; give one per dimension")
    cut = data["dimension"].map(thresholds).to_numpy(float)
    at = np.isclose(data["response"].to_numpy(float), cut)
    frame = data.loc[~at].copy()
    frame["high"] = (frame["response"].to_numpy(float) > cut[~at]).astype(int)
    dims = sorted(frame["dimension"].unique())
    frame["dimension"] = pd.Categorical(frame["dimension"], categories=dims)
    rhs = "dimension" + (" * (" + " + ".join(f"`{t}`" for t in traits) + ")" if traits else "")
    formula = f"high ~ {rhs} + (1 | {subject}:dimension) + (1 | {item})"
    glmm = fit_glmer(formula, frame)
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for d in dims:
        base = {"(Intercept)": 1.0} | ({f"dimension{d}": 1.0} if d != dims[0] else {})
        for t in traits:
            w = {t: 1.0} | ({f"dimension{d}:{t}": 1.0} if d != dims[0] else {})
            est, se = glmm.contrast(w)
            eta0, _ = glmm.contrast(base)
            rows.append(
                {
                    "dimension": d,
                    "trait": t,
                    "slope": est,
                    "se": se,
                    "ci_low": est - z * se,
                    "ci_high": est + z * se,
                    "p": float(2 * stats.norm.sf(abs(est / se))),
                    "prob_minus_1sd": float(expit(eta0 - est)),
                    "prob_mean": float(expit(eta0)),
                    "prob_plus_1sd": float(expit(eta0 + est)),
                }
            )
    return TrialModel(
        glmm=glmm,
        simple_slopes=pd.DataFrame(rows),
        n_dropped_at_threshold=int(at.sum()),
        formula=formula.replace("`", ""),
    )
