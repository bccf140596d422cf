"""Generalised linear mixed models in lme4's terms: formulas, the Laplace fit, logistic regression.

``fit_glmer("y ~ x1 * x2 + (1 | participant) + (1 | item)", data)`` fits a binomial GLMM with
random intercepts by maximum likelihood (Laplace), as ``lme4::glmer`` does, and reports lme4's
numbers and term names. The pieces: :mod:`edutools.glmm.formula` (lme4 formulas: random
intercepts by hand, the fixed-effect part through formulaic), :mod:`edutools.glmm.laplace` (the
Laplace deviance and its exact gradient), :mod:`edutools.glmm.fit` (the optimiser and standard
errors) and :mod:`edutools.glmm.logit` (weighted logistic regression with cluster-robust
covariance, for models without random effects).

Pure NumPy/SciPy/pandas: nothing here imports the LLM, storage or app layers. Used by
:mod:`edutools.survey` for the style-preference models.
"""

from edutools.glmm.fit import GLMMResult, fit_glmer
from edutools.glmm.formula import ModelFrame, ParsedFormula, build_model_frame, parse_formula
from edutools.glmm.logit import auc, cluster_cov, fit_logit

__all__ = [
    "GLMMResult",
    "ModelFrame",
    "ParsedFormula",
    "auc",
    "build_model_frame",
    "cluster_cov",
    "fit_glmer",
    "fit_logit",
    "parse_formula",
]
