"""Response datasets and their calibrations."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from edutools.errors import DataError
from edutools.store._base import _Repo, canonical_hash
from edutools.store.engine import insert_ignore
from edutools.store.tables import calibrations, response_datasets


def _matrix_payload(frame: pd.DataFrame) -> dict[str, Any]:
    values = frame.to_numpy(dtype=float)
    cells = [[None if np.isnan(v) else int(v) for v in row] for row in values]
    return {
        "persons": [str(p) for p in frame.index],
        "items": [str(c) for c in frame.columns],
        "values": cells,
    }


class ResponseRepo(_Repo):
    """Save response matrices (deduplicated by content) and calibration results."""

    def save_dataset(self, name: str, frame: pd.DataFrame) -> int:
        """Store a persons × items matrix (0/1/NaN); the same content is stored once."""
        payload = _matrix_payload(frame)
        key = hashlib.sha256(canonical_hash(payload).encode()).hexdigest()
        with self.engine.begin() as conn:
            insert_ignore(
                conn,
                response_datasets,
                {
                    "dataset_key": key,
                    "name": name,
                    "n_persons": frame.shape[0],
                    "n_items": frame.shape[1],
                    "data": payload,
                },
                ["dataset_key"],
            )
            return int(
                conn.execute(
                    sa.select(response_datasets.c.id).where(response_datasets.c.dataset_key == key)
                ).scalar_one()
            )

    def load_dataset(self, dataset_id: int) -> pd.DataFrame:
        """The stored matrix as a persons × items float DataFrame (NaN = missing)."""
        with self.engine.connect() as conn:
            data = conn.execute(
                sa.select(response_datasets.c.data).where(response_datasets.c.id == dataset_id)
            ).scalar_one_or_none()
        if data is None:
            raise DataError(f"no response dataset with id {dataset_id}")
        values = np.array(
            [[np.nan if v is None else v for v in row] for row in data["values"]], dtype=float
        )
        return pd.DataFrame(
            values.reshape(len(data["persons"]), len(data["items"])),
            index=pd.Index(data["persons"], name="person"),
            columns=pd.Index(data["items"], name="item"),
        )

    def save_calibration(
        self, dataset_id: int, model: str, settings: dict[str, Any], result: dict[str, Any]
    ) -> int:
        """Store a calibration result; the same dataset, model and settings are stored once."""
        digest = canonical_hash(settings)
        with self.engine.begin() as conn:
            insert_ignore(
                conn,
                calibrations,
                {
                    "dataset_id": dataset_id,
                    "model": model,
                    "settings_hash": digest,
                    "result": result,
                },
                ["dataset_id", "model", "settings_hash"],
            )
            return int(
                conn.execute(
                    sa.select(calibrations.c.id).where(
                        calibrations.c.dataset_id == dataset_id,
                        calibrations.c.model == model,
                        calibrations.c.settings_hash == digest,
                    )
                ).scalar_one()
            )

    def get_calibration(
        self, dataset_id: int, model: str, settings: dict[str, Any]
    ) -> dict[str, Any] | None:
        """A stored calibration result, or None."""
        with self.engine.connect() as conn:
            result = conn.execute(
                sa.select(calibrations.c.result).where(
                    calibrations.c.dataset_id == dataset_id,
                    calibrations.c.model == model,
                    calibrations.c.settings_hash == canonical_hash(settings),
                )
            ).scalar_one_or_none()
        return None if result is None else dict(result)
