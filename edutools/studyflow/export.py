"""Turn a running study's stored data into the analysis export of :mod:`edutools.survey.data`.

Participants appear under pseudonyms (``P0001`` in order of assignment): the export a
researcher analyses and shares never holds Prolific ids. Only sessions that ended (completed,
or excluded by an attention check) are exported; sessions still running are left out until
they end. The raw tables (with Prolific ids, for payment) come from :func:`raw_tables`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from edutools.errors import StudyError
from edutools.store import Store
from edutools.studyflow.runtime import StudyRuntime
from edutools.survey.data import Dimension, Manifest, StudyExport
from edutools.survey.styles import measure_styles

__all__ = ["export_study", "raw_tables"]

_ENDED = ("completed", "excluded")


def raw_tables(store: Store, runtime: StudyRuntime) -> dict[str, pd.DataFrame]:
    """Every stored row of the study: participants, trials, questionnaires, events and GSP."""
    tables = store.study_tables(runtime.study_id)
    if runtime.gsp is not None:
        tables["gsp_trials"] = runtime.gsp.trials_frame()
        tables["gsp_nodes"] = runtime.gsp.nodes_frame()
    return tables


def _participants(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, dict[int, str]]:
    people = tables["participants"]
    if people.empty:
        raise StudyError("no participant has finished yet; there is nothing to export")
    people = people.sort_values("id")
    alias = {int(pid): f"P{n:04d}" for n, pid in enumerate(people["id"], start=1)}
    ended = people[people["status"].isin(_ENDED)]
    if ended.empty:
        raise StudyError("no participant has finished yet; there is nothing to export")
    trials = tables["trials"]
    attention: dict[int, bool] = {}
    if not trials.empty:
        for row in trials[trials["kind"] == "attention"].itertuples():
            ok = bool(row.response.get("correct", False))
            attention[int(row.participant_id)] = attention.get(int(row.participant_id), True) and ok
    rows = [
        {
            "participant_id": alias[int(pid)],
            "population": "",
            "attention_passed": attention.get(int(pid)),
        }
        for pid in ended["id"]
    ]
    keep = {int(pid): alias[int(pid)] for pid in ended["id"]}
    return pd.DataFrame(rows, columns=["participant_id", "population", "attention_passed"]), keep


def _questionnaires(tables: dict[str, pd.DataFrame], keep: dict[int, str]) -> pd.DataFrame:
    q = tables["questionnaires"]
    columns = ["participant_id", "instrument", "item", "response"]
    if q.empty:
        return pd.DataFrame(columns=columns)
    q = q[q["participant_id"].isin(keep) & q["value"].notna()].sort_values("id")
    return pd.DataFrame(
        {
            "participant_id": q["participant_id"].map(keep),
            "instrument": q["instrument"],
            "item": q["item_id"],
            "response": q["value"].astype(float),
        },
        columns=columns,
    ).reset_index(drop=True)


def _gsp(runtime: StudyRuntime, keep: dict[int, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    if runtime.gsp is None:  # pragma: no cover - called for GSP studies only
        raise StudyError("not a GSP study")
    raw = runtime.gsp.trials_frame()
    raw = raw[raw["participant"].astype(int).isin(keep)]
    trials = pd.DataFrame(
        {
            "participant_id": raw["participant"].astype(int).map(keep),
            "chain_id": raw["chain"],
            "node": raw["node"].astype(int),
            "trial": raw["slot"].astype(int) + 1,
            "prompt_id": raw["base_item"],
            "dimension": raw["dimension"],
            "start_value": raw["start_value"].astype(float),
            "reversed": raw["reverse"].astype(bool),
            "response": raw["response"].astype(float),
            "rt_ms": raw["rt_ms"],
        }
    ).reset_index(drop=True)
    names = list(runtime.gsp.design.names)
    nodes = runtime.gsp.nodes_frame()
    nodes = nodes[nodes["chain"].isin(set(trials["chain_id"]))]
    nodes = nodes.melt(
        id_vars=["chain", "node"], value_vars=names, var_name="dimension", value_name="value"
    ).rename(columns={"chain": "chain_id"})
    return trials, nodes.sort_values(["chain_id", "node", "dimension"]).reset_index(drop=True)


def _pairs(
    runtime: StudyRuntime, tables: dict[str, pd.DataFrame], keep: dict[int, str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    t = tables["trials"]
    t = t[(t["kind"] == "pair") & t["participant_id"].isin(keep)].sort_values(
        ["participant_id", "trial_index"]
    )
    rows: list[dict[str, Any]] = []
    for row in t.itertuples():
        rows.append(
            {
                "participant_id": keep[int(row.participant_id)],
                "trial": 0,
                "prompt_id": row.stimulus["base_item"],
                "response_a": row.stimulus["a"],
                "response_b": row.stimulus["b"],
                "choice": row.response["choice"],
            }
        )
    trials = pd.DataFrame(
        rows, columns=["participant_id", "trial", "prompt_id", "response_a", "response_b", "choice"]
    )
    trials["trial"] = trials.groupby("participant_id").cumcount() + 1
    shown = sorted(set(trials["response_a"]) | set(trials["response_b"]))
    stimuli = [runtime.stimuli.by_id(s) for s in shown]
    responses = pd.DataFrame(
        {
            "response_id": [s.id for s in stimuli],
            "prompt_id": [s.base_item for s in stimuli],
            "text": [s.text for s in stimuli],
        }
    )
    measured = measure_styles({s.id: s.text for s in stimuli})
    styles = measured.melt(id_vars=["response_id"], var_name="feature", value_name="value")
    return trials, responses, styles.sort_values(["response_id", "feature"]).reset_index(drop=True)


def export_study(store: Store, runtime: StudyRuntime) -> StudyExport:
    """The analysis export of a stored study (validated by the survey export format).

    Parameters
    ----------
    store
        Where the study's data live.
    runtime
        The study (from :func:`edutools.studyflow.load_runtime`).

    Returns
    -------
    StudyExport
        Write it with :func:`edutools.survey.data.write_export`; analyse it with
        :func:`edutools.survey.report.analyze_export`.

    Example
    -------
    >>> export = export_study(store, load_runtime(store, "style-preference-gsp-v1"))  # doctest: +SKIP
    >>> write_export(export, "export/")  # doctest: +SKIP
    """
    tables = store.study_tables(runtime.study_id)
    participants, keep = _participants(tables)
    questionnaires = _questionnaires(tables, keep)
    study = runtime.study
    dims = tuple(Dimension(name=d.name, low=d.low, high=d.high) for d in study.dimensions)
    empty = {
        "responses": pd.DataFrame(columns=["response_id", "prompt_id", "text"]),
        "styles": pd.DataFrame(columns=["response_id", "feature", "value"]),
        "nodes": pd.DataFrame(columns=["chain_id", "node", "dimension", "value"]),
    }
    if study.design == "gsp":
        trials, nodes = _gsp(runtime, keep)
        parts = {**empty, "nodes": nodes}
    else:
        trials, responses, styles = _pairs(runtime, tables, keep)
        parts = {**empty, "responses": responses, "styles": styles}
    return StudyExport(
        manifest=Manifest(design=study.design, study_id=study.id, dimensions=dims),
        participants=participants,
        trials=trials,
        questionnaires=questionnaires,
        traits=pd.DataFrame(columns=["participant_id", "trait", "score"]),
        **parts,
    )
