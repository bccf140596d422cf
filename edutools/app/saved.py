"""Saved researcher analyses: what the researcher pages store and reopen (no streamlit).

A calibration is stored with its inputs (the scored responses, option choices, item metadata,
item bank and person columns, each once by content hash), its fitted parameters and its
tables; reopening it draws the charts again from those, without refitting. Comparisons, DIF
tables and assembled forms are stored as children of their calibration, so the Downloads
page regenerates every file from the store after a reload or on another day.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

import numpy as np
import pandas as pd

from edutools.app import research
from edutools.errors import DataError
from edutools.irt.assembly import Assembly, Spec
from edutools.schema import ItemBank
from edutools.store import Store
from edutools.store.analyses import AnalysisInfo, frame_from_json, frame_to_json, jsonable

__all__ = [
    "AssemblyRun",
    "comparison",
    "dif",
    "label",
    "last_comparison_group",
    "last_dif_settings",
    "load_assembly",
    "load_calibration",
    "run_assembly",
    "save_calibration",
    "saved_assemblies",
    "saved_comparisons",
    "saved_difs",
]

# Only estimator results of edutools.irt are rebuilt from their stored fields.
_REBUILDABLE = "edutools.irt."


# --------------------------------------------------------------------------- results as JSON


def encode(value: Any) -> Any:
    """A fitted result (dataclasses of arrays, tables, tuples) as tagged JSON, no pickle."""
    if is_dataclass(value) and not isinstance(value, type):
        name = f"{type(value).__module__}.{type(value).__qualname__}"
        if not name.startswith(_REBUILDABLE):
            raise DataError(f"cannot store a {name}")
        return {
            "__dataclass__": name,
            "fields": {f.name: encode(getattr(value, f.name)) for f in fields(value)},
        }
    if isinstance(value, np.ndarray):
        return {"__ndarray__": jsonable(value.tolist()), "dtype": str(value.dtype)}
    if isinstance(value, pd.DataFrame):
        return {"__frame__": frame_to_json(value, index=True)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[encode(k), encode(v)] for k, v in value.items()]}
    return jsonable(value)


def decode(data: Any) -> Any:
    """The value :func:`encode` stored."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__ndarray__" in data:
        dtype = data["dtype"]
        values = data["__ndarray__"]
        if dtype.startswith(("float", "complex")):
            return np.array(values, dtype=float if dtype.startswith("float") else dtype)
        return np.array(values, dtype=dtype)
    if "__frame__" in data:
        return frame_from_json(data["__frame__"])
    if "__tuple__" in data:
        return tuple(decode(v) for v in data["__tuple__"])
    if "__dict__" in data:
        return {decode(k): decode(v) for k, v in data["__dict__"]}
    if "__dataclass__" in data:
        module, _, qualname = data["__dataclass__"].rpartition(".")
        if not data["__dataclass__"].startswith(_REBUILDABLE):
            raise DataError(f"cannot rebuild a {data['__dataclass__']}")
        cls = getattr(importlib.import_module(module), qualname)
        values = {k: decode(v) for k, v in data["fields"].items()}
        init = {f.name for f in fields(cls) if f.init}
        obj = cls(**{k: v for k, v in values.items() if k in init})
        for k, v in values.items():
            if k not in init:
                object.__setattr__(obj, k, v)
        return obj
    return {k: decode(v) for k, v in data.items()}


# --------------------------------------------------------------------------- inputs


def _save_data(store: Store, data: research.ResponseData) -> dict[str, str]:
    """Store every input of a dataset once; the hashes by role."""
    inputs = {"responses": store.save_input("responses", data.name, frame_to_json(data.scored, index=True))}  # fmt: skip
    if data.choices is not None:
        inputs["choices"] = store.save_input(
            "choices", data.name, frame_to_json(data.choices, index=True)
        )
    if data.metadata is not None:
        inputs["metadata"] = store.save_input("metadata", data.name, frame_to_json(data.metadata))
    if isinstance(data.key, ItemBank):
        inputs["bank"] = store.save_input("bank", data.name, data.key.model_dump(mode="json"))
    elif data.key is not None:
        inputs["key"] = store.save_input("key", data.name, dict(data.key))
    if data.groups is not None:
        inputs["groups"] = store.save_input(
            "groups", data.name, frame_to_json(data.groups, index=True)
        )
    return inputs


