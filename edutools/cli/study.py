"""``edutools study check|stimuli|simulate|analyze``: check, prepare, simulate and analyse studies."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from edutools.cli._common import handle_errors


class Design(StrEnum):
    """The two study designs."""

    pairwise = "pairwise"
    gsp = "gsp"


class PreferredPoint(StrEnum):
    """How a participant's post-burn-in GSP responses are summarised."""

    mean = "mean"
    kde_mode = "kde_mode"


class Correction(StrEnum):
    """Multiple-comparison adjustments."""

    holm = "holm"
    fdr_bh = "fdr_bh"
    none = "none"


def _load_study(path: Path | None) -> Any:
    if path is None:
        return None
    from edutools.survey.config import load_study

    return load_study(path)


def simulate_command(
    design: Design, out: Path, participants: int, seed: int, study_path: Path | None
) -> str:
    """Write a simulated export to ``out``; returns a one-line summary."""
    from edutools.survey.data import write_export
    from edutools.survey.simulate import (
        instruments_for_study,
        pairwise_truth_for_study,
        simulate_pairwise,
    )
    from edutools.survey.simulate_gsp import gsp_truth_for_study, simulate_gsp

    study = _load_study(study_path)
    if study is not None and study.design != design.value:
        from edutools.errors import StudyError

        raise StudyError(
            f"{study_path}: the study's design is '{study.design}' but --design is '{design.value}'"
        )
    if design is Design.pairwise:
        if study is not None:
            sim = simulate_pairwise(
                n_participants=participants, truth=pairwise_truth_for_study(study), seed=seed
            )
        else:
            sim = simulate_pairwise(n_participants=participants, seed=seed)
    elif study is not None:
        from edutools.survey.gsp import GSPDesign

        truth = gsp_truth_for_study(study)
        sim = simulate_gsp(
            n_participants=participants,
            truth=truth,
            design=GSPDesign.from_study(study),
            seed=seed,
            instruments=instruments_for_study(study, truth.traits),
        )
    else:
        sim = simulate_gsp(n_participants=participants, seed=seed)
    write_export(sim.export, out)
    sim.truth.rename("planted").to_csv(out / "planted_effects.csv")
    return (
        f"simulated {design.value} study: {participants} participants, {len(sim.export.trials)} trials "
        f"-> {out} (planted effects in planted_effects.csv)"
    )


def analyze_command(
    export: Path,
    design: Design,
    out: Path,
    study_path: Path | None,
    overrides: dict[str, Any],
) -> str:
    """Analyse ``export`` into ``out``; returns a one-line summary."""
    from edutools.survey.report import AnalysisOptions, analyze_export

    study = _load_study(study_path)
    options = (
        AnalysisOptions.from_study(study, **overrides)
        if study is not None
        else AnalysisOptions(**{k: v for k, v in overrides.items() if v is not None})
    )
    report = analyze_export(export, out, design=design.value, options=options)
    return (
        f"analysed {design.value} export {export}: {len(report.tables)} tables, {len(report.figures)} figures, "
        f"report {report.report}"
    )


class TargetDesign(StrEnum):
    """Which style vectors to rewrite each base response to."""

    factorial = "factorial"
    axes = "axes"


class Engine(StrEnum):
    """Who rewrites the base responses."""

    llm = "llm"
    local = "local"


