"""Analyse a study export end to end: CSV tables, PNG figures and a Markdown report.

``analyze_export("export/", out="report/")`` reads the export (:mod:`edutools.survey.data`),
runs the Study 1 (pairwise) or Study 2 (GSP) analyses and writes::

    report/report.md             the narrative: data, methods, results, figures
    report/tables/*.csv          every estimate the report shows
    report/figures/*.png         effect forest plot, moderation slopes, GSP chain trajectories

The same export and options always give the same files (every random draw is seeded).
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from edutools.errors import DataError, StudyError
from edutools.survey import plots
from edutools.survey.data import StudyExport, read_export
from edutools.survey.models_common import CORRECTIONS, included_participants, trait_scores_of

__all__ = ["AnalysisOptions", "AnalysisReport", "analyze_export", "markdown_table"]


@dataclass(frozen=True)
class AnalysisOptions:
    """Every choice the analysis makes (defaults as in ``edutools.survey.config``).

    Attributes
    ----------
    burn_in : int
        GSP nodes dropped from the start of each chain.
    preferred_point : {"mean", "kde_mode"}
        Summary of a participant's post-burn-in responses.
    correction : {"holm", "fdr_bh", "none"}
        Multiple-comparison adjustment.
    n_bootstrap : int
        Cluster-bootstrap resamples (pairwise design).
    confidence : float
        Level of every interval.
    seed : int
        Seeds the bootstrap and cross-validation folds.
    features : tuple of str, optional
        Style features of a pairwise analysis (default: all in styles.csv).
    ties : {"drop", "half"}
        Pairwise ties.
    attributes : dict, optional
        User attributes (attributes.csv): name -> levels (categorical, reference first) or None
        (numeric or sorted categorical). Default: all attributes in the export.
    traits : tuple of str, optional
        Traits used as moderators (default: every trait in traits.csv, or every non-total
        subscale of the scored questionnaires).
    """

    burn_in: int = 4
    preferred_point: Literal["mean", "kde_mode"] = "mean"
    correction: str = "holm"
    n_bootstrap: int = 1000
    confidence: float = 0.95
    seed: int = 0
    features: tuple[str, ...] | None = None
    ties: Literal["drop", "half"] = "drop"
    attributes: dict[str, list[str] | None] | None = None
    traits: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.correction not in CORRECTIONS:
            raise StudyError(
                f"correction '{self.correction}' is unknown; expected one of {', '.join(CORRECTIONS)}"
            )
        if not 0 < self.confidence < 1:
            raise StudyError(
                f"confidence {self.confidence} must lie strictly between 0 and 1, e.g. 0.95"
            )
        if self.burn_in < 0 or self.n_bootstrap < 0:
            raise StudyError("burn_in and n_bootstrap must be 0 or more")

    @classmethod
    def from_study(cls, study: Any, **overrides: Any) -> AnalysisOptions:
        """Options from a validated :class:`~edutools.survey.config.StudyDefinition`."""
        values: dict[str, Any] = {
            "preferred_point": study.analysis.preferred_point,
            "correction": study.analysis.correction,
            "n_bootstrap": study.analysis.n_bootstrap,
            "confidence": study.analysis.confidence,
            "seed": study.analysis.seed,
        }
        if study.gsp is not None:
            values["burn_in"] = study.gsp.burn_in_nodes
        if study.pairwise is not None:
            values["features"] = tuple(study.pairwise.features)
            values["ties"] = study.pairwise.ties
            values["attributes"] = {
                a.name: (list(a.levels) if a.kind == "categorical" and a.levels else None)
                for a in study.pairwise.population_attributes
            }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


@dataclass(frozen=True)
class AnalysisReport:
    """Where the analysis wrote its outputs."""

    out: Path
    report: Path
    tables: dict[str, Path] = field(default_factory=dict)
    figures: dict[str, Path] = field(default_factory=dict)


def markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub-flavoured Markdown table; floats rounded to ``digits``, NaN shown blank."""

    def cell(v: Any) -> str:
        if isinstance(v, float | np.floating):
            return "" if np.isnan(v) else f"{v:.{digits}f}"
        return str(v).replace("|", "\\|")

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _p(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


class _Writer:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.tables: dict[str, Path] = {}
        self.figures: dict[str, Path] = {}
        (out / "tables").mkdir(parents=True, exist_ok=True)
        (out / "figures").mkdir(parents=True, exist_ok=True)

    def table(self, name: str, frame: pd.DataFrame) -> None:
        path = self.out / "tables" / f"{name}.csv"
        frame.to_csv(path, index=False, float_format="%.6g", lineterminator="\n")
        self.tables[name] = path

    def figure(self, name: str, chart: Any) -> str:
        self.figures[name] = plots.save_png(chart, self.out / "figures" / f"{name}.png")
        return f"![{name.replace('_', ' ')}](figures/{name}.png)"


def _sample_lines(export: StudyExport, used: list[str]) -> list[str]:
    total = len(export.participants)
    excluded = total - len(included_participants(export))
    return [
        f"- Participants: {total} in the export, {excluded} excluded for failing the attention check, "
        f"{len(used)} analysed.",
        f"- Trials in the export: {len(export.trials)}.",
    ]


def _pairwise(export: StudyExport, options: AnalysisOptions, w: _Writer) -> list[str]:
    from edutools.survey.models_pairwise import fit_preference, pairwise_trials

    present = set(export.attributes["attribute"])
    requested = (
        options.attributes if options.attributes is not None else {a: None for a in sorted(present)}
    )
    trait_names = set(trait_scores_of(export)["trait"])
    missing = [a for a in requested if a not in present and a not in trait_names]
    if missing:
        raise DataError(
            f"attributes.csv: no attribute '{missing[0]}' (asked for by the study); add it to the export"
        )
    attrs = {a: lv for a, lv in requested.items() if a in present}
    features = list(options.features) if options.features is not None else None
    traits = (
        list(options.traits) if options.traits is not None else sorted(trait_names - set(attrs))
    )
    data = pairwise_trials(
        export, features=features, traits=traits, ties=options.ties, attributes=attrs
    )
    feats = features or sorted(set(export.styles["feature"]))
    groups = [a for a in attrs if isinstance(data[a].dtype, pd.CategoricalDtype)]
    numeric = [a for a in attrs if a not in groups]
    if data["population"].nunique() > 1:
        groups = ["population", *groups]
    alpha = 1 - options.confidence
    fit = fit_preference(
        data,
        feats,
        group=groups,
        moderators=[*traits, *numeric],
        n_boot=options.n_bootstrap,
        correction=options.correction,
        alpha=alpha,
        seed=options.seed,
    )
    coef = fit.coefficients
    w.table("coefficients", coef)
    w.table("by_population", fit.by_population)
    w.table("simple_slopes", fit.simple_slopes)
    summary = pd.DataFrame(
        [
            {
                "n_trials": fit.n_trials,
                "n_participants": fit.n_participants,
                "auc": fit.auc,
                "auc_cv": fit.auc_cv,
                "n_boot": fit.n_boot,
                "correction": fit.correction,
                "formula": fit.formula,
            }
        ]
    )
    w.table("model_fit", summary)
    lines = ["## Data", *_sample_lines(export, sorted(set(data["participant_id"])))]
    n_ties = int((export.trials["choice"] == "tie").sum())
    lines += [
        f"- Choices analysed: {fit.n_trials} (ties in the export: {n_ties}, handled by '{options.ties}').",
        f"- Style features (A − B differences of z-scores over all responses): {', '.join(feats)}.",
        f"- Population terms: {', '.join(groups) or 'none'}; moderators: {', '.join([*traits, *numeric]) or 'none'}.",
        "",
        "## Model",
        "Bradley–Terry / logistic preference model on style-feature differences "
        "(position bias as the intercept), SEs clustered by participant, "
        f"{fit.n_boot} cluster-bootstrap resamples, {fit.correction} adjustment across terms:",
        "",
        f"`{fit.formula}`",
        "",
        f"In-sample AUC {fit.auc:.3f}; participant-grouped 5-fold cross-validated AUC {fit.auc_cv:.3f}.",
        "",
        "## Effects",
        markdown_table(
            coef.assign(
                p=coef["p"].map(_p),
                p_adjusted=coef["p_adjusted"].map(lambda v: "" if np.isnan(v) else _p(v)),
            )[
                [
                    "term",
                    "estimate",
                    "se",
                    "ci_low",
                    "ci_high",
                    "boot_low",
                    "boot_high",
                    "p",
                    "p_adjusted",
                ]
            ]
        ),
        "",
        w.figure(
            "effect_forest",
            plots.effect_forest(
                coef[coef["term"] != "(Intercept)"], x_title="log-odds per SD of the difference"
            ),
        ),
    ]
    if not fit.simple_slopes.empty:
        lines += [
            "",
            "## Moderation",
            "Each feature's effect at moderator values −1, 0 and +1 SD (other moderators at their mean, reference populations).",
            "",
            markdown_table(fit.simple_slopes),
            "",
            w.figure(
                "moderation_slopes", plots.moderation_slopes(fit.simple_slopes, design="pairwise")
            ),
        ]
    if not fit.by_population.empty:
        lines += ["", "## Within each population", markdown_table(fit.by_population)]
    return lines


def _gsp(export: StudyExport, options: AnalysisOptions, w: _Writer) -> list[str]:
    from edutools.survey.models_gsp import (
        fit_preferred_regression,
        fit_trial_glmm,
        gsp_trials,
        preferred_points,
    )

    traits = (
        list(options.traits)
        if options.traits is not None
        else sorted(set(trait_scores_of(export)["trait"]))
    )
    data = gsp_trials(export, traits=traits)
    alpha = 1 - options.confidence
    points = preferred_points(
        data, burn_in=options.burn_in, method=options.preferred_point, traits=traits
    )
    reg = fit_preferred_regression(points, traits, correction=options.correction, alpha=alpha)
    dims = {d.name: (d.low + d.high) / 2 for d in export.manifest.dimensions}
    trial = fit_trial_glmm(data, traits, dims, alpha=alpha)
    glmm = trial.glmm
    w.table("preferred_points", points)
    w.table("preferred_regression", reg)
    w.table("trial_glmm", glmm.summary(alpha))
    w.table(
        "trial_glmm_random_effects",
        pd.DataFrame(
            {"group": glmm.random_effects_sd.index, "sd": glmm.random_effects_sd.to_numpy()}
        ),
    )
    w.table("simple_slopes", trial.simple_slopes)
    per_dim = (
        points.groupby("dimension")["preferred"].agg(["mean", "std", "min", "max"]).reset_index()
    )
    lines = ["## Data", *_sample_lines(export, sorted(set(data["participant_id"])))]
    lines += [
        f"- Chains: {export.trials['chain_id'].nunique()}; dimensions: "
        + ", ".join(f"{d.name} [{d.low:g}, {d.high:g}]" for d in export.manifest.dimensions)
        + ".",
        f"- Traits (z-scored over analysed participants): {', '.join(traits) or 'none'}.",
        "",
        "## Preferred styles",
        f"Each participant's preferred level per dimension is the {options.preferred_point} of their responses "
        f"at nodes {options.burn_in} and later (burn-in {options.burn_in}).",
        "",
        markdown_table(per_dim),
        "",
        w.figure("gsp_chains", plots.chain_trajectories(export.nodes, burn_in=options.burn_in)),
        "",
        "## Traits and preferred styles",
        "Per dimension: OLS of the preferred level on the z-scored traits, HC3 standard errors, "
        f"t-based {options.confidence:.0%} CIs, {options.correction} adjustment across trait terms.",
        "",
        markdown_table(reg.assign(p=reg["p"].map(_p))),
        "",
    ]
    trait_rows = reg[reg["term"] != "(Intercept)"]
    if not trait_rows.empty:
        lines.append(
            w.figure(
                "effect_forest",
                plots.effect_forest(
                    trait_rows.assign(term=trait_rows["dimension"] + " ~ " + trait_rows["term"]),
                    x_title="shift of the preferred level per SD of the trait",
                ),
            )
        )
    lines += [
        "",
        "## Trial-level mixed model",
        "Binomial GLMM (Laplace ML, as lme4's glmer) of choosing the upper half of the active "
        f"dimension's range; {trial.n_dropped_at_threshold} responses exactly at the midpoint left out:",
        "",
        f"`{trial.formula}`",
        "",
        markdown_table(glmm.summary(alpha).assign(p=lambda d: d["p"].map(_p))),
        "",
        "Random-intercept SDs: "
        + ", ".join(f"{k} {v:.3f}" for k, v in glmm.random_effects_sd.items())
        + f"; log-likelihood {glmm.loglik:.2f}; converged: {glmm.converged}.",
    ]
    if not trial.simple_slopes.empty:
        lines += [
            "",
            "### Simple slopes",
            "Each trait's slope (log-odds per SD) on each dimension and the predicted probability of "
            "the upper half at −1, 0 and +1 SD.",
            "",
            markdown_table(trial.simple_slopes.assign(p=trial.simple_slopes["p"].map(_p))),
            "",
            w.figure(
                "moderation_slopes", plots.moderation_slopes(trial.simple_slopes, design="gsp")
            ),
        ]
    return lines


def minimum_participants(export: StudyExport, options: AnalysisOptions | None = None) -> int:
    """How many analysable (completed, attentive) participants the analysis needs at least.

    Every model regresses a preference on the participants' traits (and, in the pairwise
    design, numeric attributes): with ``k`` such moderators that is an intercept and ``k``
    slopes per dimension, which need ``k + 1`` participants whose traits differ plus two more
    for a residual variance (and a cluster-robust covariance) that is not degenerate:
    ``k + 3``, and never fewer than 3.
    """
    opts = options or AnalysisOptions()
    traits = set(trait_scores_of(export)["trait"])
    if opts.traits is not None:
        traits = set(opts.traits)
    k = len(traits)
    if export.design == "pairwise":
        numeric = set(export.attributes["attribute"]) if len(export.attributes) else set()
        if opts.attributes is not None:
            numeric = {a for a, levels in opts.attributes.items() if levels is None} & numeric
        k += len(numeric - traits)
    return k + 3


def analyze_export(
    export: str | Path | StudyExport,
    out: str | Path,
    *,
    design: Literal["pairwise", "gsp"] | None = None,
    options: AnalysisOptions | None = None,
    title: str | None = None,
) -> AnalysisReport:
    """Run the analyses of an export and write tables, figures and ``report.md`` into ``out``.

    Parameters
    ----------
    export : str, Path or StudyExport
        An export folder (validated by :func:`~edutools.survey.data.read_export`) or a loaded one.
    out : str or Path
        Output folder (created; existing files are overwritten).
    design : {"pairwise", "gsp"}, optional
        Must match the export's manifest when given.
    options : AnalysisOptions, optional
    title : str, optional
        Report heading (default: the study id).

    Returns
    -------
    AnalysisReport

    Example
    -------
    >>> import tempfile
    >>> from edutools.survey.simulate import simulate_pairwise
    >>> sim = simulate_pairwise(n_participants=30, seed=1)
    >>> rep = analyze_export(sim.export, tempfile.mkdtemp(), options=AnalysisOptions(n_bootstrap=0))
    >>> rep.report.name
    'report.md'
    """
    loaded = export if isinstance(export, StudyExport) else read_export(export, design)
    if design is not None and loaded.design != design:
        raise DataError(f"the export is '{loaded.design}' but the design asked for is '{design}'")
    opts = options or AnalysisOptions()
    needed = minimum_participants(loaded, opts)
    have = len(included_participants(loaded))
    if have < needed:
        raise StudyError(
            f"the analysis needs at least {needed} completed participants (now {have}): one "
            f"for each of the {needed - 3} traits and attributes it adjusts for, plus three; "
            "collect more data and run it again"
        )
    folder = Path(out)
    writer = _Writer(folder)
    body = (
        _pairwise(loaded, opts, writer)
        if loaded.design == "pairwise"
        else _gsp(loaded, opts, writer)
    )
    heading = title or f"Style-preference analysis: {loaded.manifest.study_id}"
    from edutools import __version__

    settings = {k: v for k, v in asdict(opts).items()}
    lines = [
        f"# {heading}",
        "",
        f"Design: **{loaded.design}** ({'Study 1, pairwise preferences' if loaded.design == 'pairwise' else 'Study 2, GSP'}).",
        "",
        *body,
        "",
        "## Reproducibility",
        f"edutools {__version__}, Python {platform.python_version()}. Options:",
        "",
        "```json",
        json.dumps(settings, indent=2, default=str),
        "```",
        "",
        "Tables: " + ", ".join(f"[{n}](tables/{n}.csv)" for n in writer.tables) + ".",
        "",
    ]
    report = folder / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    return AnalysisReport(
        out=folder, report=report, tables=dict(writer.tables), figures=dict(writer.figures)
    )
