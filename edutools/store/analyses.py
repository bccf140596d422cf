"""Saved researcher analyses: calibrations, comparisons, DIF and test assemblies.

An analysis is stored once under a natural key, the hash of its kind, its inputs' content
hashes, its settings and its parent (a comparison's calibration). Inputs (response
matrices, item metadata, item banks) are stored once each under their content hash, so
an analysis can be reopened, and its downloads regenerated, after a reload or on another
day. Everything is JSON (tables as columns + rows); nothing is pickled.

Tables: ``analysis_inputs`` (content-addressed inputs) and ``analyses``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from edutools.errors import DataError
from edutools.store._base import _Repo, canonical_hash
from edutools.store.engine import insert_ignore
from edutools.store.tables import metadata, utcnow

__all__ = [
    "AnalysisInfo",
    "AnalysisRepo",
    "SavedAnalysis",
    "analyses",
    "analysis_inputs",
    "frame_from_json",
    "frame_to_json",
    "jsonable",
]

KINDS = ("calibration", "comparison", "dif", "assembly")

analysis_inputs = sa.Table(
    "analysis_inputs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("input_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, default=utcnow),
)

analyses = sa.Table(
    "analyses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("analysis_key", sa.String(64), nullable=False, unique=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("analyses.id")),
    sa.Column("inputs", sa.JSON, nullable=False),
    sa.Column("settings", sa.JSON, nullable=False),
    sa.Column("result", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, default=utcnow),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False, default=utcnow),
    sa.Index("ix_analyses_kind_opened", "kind", "opened_at"),
)


# --------------------------------------------------------------------------- JSON helpers


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars and arrays made plain and NaN/±inf made None.

    PostgreSQL's JSON type refuses NaN, so every stored payload goes through this. Raises
    DataError for a value JSON cannot hold (nothing is ever pickled).
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    raise DataError(f"cannot store a {type(value).__name__} as JSON; convert it to a table first")


def frame_to_json(frame: pd.DataFrame, *, index: bool = False) -> dict[str, Any]:
    """A DataFrame as JSON: column names, dtypes and rows (missing values as null).

    With ``index=True`` the index is kept (its name and values) as well.

    Example
    -------
    >>> frame_from_json(frame_to_json(pd.DataFrame({"a": [1.0, None]})))["a"].isna().tolist()
    [False, True]
    """
    out: dict[str, Any] = {
        "columns": [str(c) for c in frame.columns],
        "dtypes": [str(t) for t in frame.dtypes],
        "data": jsonable(frame.astype(object).to_numpy().tolist()),
    }
    if index:
        out["index"] = {"name": frame.index.name, "values": jsonable(list(frame.index))}
    return out


def frame_from_json(data: Mapping[str, Any]) -> pd.DataFrame:
    """The DataFrame stored by :func:`frame_to_json`, with its dtypes."""
    columns = list(data["columns"])
    frame = pd.DataFrame(data["data"], columns=columns)
    if not len(frame):
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    for column, dtype in zip(columns, data.get("dtypes", []), strict=False):
        if dtype.startswith(("float", "int")) and frame[column].isna().any():
            dtype = "float64"  # an integer column with a missing value
        elif dtype == "bool" and frame[column].isna().any():
            dtype = "boolean"
        # A column that does not convert (e.g. mixed values) stays as JSON gave it.
        with contextlib.suppress(TypeError, ValueError):
            frame[column] = frame[column].astype(dtype)
    if "index" in data:
        frame.index = pd.Index(data["index"]["values"], name=data["index"]["name"])
    return frame


# --------------------------------------------------------------------------- the repository


@dataclass(frozen=True)
class AnalysisInfo:
    """A stored analysis without its result (for lists)."""

    id: int
    key: str
    kind: str
    title: str
    parent_id: int | None
    inputs: dict[str, Any]
    settings: dict[str, Any]
    created_at: datetime
    opened_at: datetime


@dataclass(frozen=True)
class SavedAnalysis(AnalysisInfo):
    """A stored analysis with its result."""

    result: dict[str, Any]


_INFO_COLUMNS = (
    analyses.c.id,
    analyses.c.analysis_key,
    analyses.c.kind,
    analyses.c.title,
    analyses.c.parent_id,
    analyses.c.inputs,
    analyses.c.settings,
    analyses.c.created_at,
    analyses.c.opened_at,
)


def analysis_key(
    kind: str, inputs: Mapping[str, Any], settings: Mapping[str, Any], parent_id: int | None
) -> str:
    """The natural key of an analysis: what it was computed from and how."""
    return canonical_hash(
        {"kind": kind, "inputs": jsonable(inputs), "settings": jsonable(settings),
         "parent": parent_id}
    )  # fmt: skip


class AnalysisRepo(_Repo):
    """Save, list and reopen researcher analyses and their inputs."""

    def save_input(self, kind: str, name: str, data: Any) -> str:
        """Store an input (a table, a bank, a calibration) once; returns its content hash."""
        payload = jsonable(data)
        digest = canonical_hash({"kind": kind, "data": payload})
        with self.engine.begin() as conn:
            insert_ignore(
                conn,
                analysis_inputs,
                {"input_hash": digest, "kind": kind, "name": name, "data": payload},
                ["input_hash"],
            )
        return digest

    def load_input(self, input_hash: str) -> Any:
        """A stored input's data (DataError when no input has this hash)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(analysis_inputs.c.data).where(analysis_inputs.c.input_hash == input_hash)
            ).first()
        if row is None:
            raise DataError(f"no stored analysis input {input_hash[:12]}; run the analysis again")
        return row[0]

    def save_analysis(
        self,
        kind: str,
        title: str,
        *,
        inputs: Mapping[str, Any],
        settings: Mapping[str, Any],
        result: Mapping[str, Any],
        parent_id: int | None = None,
    ) -> int:
        """Store an analysis; a repeat (same kind, inputs, settings, parent) keeps the first.

        Either way the analysis becomes the most recently opened one. Returns its id.
        """
        if kind not in KINDS:
            raise DataError(f"unknown analysis kind {kind!r}; expected one of {', '.join(KINDS)}")
        key = analysis_key(kind, inputs, settings, parent_id)
        now = utcnow()
        with self.engine.begin() as conn:
            inserted = insert_ignore(
                conn,
                analyses,
                {
                    "analysis_key": key,
                    "kind": kind,
                    "title": title,
                    "parent_id": parent_id,
                    "inputs": jsonable(inputs),
                    "settings": jsonable(settings),
                    "result": jsonable(result),
                    "created_at": now,
                    "opened_at": now,
                },
                ["analysis_key"],
            )
            if not inserted:
                conn.execute(
                    sa.update(analyses).where(analyses.c.analysis_key == key).values(opened_at=now)
                )
            return int(
                conn.execute(
                    sa.select(analyses.c.id).where(analyses.c.analysis_key == key)
                ).scalar_one()
            )

    def find_analysis(
        self,
        kind: str,
        *,
        inputs: Mapping[str, Any],
        settings: Mapping[str, Any],
        parent_id: int | None = None,
    ) -> SavedAnalysis | None:
        """The stored analysis with exactly these inputs and settings, or None."""
        key = analysis_key(kind, inputs, settings, parent_id)
        return self._one(analyses.c.analysis_key == key)

    def analysis_info(self, analysis_id: int) -> AnalysisInfo | None:
        """A stored analysis by id without its result (cheap), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(*_INFO_COLUMNS).where(analyses.c.id == analysis_id)
            ).first()
        return None if row is None else AnalysisInfo(*row)

    def get_analysis(self, analysis_id: int) -> SavedAnalysis | None:
        """A stored analysis by id, or None."""
        return self._one(analyses.c.id == analysis_id)

    def open_analysis(self, analysis_id: int) -> SavedAnalysis:
        """A stored analysis by id, made the most recently opened one of its kind."""
        with self.engine.begin() as conn:
            done = conn.execute(
                sa.update(analyses).where(analyses.c.id == analysis_id).values(opened_at=utcnow())
            )
        found = self.get_analysis(analysis_id) if done.rowcount else None
        if found is None:
            raise DataError(f"no saved analysis with id {analysis_id}")
        return found

    def last_analysis(self, kind: str, *, parent_id: int | None = None) -> SavedAnalysis | None:
        """The most recently opened (or saved) analysis of ``kind``, or None."""
        found = self.list_analyses(kind, parent_id=parent_id, limit=1)
        return self.get_analysis(found[0].id) if found else None

    def list_analyses(
        self, kind: str | None = None, *, parent_id: int | None = None, limit: int = 100
    ) -> list[AnalysisInfo]:
        """Stored analyses, most recently opened first (optionally of one kind or parent)."""
        stmt = sa.select(*_INFO_COLUMNS).order_by(analyses.c.opened_at.desc(), analyses.c.id.desc())
        if kind is not None:
            stmt = stmt.where(analyses.c.kind == kind)
        if parent_id is not None:
            stmt = stmt.where(analyses.c.parent_id == parent_id)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt.limit(limit)).all()
        return [AnalysisInfo(*row) for row in rows]

    def _one(self, where: Any) -> SavedAnalysis | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*_INFO_COLUMNS, analyses.c.result).where(where)).first()
        if row is None:
            return None
        info = AnalysisInfo(*row[:-1])
        return SavedAnalysis(
            **{f.name: getattr(info, f.name) for f in fields(info)}, result=row[-1]
        )
