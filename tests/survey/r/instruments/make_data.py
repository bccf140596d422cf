"""Write responses.csv: seeded simulated answers to BFI-10, TIPI and the trust scale.

Run once from the repository root: ``.venv/bin/python tests/survey/r/instruments/make_data.py``;
then ``Rscript tests/survey/r/instruments/reference.R`` computes the psych reference values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from edutools.survey.instruments import load_instrument

HERE = Path(__file__).parent
N = 300


def simulate(rng: np.random.Generator) -> pd.DataFrame:
    columns: dict[str, np.ndarray] = {}
    for name in ("bfi10", "tipi", "trust_automation"):
        inst = load_instrument(name)
        lo, hi = inst.scale.min, inst.scale.max
        mid, spread = (lo + hi) / 2, (hi - lo) / 4
        # The first subscale of each instrument defines the item's factor and sign.
        factors: dict[str, np.ndarray] = {}
        for s in inst.subscales:
            factors[s.id] = rng.normal(size=N)
        done: set[str] = set()
        for s in inst.subscales:
            for item in s.items:
                if item in done:
                    continue
                done.add(item)
                sign = -1.0 if item in s.reverse else 1.0
                loading = rng.uniform(0.5, 0.9)
                raw = mid + spread * (sign * loading * factors[s.id] + rng.normal(0, 0.7, N))
                columns[item] = np.clip(np.rint(raw), lo, hi)
    data = pd.DataFrame(columns, index=pd.Index([f"r{i:03d}" for i in range(N)], name="id"))
    mask = rng.random(data.shape) < 0.03
    return data.mask(mask)


if __name__ == "__main__":
    simulate(np.random.default_rng(20251101)).to_csv(HERE / "responses.csv", na_rep="NA")