def stimuli_command(
    study_path: Path,
    out: Path | None,
    design: TargetDesign,
    model: str | None,
    engine: Engine | None = None,
) -> str:
    """Rewrite every base response to its target styles, write ``out`` and a validation report.

    ``out`` (default: the study's ``stimuli`` file beside it) is what the participant app
    reads; ``<out stem>_validation.md`` next to it holds Spearman's rho and the mean measure per level for
    each dimension, leakage, content similarity and the flagged rewrites. ``engine`` defaults to
    the LLM when a provider is configured and to the offline ``local`` engine otherwise.
    """
    from edutools.settings import Settings
    from edutools.survey.config import load_study
    from edutools.survey.transfer import style_targets
    from edutools.survey.transfer_validation import validate_transfer

    settings = Settings.from_env()
    if engine is None:
        engine = Engine.llm if settings.llm_configured else Engine.local
    if engine is Engine.llm:
        settings.require_api_access(alternative=None)
    study = load_study(study_path)
    out = out or study_path.parent / study.stimuli
    targets = style_targets(study, design=design.value)
    if engine is Engine.local:
        from edutools.survey.transfer_local import rewrite_responses_local

        frame = rewrite_responses_local(study, targets)
        cost = "local engine, no LLM calls"
    else:
        from edutools.survey.transfer import rewrite_responses

        options = {"model": model} if model else {}
        frame, usage = rewrite_responses(study, targets, settings, **options)
        cost = (
            f"{usage.calls} calls, {usage.cached_calls} cached, "
            f"{usage.prompt_tokens + usage.completion_tokens} tokens"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    report = validate_transfer(study, frame)
    validation = out.with_name(f"{out.stem}_validation.md")
    validation.write_text(report.to_markdown(), encoding="utf-8")
    ok = int((frame["status"] == "ok").sum())
    monotonic = int(report.dimensions["monotonic"].sum())
    return (
        f"wrote {ok} of {len(frame)} rewrites to {out} ({len(report.flagged)} flagged; "
        f"{monotonic} of {len(report.dimensions)} dimensions' measures rise with every level; "
        f"see {validation}); {cost}"
    )


def check_command(study_path: Path) -> str:
    """One line saying the study runs offline; StudyError naming what is missing otherwise."""
    from edutools.errors import StudyError
    from edutools.studyflow.check import check_study

    checked = check_study(study_path)
    if not checked.ready:
        raise StudyError(checked.summary())
    return "ok: " + checked.summary()


def register(app: typer.Typer) -> None:
    """Add the ``study`` command group to ``app``."""
    study = typer.Typer(
        name="study",
        help="Style-preference studies: check, prepare stimuli, simulate and analyse exports.",
        no_args_is_help=True,
    )

    @study.command("check")
    @handle_errors
    def check(
        study_path: Path = typer.Argument(..., help="The study file (e.g. study.yaml)."),
    ) -> None:
        """Exit 0 when the study runs offline; otherwise one line naming what is missing."""
        typer.echo(check_command(study_path))

    @study.command("stimuli")
    @handle_errors
    def stimuli(
        study_path: Path = typer.Argument(..., help="The study.yaml to prepare."),
        out: Path | None = typer.Option(
            None,
            "--out",
            help="Where to write the rewrites [the study's stimuli file, next to it].",
        ),
        engine: Engine | None = typer.Option(
            None,
            "--engine",
            help="llm: the configured provider; local: offline rewrites "
            "[llm when a provider is configured, else local].",
        ),
        design: TargetDesign = typer.Option(
            TargetDesign.factorial,
            "--targets",
            help="factorial: every level combination (what GSP needs); axes: one dimension at a time.",
        ),
        model: str | None = typer.Option(
            None, "--model", "-m", help="Chat model [EDUTOOLS_MODEL]."
        ),
    ) -> None:
        """Rewrite the base responses to every target style (LLM, cached; or local) for the app."""
        typer.echo(stimuli_command(study_path, out, design, model, engine))

    @study.command("simulate")
    @handle_errors
    def simulate(
        design: Design = typer.Option(..., "--design", help="pairwise (Study 1) or gsp (Study 2)."),
        out: Path = typer.Option(..., "--out", help="Folder to write the export into."),
        participants: int = typer.Option(
            200, "--participants", min=3, help="Number of simulated participants."
        ),
        seed: int = typer.Option(0, "--seed", help="Seed of every random draw."),
        study_path: Path | None = typer.Option(
            None,
            "--study",
            help="A study.yaml whose dimensions, features and GSP settings to simulate.",
        ),
    ) -> None:
        """Simulate a study export with planted style effects and trait moderation."""
        typer.echo(simulate_command(design, out, participants, seed, study_path))

    @study.command("analyze")
    @handle_errors
    def analyze(
        export: Path = typer.Argument(
            ..., help="An export folder (manifest.json, participants.csv, trials.csv, ...)."
        ),
        design: Design = typer.Option(..., "--design", help="pairwise (Study 1) or gsp (Study 2)."),
        out: Path = typer.Option(..., "--out", help="Folder for report.md, tables/ and figures/."),
        study_path: Path | None = typer.Option(
            None, "--study", help="Take the analysis settings from this study.yaml."
        ),
        burn_in: int | None = typer.Option(
            None, "--burn-in", min=0, help="GSP nodes dropped per chain [4]."
        ),
        preferred_point: PreferredPoint | None = typer.Option(
            None, "--preferred-point", help="Summary of post-burn-in responses [mean]."
        ),
        correction: Correction | None = typer.Option(
            None, "--correction", help="Multiple-comparison adjustment [holm]."
        ),
        n_bootstrap: int | None = typer.Option(
            None, "--n-boot", min=0, help="Cluster-bootstrap resamples [1000]."
        ),
        seed: int | None = typer.Option(
            None, "--seed", help="Seed of the bootstrap and CV folds [0]."
        ),
    ) -> None:
        """Analyse a study export: CSV tables, PNG figures and a Markdown report."""
        overrides = {
            "burn_in": burn_in,
            "preferred_point": preferred_point.value if preferred_point else None,
            "correction": correction.value if correction else None,
            "n_bootstrap": n_bootstrap,
            "seed": seed,
        }
        typer.echo(analyze_command(export, design, out, study_path, overrides))

    app.add_typer(study)
