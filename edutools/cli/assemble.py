"""``edutools assemble CALIBRATION BANK --items N --out form.json``: forms from a calibrated bank.

CALIBRATION is the JSON object ``edutools calibrate FILE --json`` prints, or the folder that
``edutools calibrate FILE --out DIR`` wrote (its ``calibration.json``). BANK is an item bank
JSON whose item ids are the calibration's item names. The output is an item bank per form
(every item accepted, so ``edutools export`` writes all of it) and the forms' information
and standard-error curves as a PNG.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from edutools.cli._common import handle_errors
from edutools.errors import DataError


def read_calibration(path: Path) -> dict[str, Any]:
    """The calibration object of ``edutools calibrate --json`` (a file, or an --out folder)."""
    if path.is_dir():
        path = path / "calibration.json"
    if not path.exists():
        raise DataError(
            f"{path}: no such file; expected the output of 'edutools calibrate FILE --json' "
            "or the folder of 'edutools calibrate FILE --out DIR'"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(
            f"{path.name}: not JSON ({exc}); expected the output of 'edutools calibrate FILE --json'"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise DataError(
            f"{path.name}: no 'items' list; expected the output of 'edutools calibrate FILE --json'"
        )
    return data


def parse_range(text: str) -> tuple[int, int | None]:
    """``MIN:MAX``, ``MIN:`` (no maximum) or ``N`` (exactly N) as (min, max)."""
    lo_text, sep, hi_text = text.partition(":")
    try:
        lo = int(lo_text) if lo_text.strip() else 0
        hi = int(hi_text) if hi_text.strip() else None
    except ValueError:
        raise DataError(
            f"--per-concept {text!r} is not MIN:MAX; give e.g. 1:3, 2: (no maximum) or 2 (exactly 2)"
        ) from None
    return (lo, hi if sep else lo)


def parse_thetas(values: list[str]) -> tuple[float, ...]:
    """Target abilities from repeated and/or comma-separated ``--target-theta`` values."""
    out = []
    for value in values:
        for part in value.split(","):
            try:
                theta = float(part)
            except ValueError:
                raise DataError(
                    f"--target-theta {part.strip()!r} is not a number; give e.g. 0 or -1,0,1"
                ) from None
            if not math.isfinite(theta):
                raise DataError(f"--target-theta {part.strip()!r} must be a finite number")
            out.append(theta)
    return tuple(out)


def read_target(path: Path) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """A target information curve: a CSV with columns ``theta`` and ``information``."""
    import pandas as pd

    if not path.exists():
        raise DataError(f"{path}: no such file; expected a CSV with columns theta,information")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{path.name}: cannot be read as CSV ({exc})") from None
    missing = [c for c in ("theta", "information") if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path.name}, row 1 (header): missing column '{missing[0]}'; expected theta,information"
        )
    for column in ("theta", "information"):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() | ~values.apply(lambda v: math.isfinite(v) if v == v else False)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0]) + 2
            raise DataError(
                f"{path.name}, row {row}, column '{column}': {frame[column].iloc[row - 2]!r} "
                "is not a finite number"
            )
        frame[column] = values
    if (frame["information"] < 0).any():
        row = int((frame["information"] < 0).to_numpy().nonzero()[0][0]) + 2
        raise DataError(f"{path.name}, row {row}, column 'information': must not be negative")
    if frame.empty:
        raise DataError(f"{path.name}: no rows; expected one row per target theta")
    return tuple(frame["theta"].astype(float)), tuple(frame["information"].astype(float))


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence HiGHS's stray C-level debug prints, so stdout stays clean (JSON)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def output_paths(out: Path, n_forms: int) -> tuple[list[Path], Path]:
    """The form files (``form.json`` or ``form-1.json`` …) and the chart next to them."""
    suffix = out.suffix or ".json"
    if n_forms == 1:
        forms = [out.with_suffix(suffix)]
    else:
        forms = [out.with_name(f"{out.stem}-{f}{suffix}") for f in range(1, n_forms + 1)]
    return forms, out.with_name(f"{out.stem}-information.png")


def _fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"


def register(app: typer.Typer) -> None:
    """Add the ``assemble`` command to ``app``."""

    @app.command("assemble")
    @handle_errors
    def assemble(
        calibration: Path = typer.Argument(
            ...,
            help="The JSON of 'edutools calibrate FILE --json', or its --out folder.",
        ),
        bank: Path = typer.Argument(..., help="An item bank .json; item ids = calibrated items."),
        items: int = typer.Option(..., "--items", "-n", help="Items per form."),
        out: Path = typer.Option(
            ..., "--out", "-o", help="The form's item bank (form-1.json, ... for several forms)."
        ),
        target_theta: list[str] = typer.Option(
            [],
            "--target-theta",
            "-t",
            help="Ability where information counts (repeat or comma-separate; default 0). "
            "Several: the smallest information over them is maximised.",
        ),
        target_info: Path | None = typer.Option(
            None,
            "--target-info",
            help="CSV theta,information: a target curve; the largest deviation is minimised.",
        ),
        relative: bool = typer.Option(
            False,
            "--relative",
            help="With --target-info: maximise the fraction of the target reached at every θ.",
        ),
        per_concept: str | None = typer.Option(
            None, "--per-concept", help="MIN:MAX items of every concept on each form, e.g. 1:3."
        ),
        forms: int = typer.Option(1, "--forms", "-f", help="Number of forms."),
        overlap: int = typer.Option(
            0, "--overlap", help="Items two forms may share (default 0: none)."
        ),
        allow_enemies: bool = typer.Option(
            False, "--allow-enemies", help="Allow items that share an assertion on one form."
        ),
        calibrated_only: bool = typer.Option(
            False,
            "--calibrated-only",
            help="Draw from the calibrated items; ignore bank items without parameters.",
        ),
        n_random: int = typer.Option(
            1000,
            "--random",
            help="With one form: compare with the best of this many random feasible forms (0: skip).",
        ),
        time_limit: float = typer.Option(60.0, "--time-limit", help="Solver time limit (s)."),
        gap: float = typer.Option(
            0.005, "--gap", help="Stop once proven within this fraction of the optimum."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
    ) -> None:
        """Assemble test forms by mixed-integer programming: most information where it counts,
        every concept covered, no two items that share an assertion on one form."""
        import edutools
        from edutools import io
        from edutools.irt import assembly as asm

        if target_info is not None and target_theta:
            raise DataError(
                "give either --target-theta or --target-info (whose rows name the θs), not both"
            )
        if relative and target_info is None:
            raise DataError("--relative needs a target curve: add --target-info FILE")
        if target_info is not None:
            thetas, values = read_target(target_info)
            target: tuple[float, ...] | None = values
        else:
            thetas, target = parse_thetas(target_theta) or (0.0,), None
        spec = asm.Spec(
            n_items=items,
            n_forms=forms,
            per_concept=parse_range(per_concept) if per_concept is not None else None,
            overlap=overlap,
            target_theta=thetas,
            target_info=target,
            relative=relative,
            enemies=not allow_enemies,
        )
        cal = read_calibration(calibration)
        item_bank = io.read_item_bank(bank)
        calibrated = set(asm.information_table(cal, [0.0]).columns)
        missing = [
            i.id for i in item_bank.items if i.status != "rejected" and i.id not in calibrated
        ]
        if missing and not calibrated_only:
            shown = ", ".join(missing[:5]) + (
                f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            )
            raise DataError(
                f"{bank.name}: {len(missing)} item(s) have no parameters in {calibration.name} "
                f"({shown}); calibrate responses that include them, or pass --calibrated-only"
            )
        with _quiet_stdout():
            result = asm.assemble(
                cal,
                item_bank,
                spec,
                calibrated_only=calibrated_only,
                time_limit=time_limit,
                mip_gap=gap,
            )
        baseline = None
        if n_random > 0 and forms == 1:
            pool = asm.Pool.from_bank(item_bank, calibrated)
            try:
                randoms = asm.random_forms(pool, spec, n_random, seed=0)
            except DataError as exc:
                typer.echo(f"note: no random baseline: {exc}", err=True)
            else:
                info = asm.information_table(cal, spec.target_theta)
                scores = [
                    asm.objective_value(info[list(f)].sum(axis=1).to_numpy(), spec) for f in randoms
                ]
                baseline = min(scores) if spec.mode == "absolute" else max(scores)
        paths, chart_path = output_paths(out, forms)
        inputs = {
            "calibration": hashlib.sha256(json.dumps(cal, sort_keys=True).encode()).hexdigest(),
            "bank": hashlib.sha256(bank.read_bytes()).hexdigest(),
        }
        banks = asm.form_banks(item_bank, result, inputs=inputs, version=edutools.__version__)
        for path, form_bank in zip(paths, banks, strict=True):
            io.write_item_bank(form_bank, path)
        asm.information_chart(result).save(str(chart_path))
        for note in result.notes:
            typer.echo(f"note: {note}", err=True)
        written = ", ".join(str(p) for p in [*paths, chart_path])
        if as_json:
            payload = result.to_dict()
            payload.pop("curves")
            payload["random_baseline"] = (
                None if baseline is None else {"n": n_random, "best": baseline}
            )
            payload["files"] = [str(p) for p in [*paths, chart_path]]
            typer.echo(f"wrote {written}", err=True)
            typer.echo(json.dumps(payload))
            return
        what = {"maximin": "smallest information at the targets" if len(thetas) > 1 else "information",
                "absolute": "largest deviation from the target",
                "relative": "fraction of the target reached"}[spec.mode]  # fmt: skip
        for f, form in enumerate(result.forms, start=1):
            rows = result.at_targets[result.at_targets["form"] == str(f)]
            at = ", ".join(
                f"θ={t:g}: {_fmt(i)}"
                for t, i in zip(rows["theta"], rows["information"], strict=True)
            )
            typer.echo(f"form {f}: {len(form)} items; information {at}")
        proven = "optimal" if result.gap <= 1e-9 else f"within {result.gap:.2%} of the optimum"
        line = f"{what}: {_fmt(result.objective)} ({proven if result.status == 'optimal' else result.status})"
        if baseline is not None:
            line += f"; best of {n_random} random feasible forms: {_fmt(baseline)}"
        typer.echo(line)
        typer.echo(f"wrote {written}")
        typer.echo(f"export with: edutools export {paths[0]} --format moodle --out quiz.xml")
