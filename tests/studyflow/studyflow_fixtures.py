"""A small GSP study with a complete stimulus set, for flow, app, browser and load tests.

Built from the shipped style-preference study: two dimensions with three levels, two base
items, one within-chain of ``nodes`` nodes per participant, one attention check and the
BFI-10. The rewrites are labelled copies of the base response (a test needs distinct texts
per level, not real style transfer).
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from edutools.store import Store
from edutools.studyflow import Identity, ParticipantFlow, Position, StudyRuntime
from edutools.studyflow.questionnaire import questionnaire

ROOT = Path(__file__).parents[2]
SOURCE = ROOT / "studies" / "style_preference" / "study.yaml"


def small_study_dict(
    *,
    nodes: int = 3,
    attention_after: int = 2,
    instruments: tuple[str, ...] = ("bfi10",),
    design: str = "gsp",
) -> dict[str, Any]:
    """The study definition as a mapping (change it before writing for other cases).

    ``design="pairwise"`` makes a pairwise-choice study over the same rewrites instead.
    """
    data = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    data["id"] = "test-gsp-v1"
    data["title"] = "A small GSP test study"
    dims = []
    for d in data["dimensions"][:2]:
        d = dict(d)
        d["levels"] = [lv for lv in d["levels"] if lv["value"] in (1, 3, 5)]
        dims.append(d)
    data["dimensions"] = dims
    kept = {d["name"] for d in dims}
    measures = data.get("transfer", {}).get("validation_measures")
    if measures:
        data["transfer"]["validation_measures"] = {k: v for k, v in measures.items() if k in kept}
    data["base_items"] = data["base_items"][:2]
    data["instruments"] = [{"id": i, "position": "after_task"} for i in instruments]
    data["gsp"].update(chains_per_participant=1, max_nodes_per_chain=nodes, burn_in_nodes=1, seed=7)
    if design == "pairwise":
        data["id"] = "test-pairwise-v1"
        data["title"] = "A small pairwise test study"
        data["design"] = "pairwise"
        del data["gsp"]
        data["pairwise"] = {"features": ["n_words", "hedge_rate", "booster_rate"]}
    data["attention"] = {
        "max_failures": 0,
        "checks": [
            {
                "id": "attn_colour",
                "question": 'To show that you are reading carefully, please select "Purple".',
                "options": ["Red", "Green", "Purple", "Blue"],
                "correct": "Purple",
                "after_trial": attention_after,
            }
        ],
    }
    return data


def write_small_study(folder: Path, **kwargs: Any) -> Path:
    """Write study.yaml and a complete stimuli.csv into ``folder``; return the YAML path."""
    data = small_study_dict(**kwargs)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    names = [d["name"] for d in data["dimensions"]]
    grids = [[lv["value"] for lv in d["levels"]] for d in data["dimensions"]]
    with (folder / "stimuli.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["stimulus_id", "base_item", *names, "text"])
        for item in data["base_items"]:
            for combo in itertools.product(*grids):
                label = ", ".join(f"{n} {v}" for n, v in zip(names, combo, strict=True))
                sid = "-".join([item["id"], *map(str, combo)])
                w.writerow([sid, item["id"], *combo, f"[{label}] {item['response']}"])
    return path


def answer_current(flow: ParticipantFlow, pos: Position, *, attention_ok: bool = True) -> bool:
    """Give the current step a valid answer; returns what the write reported."""
    step = pos.step
    assert step is not None
    if step.kind == "gsp":
        assert pos.trial is not None
        return flow.answer_gsp(pos.trial, pos.trial.levels[0], rt_ms=1500.0)
    if step.kind == "attention":
        check = next(c for c in flow.runtime.study.attention.checks if c.id == step.ref)
        wrong = next(o for o in check.options if o != check.correct)
        return flow.answer_attention(step.index, check.correct if attention_ok else wrong)
    if step.kind == "questionnaire":
        use = next(u for u in flow.runtime.study.instruments if u.id == step.ref)
        q = questionnaire(use)
        return flow.answer_questionnaire(step.index, {i: q.scale[0] for i, _ in q.items})
    if step.is_pair:
        return flow.answer(step.index, {"choice": "AB"[step.slot % 2]}, rt_ms=2000.0)
    if step.kind == "practice":
        return flow.answer(step.index, {"value": step.data["levels"][-1]}, rt_ms=900.0)
    if step.kind == "consent":
        return flow.answer(step.index, {"agree": True})
    return flow.answer(step.index, {})


def run_participant(
    store: Store,
    runtime: StudyRuntime,
    key: str,
    *,
    ok: bool = True,
    steps: int = 99,
    seed: int = 0,
) -> None:
    """Take participant ``key`` through up to ``steps`` steps (questionnaire answers seeded)."""
    flow = ParticipantFlow.enter(store, runtime, Identity(key, prolific_pid=key))
    for _ in range(steps):
        pos = flow.position()
        if pos.state != "step":
            return
        if pos.step is not None and pos.step.kind == "questionnaire":
            q = questionnaire(runtime.study.instruments[0])
            # answers that differ between participants, so trait scores vary
            rng = np.random.default_rng(seed)
            answers = {item: int(rng.choice(q.scale)) for item, _ in q.items}
            flow.answer_questionnaire(pos.step.index, answers)
            continue
        answer_current(flow, pos, attention_ok=ok)


def load_worker(database_url: str, study_path: str, keys: list[str], seed: int) -> list[str]:
    """One process of the load test: register the study (idempotent), then run ``keys``.

    Every participant reloads (a fresh flow from the link and its token) before every step and
    repeats every answer once, as a double click would. Returns every exception raised, as
    text (none is expected: a busy database is retried inside the store).
    """
    import traceback

    from edutools.studyflow import load_bundle, load_runtime, register_study
    from edutools.studyflow.plan import FlowOptions

    problems: list[str] = []
    try:
        store = Store.from_url(database_url)  # on a new file: four processes create the schema
        study, stimuli = load_bundle(study_path)
        register_study(store, study, stimuli, FlowOptions(min_response_seconds=0))
        runtime = load_runtime(store, study.id)
        assert runtime is not None
    except Exception:  # reported to the test, which fails on any
        return [traceback.format_exc()]
    for n, key in enumerate(keys):
        rng = np.random.default_rng(seed * 1000 + n)
        try:
            flow = ParticipantFlow.enter(store, runtime, Identity(key, prolific_pid=key))
            token = flow.token
            while True:
                flow = ParticipantFlow.enter(store, runtime, Identity(key, token=token))
                pos = flow.position()
                if pos.state == "waiting":
                    continue
                if pos.state != "step":
                    break
                if pos.step is not None and pos.step.kind == "questionnaire":
                    q = questionnaire(runtime.study.instruments[0])
                    answers = {item: int(rng.choice(q.scale)) for item, _ in q.items}
                    for _ in range(2):
                        flow.answer_questionnaire(pos.step.index, answers)
                    continue
                for _ in range(2):
                    answer_current(flow, pos)
        except Exception:  # reported to the test, which fails on any
            problems.append(f"{key}: {traceback.format_exc()}")
    store.close()
    return problems