def _load_data(store: Store, name: str, inputs: dict[str, str]) -> research.ResponseData:
    def table(role: str) -> pd.DataFrame | None:
        return frame_from_json(store.load_input(inputs[role])) if role in inputs else None

    scored = table("responses")
    assert scored is not None
    scored.columns.name = "item"
    key: ItemBank | dict[str, str] | None = None
    if "bank" in inputs:
        key = ItemBank.model_validate(store.load_input(inputs["bank"]))
    elif "key" in inputs:
        key = dict(store.load_input(inputs["key"]))
    return research.ResponseData(
        name,
        scored,
        choices=table("choices"),
        key=key,
        metadata=table("metadata"),
        groups=table("groups"),
    )


# --------------------------------------------------------------------------- calibrations


def save_calibration(store: Store, report: research.CalibrationReport, model: str) -> int:
    """Store a calibration with its inputs and tables; the same one is stored once. Its id."""
    cal = report.calibration
    how = " by CML" if str(cal.method).lower().startswith("cml") else ""
    return store.save_analysis(
        "calibration",
        f"{model.upper()}{how} on {report.data.name}",
        inputs=_save_data(store, report.data),
        settings={
            "model": model,
            "method": cal.method,
            "n_quadrature": None if cal.quadrature is None else len(cal.quadrature),
        },
        result={
            "name": report.data.name,
            "calibration": encode(cal),
            "tables": {n: frame_to_json(t) for n, t in report.tables().items()},
            "warnings": list(report.warnings),
            "alpha": report.alpha,
            "summary": {
                "n_persons": cal.n_persons,
                "n_items": cal.n_items,
                "loglik": cal.loglik,
            },
        },
    )


def load_calibration(store: Store, analysis_id: int) -> research.CalibrationReport:
    """The report of a stored calibration: stored tables, charts drawn from stored parameters."""
    saved = store.get_analysis(analysis_id)
    if saved is None or saved.kind != "calibration":
        raise DataError(f"no saved calibration with id {analysis_id}")
    result = saved.result
    data = _load_data(store, result["name"], saved.inputs)
    alpha = result.get("alpha")
    return research.restore_report(
        data,
        decode(result["calibration"]),
        tables={n: frame_from_json(t) for n, t in result["tables"].items()},
        warnings=tuple(result.get("warnings", ())),
        alpha=math.nan if alpha is None else float(alpha),
    )


def label(info: AnalysisInfo) -> str:
    """How an analysis is listed: its title and when it was made."""
    when = info.created_at.strftime("%Y-%m-%d %H:%M")
    return f"{info.title} · {when}"


# --------------------------------------------------------------------------- children


def _reopen(store: Store, analysis_id: int, kind: str, parent_id: int) -> None:
    """Make a stored child the latest of its kind (a write only when it is not already)."""
    latest = store.list_analyses(kind, parent_id=parent_id, limit=1)
    if not latest or latest[0].id != analysis_id:
        store.open_analysis(analysis_id)


def comparison(
    store: Store,
    calibration_id: int,
    report: research.CalibrationReport,
    group: str,
    *,
    n_boot: int = 2000,
) -> pd.DataFrame:
    """The group comparison by ``group``: the stored one, or computed now and stored."""
    settings = {"group": group, "n_boot": n_boot, "seed": 0}
    found = store.find_analysis(
        "comparison", inputs={}, settings=settings, parent_id=calibration_id
    )
    if found is not None:
        store.open_analysis(found.id)
        return frame_from_json(found.result["table"])
    table = research.compare(report, group, n_boot=n_boot)
    store.save_analysis(
        "comparison",
        f"by {group}",
        inputs={},
        settings=settings,
        result={"table": frame_to_json(table)},
        parent_id=calibration_id,
    )
    return table


def saved_comparisons(store: Store, calibration_id: int) -> dict[str, pd.DataFrame]:
    """Every stored comparison of a calibration by its grouping column (latest first)."""
    out: dict[str, pd.DataFrame] = {}
    for info in store.list_analyses("comparison", parent_id=calibration_id):
        saved = store.get_analysis(info.id)
        if saved is not None:
            out.setdefault(saved.settings["group"], frame_from_json(saved.result["table"]))
    return out


def last_comparison_group(store: Store, calibration_id: int) -> str | None:
    """The grouping column of the calibration's most recent comparison."""
    found = store.list_analyses("comparison", parent_id=calibration_id, limit=1)
    return str(found[0].settings["group"]) if found else None


