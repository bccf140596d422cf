"""The study's building blocks: configuration, item sources, generating parameters, administration.

run.py puts them together into the report; make_example_responses.py writes the demo data.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edutools import io
from edutools.errors import StudyError
from edutools.irt import Simulation, bank_metadata, simulate_responses
from edutools.schema import ItemBank, Provenance
from edutools.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
LLM_ENGINES = ("anaquest", "baseline")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Normal(_Strict):
    """Mean and SD of a normal distribution."""

    mean: float
    sd: float = Field(gt=0)


class Scenario(_Strict):
    """Generating parameters: b ~ N + shifts, log a ~ N, slopes scaled, by item metadata."""

    name: str
    description: str
    b: Normal
    log_a: Normal
    shift_b: dict[str, dict[str, float]] = Field(default_factory=dict)
    scale_a: dict[str, dict[str, float]] = Field(default_factory=dict)


class Booklet(_Strict):
    """Planned missingness: blocks of items, each person answers a share of the blocks."""

    blocks: int = Field(ge=2)
    missing_rate: float = Field(ge=0, lt=1)


class Comparison(_Strict):
    """Settings of the group comparison."""

    alpha: float = 0.05
    n_boot: int = 2000
    margins: dict[str, float] = Field(default_factory=dict)


class ExampleResponses(_Strict):
    """What make_example_responses.py writes."""

    scenario: str
    persons: int = Field(ge=50)


class StudyConfig(_Strict):
    """study.yaml."""

    seed: int
    date: str
    course: str
    human_bank: str
    engines: list[str]
    max_items_per_question: int = Field(ge=1)
    persons: int = Field(ge=100)
    booklet: Booklet
    comparison: Comparison
    scenarios: list[Scenario]
    example_responses: ExampleResponses

    def scenario(self, name: str) -> Scenario:
        """The scenario called ``name``."""
        for s in self.scenarios:
            if s.name == name:
                return s
        raise StudyError(
            f"no scenario {name!r} in study.yaml; scenarios: {', '.join(s.name for s in self.scenarios)}"
        )


def load_config(path: Path) -> StudyConfig:
    """Read and validate study.yaml."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return StudyConfig.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise StudyError(f"{path}: cannot read the study definition ({exc})") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise StudyError(f"{path}: {where}: {err['msg']}") from None


def _fixed_date(bank: ItemBank, date: str) -> ItemBank:
    """The bank with every provenance dated ``date``, so that regenerated files are identical."""
    when = datetime.fromisoformat(date + "T00:00:00+00:00")
    items = [
        it.model_copy(update={"provenance": it.provenance.model_copy(update={"created_at": when})})
        if it.provenance is not None
        else it
        for it in bank.items
    ]
    return bank.model_copy(
        update={"items": items, "run": bank.run.model_copy(update={"created_at": when})}
    )


def generate_bank(engine: str, cfg: StudyConfig, workdir: Path) -> ItemBank:
    """Run ``edutools generate COURSE --engine ENGINE`` into ``workdir`` and read the bank."""
    out = workdir / f"{engine}.json"
    env = {**os.environ, "EDUTOOLS_DATA_DIR": str(workdir / "data")}
    cli = Path(sys.executable).with_name("edutools")  # the console script next to this Python
    cmd = [
        str(cli), "generate", str(ROOT / cfg.course),
        "--engine", engine, "--out", str(out),
        "--max-items", str(cfg.max_items_per_question), "--seed", str(cfg.seed),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise StudyError(f"edutools generate --engine {engine} failed: {tail}")
    return _fixed_date(io.read_item_bank(out), cfg.date)


def collect_items(cfg: StudyConfig, workdir: Path) -> tuple[ItemBank, list[str]]:
    """The human bank and every engine's items in one bank, and notes on engines not run."""
    banks = [io.read_item_bank(ROOT / cfg.human_bank)]
    notes = []
    configured = Settings.from_env().llm_configured
    for engine in cfg.engines:
        if engine in LLM_ENGINES and not configured:
            notes.append(
                f"engine {engine} not run: no LLM provider configured (set OPENAI_API_KEY or OPENAI_BASE_URL)"
            )
            continue
        banks.append(generate_bank(engine, cfg, workdir))
    when = datetime.fromisoformat(cfg.date + "T00:00:00+00:00")
    merged = ItemBank(
        course_id=banks[0].course_id,
        k=banks[0].k,
        items=[it for b in banks for it in b.items],
        assertions=[a for b in banks for a in b.assertions],
        run=Provenance(
            engine="anaquest_validation",
            parameters={"sources": [b.run.engine for b in banks]},
            created_at=when,
        ),
    )
    return merged, notes


def true_parameters(meta: pd.DataFrame, scenario: Scenario, seed: int) -> pd.DataFrame:
    """Generating a and b of every item: base draws, then shifts and scales by metadata.

    b = N(b.mean, b.sd) + Σ shift_b[column][value], a = exp(N(log_a.mean, log_a.sd)) ·
    Π scale_a[column][value]; c = 0 (2PL).
    """
    rng = np.random.default_rng(seed)
    n = len(meta)
    b = rng.normal(scenario.b.mean, scenario.b.sd, n)
    a = np.exp(rng.normal(scenario.log_a.mean, scenario.log_a.sd, n))
    for column, shifts in scenario.shift_b.items():
        if column not in meta:
            raise StudyError(f"scenario {scenario.name}: shift_b names unknown column {column!r}")
        b = b + meta[column].map(shifts).fillna(0.0).to_numpy()
    for column, scales in scenario.scale_a.items():
        if column not in meta:
            raise StudyError(f"scenario {scenario.name}: scale_a names unknown column {column!r}")
        a = a * meta[column].map(scales).fillna(1.0).to_numpy()
    return pd.DataFrame({"item": meta["item"].to_numpy(), "a": a, "b": b, "d": -a * b, "c": 0.0})


def administer(truth: pd.DataFrame, persons: int, cfg: StudyConfig, seed: int) -> Simulation:
    """Simulated responses under a booklet design; items are shuffled across blocks first.

    Shuffling mixes sources and forms within every block, so that every item links to every
    other through shared persons: one calibration puts all items on one scale.
    """
    order = np.random.default_rng(seed).permutation(len(truth))
    shuffled = truth.iloc[order].reset_index(drop=True)
    sim = simulate_responses(
        shuffled,
        persons,
        seed=seed + 1,
        missing="booklet" if cfg.booklet.missing_rate > 0 else "none",
        missing_rate=cfg.booklet.missing_rate,
        n_blocks=cfg.booklet.blocks,
    )
    return Simulation(responses=sim.responses[list(truth["item"])], theta=sim.theta, items=truth)


def metadata(bank: ItemBank) -> pd.DataFrame:
    """Item metadata of the merged bank (source, form, key polarity, ...)."""
    return bank_metadata(bank)


def describe_sources(meta: pd.DataFrame) -> pd.DataFrame:
    """Items per source and key polarity."""
    return meta.groupby(["source", "key_polarity"]).size().unstack(fill_value=0).reset_index()


def to_jsonable(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a DataFrame as plain dicts (for small JSON summaries)."""
    return [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
        for r in frame.to_dict("records")
    ]
