"""Regenerate the whole style-preference report with one command.

    .venv/bin/python studies/style_preference/run.py                 # simulated data (default)
    .venv/bin/python studies/style_preference/run.py \\
        --gsp-export path/to/gsp_export --pairwise-export path/to/pairwise_export

Study 2 is defined by ``study.yaml`` (GSP), Study 1 by ``pairwise.yaml``. Without real
exports, both designs are simulated from those definitions with illustrative planted effects
(``edutools.survey.simulate``), so the report shows what the analysis recovers; the planted
values sit next to the estimates. Outputs go to ``report/`` next to this script:
``report/README.md`` (the index), ``report/gsp/`` and ``report/pairwise/`` (each a
``report.md`` with ``tables/`` and ``figures/``) and, for simulated runs, ``report/data/``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import pandas as pd

from edutools.errors import EdutoolsError
from edutools.survey.config import load_study
from edutools.survey.data import write_export
from edutools.survey.gsp import GSPDesign
from edutools.survey.report import AnalysisOptions, analyze_export, markdown_table
from edutools.survey.simulate import (
    instruments_for_study,
    pairwise_truth_for_study,
    simulate_pairwise,
)
from edutools.survey.simulate_gsp import gsp_truth_for_study, simulate_gsp

HERE = Path(__file__).parent


def _shown(path: Path, out: Path) -> str:
    """``path`` relative to the report folder when it lies inside it (no machine paths in the report)."""
    try:
        return str(path.resolve().relative_to(out.resolve()))
    except ValueError:
        return str(path)


def _gsp(out: Path, export: Path | None, participants: int) -> list[str]:
    study = load_study(HERE / "study.yaml")
    options = AnalysisOptions.from_study(study)
    truth_table = None
    if export is None:
        truth = gsp_truth_for_study(study)
        sim = simulate_gsp(
            n_participants=participants,
            truth=truth,
            design=GSPDesign.from_study(study),
            seed=options.seed,
            instruments=instruments_for_study(study, truth.traits),
        )
        export = write_export(sim.export, out / "data" / "gsp")
        truth_table = sim.truth.rename("planted").rename_axis(["dimension", "term"]).reset_index()
    analyze_export(
        export, out / "gsp", design="gsp", options=options, title=study.title + " (Study 2, GSP)"
    )
    lines = [
        "## Study 2: GSP (`study.yaml`)",
        "",
        f"Report: [gsp/report.md](gsp/report.md); export: `{_shown(export, out)}`.",
    ]
    if truth_table is not None:
        est = pd.read_csv(out / "gsp" / "tables" / "preferred_regression.csv")
        both = truth_table.merge(est, on=["dimension", "term"])
        planted = both[(both["planted"] != 0) | (both["term"] == "(Intercept)")]
        lines += [
            "",
            f"Simulated data: {participants} participants. Planted ideal-point effects "
            "(non-zero ones and intercepts) against the estimates:",
            "",
            markdown_table(
                planted[["dimension", "term", "planted", "estimate", "ci_low", "ci_high"]]
            ),
        ]
    return lines


def _pairwise(out: Path, export: Path | None, participants: int) -> list[str]:
    study = load_study(HERE / "pairwise.yaml")
    options = AnalysisOptions.from_study(study)
    truth = None
    if export is None:
        sim = simulate_pairwise(
            n_participants=participants, truth=pairwise_truth_for_study(study), seed=options.seed
        )
        export = write_export(sim.export, out / "data" / "pairwise")
        truth = sim.truth.rename("planted").rename_axis("term").reset_index()
    analyze_export(
        export,
        out / "pairwise",
        design="pairwise",
        options=options,
        title=study.title + " (Study 1)",
    )
    lines = [
        "## Study 1: pairwise preferences (`pairwise.yaml`)",
        "",
        f"Report: [pairwise/report.md](pairwise/report.md); export: `{_shown(export, out)}`.",
    ]
    if truth is not None:
        est = pd.read_csv(out / "pairwise" / "tables" / "coefficients.csv")
        both = truth.merge(est, on="term")
        planted = both[both["planted"] != 0]
        lines += [
            "",
            f"Simulated data: {participants} participants. Planted effects against the estimates:",
            "",
            markdown_table(
                planted[
                    ["term", "planted", "estimate", "ci_low", "ci_high", "boot_low", "boot_high"]
                ]
            ),
        ]
    return lines


def main(argv: list[str] | None = None) -> int:
    """Build report/ from the two study definitions; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gsp-export", type=Path, help="A real Study 2 export (default: simulate one)."
    )
    parser.add_argument(
        "--pairwise-export", type=Path, help="A real Study 1 export (default: simulate one)."
    )
    parser.add_argument(
        "--out", type=Path, default=HERE / "report", help="Output folder [report/]."
    )
    parser.add_argument("--gsp-participants", type=int, default=120)
    parser.add_argument("--pairwise-participants", type=int, default=300)
    args = parser.parse_args(argv)
    out: Path = args.out
    try:
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        lines = [
            "# Style-preference studies: report",
            "",
            "Regenerate with `.venv/bin/python studies/style_preference/run.py` (see its docstring for real "
            "exports). Simulated data carry illustrative planted effects, not findings about people.",
            "",
            *_gsp(out, args.gsp_export, args.gsp_participants),
            "",
            *_pairwise(out, args.pairwise_export, args.pairwise_participants),
            "",
        ]
        (out / "README.md").write_text("\n".join(lines), encoding="utf-8")
    except EdutoolsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"report written to {out / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