def dif(
    store: Store,
    calibration_id: int,
    report: research.CalibrationReport,
    column: str,
    reference: str,
    focal: str | None = None,
) -> pd.DataFrame:
    """Mantel–Haenszel DIF by a person column: the stored table, or computed now and stored."""
    settings = {"column": column, "reference": reference, "focal": focal}
    found = store.find_analysis("dif", inputs={}, settings=settings, parent_id=calibration_id)
    if found is not None:
        _reopen(store, found.id, "dif", calibration_id)
        return frame_from_json(found.result["table"])
    table = research.run_dif(report, column, reference, focal)
    store.save_analysis(
        "dif",
        f"DIF by {column}: {reference} vs {focal or 'the others'}",
        inputs={},
        settings=settings,
        result={"table": frame_to_json(table)},
        parent_id=calibration_id,
    )
    return table


def last_dif_settings(store: Store, calibration_id: int) -> dict[str, Any]:
    """Column, reference and focal group of the calibration's most recent DIF ({} if none)."""
    found = store.list_analyses("dif", parent_id=calibration_id, limit=1)
    return dict(found[0].settings) if found else {}


def saved_difs(store: Store, calibration_id: int) -> dict[str, pd.DataFrame]:
    """Every stored DIF table of a calibration by a file-name-safe label (latest first)."""
    out: dict[str, pd.DataFrame] = {}
    for info in store.list_analyses("dif", parent_id=calibration_id):
        saved = store.get_analysis(info.id)
        if saved is None:
            continue
        s = saved.settings
        name = "_".join(str(v) for v in (s["column"], s["reference"], "vs", s["focal"] or "others"))
        out.setdefault("".join(c if c.isalnum() or c in "-_" else "_" for c in name), frame_from_json(saved.result["table"]))  # fmt: skip
    return out


# --------------------------------------------------------------------------- assembly


@dataclass(frozen=True)
class AssemblyRun:
    """An assembly as stored: the forms, one item bank per form and the random baseline."""

    id: int
    assembly: Assembly
    banks: list[ItemBank]
    baseline: float | None
    n_random: int


def run_assembly(
    store: Store,
    calibration_id: int,
    report: research.CalibrationReport,
    spec: Spec,
    *,
    bank: ItemBank | None = None,
    n_random: int = 1000,
) -> AssemblyRun:
    """Assemble forms from a stored calibration (the stored result when it was done before)."""
    use = bank if bank is not None else report.data.key
    if not isinstance(use, ItemBank):
        raise DataError(
            "test assembly needs the items' content: calibrate with an item bank (.json) as "
            "metadata, or upload the bank here"
        )
    bank_hash = store.save_input("bank", "assembly bank", use.model_dump(mode="json"))
    settings = {**spec.to_dict(), "n_random": n_random}
    found = store.find_analysis(
        "assembly", inputs={"bank": bank_hash}, settings=settings, parent_id=calibration_id
    )
    if found is not None:
        _reopen(store, found.id, "assembly", calibration_id)
        return _assembly_run(found.id, found.result)
    made = research.run_assembly(report, use, spec, n_random=n_random)
    result = {
        "assembly": made.assembly.to_dict(),
        "banks": [b.model_dump(mode="json") for b in made.banks],
        "baseline": made.baseline,
        "n_random": n_random,
    }
    forms = "1 form" if spec.n_forms == 1 else f"{spec.n_forms} forms"
    thetas = ", ".join(f"{t:g}" for t in spec.target_theta)
    analysis_id = store.save_analysis(
        "assembly",
        f"{forms} of {spec.n_items} items at θ = {thetas}",
        inputs={"bank": bank_hash},
        settings=settings,
        result=result,
        parent_id=calibration_id,
    )
    return _assembly_run(analysis_id, jsonable(result))


def _assembly_run(analysis_id: int, result: dict[str, Any]) -> AssemblyRun:
    baseline = result.get("baseline")
    return AssemblyRun(
        id=analysis_id,
        assembly=Assembly.from_dict(result["assembly"]),
        banks=[ItemBank.model_validate(b) for b in result["banks"]],
        baseline=None if baseline is None else float(baseline),
        n_random=int(result.get("n_random", 0)),
    )


def load_assembly(store: Store, analysis_id: int) -> AssemblyRun:
    """A stored assembly."""
    saved = store.get_analysis(analysis_id)
    if saved is None or saved.kind != "assembly":
        raise DataError(f"no saved assembly with id {analysis_id}")
    return _assembly_run(saved.id, saved.result)


def saved_assemblies(store: Store, calibration_id: int) -> list[AnalysisInfo]:
    """The calibration's stored assemblies, most recently opened first."""
    return store.list_analyses("assembly", parent_id=calibration_id)
