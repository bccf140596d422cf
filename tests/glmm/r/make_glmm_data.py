"""Write the simulated datasets that glmer_reference.R fits (run once; the CSVs are committed).

.venv/bin/python tests/glmm/r/make_glmm_data.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def one_factor(seed: int = 20251) -> pd.DataFrame:
    """60 participants x 40 trials; a numeric x, a 3-level factor and their interaction."""
    rng = np.random.default_rng(seed)
    n_p, n_t = 60, 40
    participant = np.repeat([f"p{i:02d}" for i in range(n_p)], n_t)
    x = rng.normal(size=n_p * n_t)
    style = rng.choice(["assertive", "hedged", "neutral"], size=n_p * n_t)
    b = rng.normal(0.0, 0.8, n_p)[np.repeat(np.arange(n_p), n_t)]
    eff = {"assertive": 0.0, "hedged": -0.5, "neutral": 0.3}
    slope = {"assertive": 0.6, "hedged": 0.2, "neutral": 0.6}
    eta = 0.2 + np.array([eff[s] for s in style]) + np.array([slope[s] for s in style]) * x + b
    y = (rng.random(n_p * n_t) < 1 / (1 + np.exp(-eta))).astype(int)
    return pd.DataFrame({"participant": participant, "x": x.round(4), "style": style, "y": y})


def crossed(seed: int = 20252, n_p: int = 80, n_i: int = 30) -> pd.DataFrame:
    """n_p participants x n_i items, fully crossed; a style level, a trait and their interaction."""
    rng = np.random.default_rng(seed)
    pi = np.repeat(np.arange(n_p), n_i)
    ii = np.tile(np.arange(n_i), n_p)
    trait = rng.normal(size=n_p)[pi]
    level = rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], size=n_p * n_i)
    eta = -0.3 + 0.8 * level + 0.1 * trait + 0.4 * level * trait
    eta += rng.normal(0.0, 0.7, n_p)[pi] + rng.normal(0.0, 0.5, n_i)[ii]
    y = (rng.random(n_p * n_i) < 1 / (1 + np.exp(-eta))).astype(int)
    return pd.DataFrame(
        {
            "participant": [f"p{i:03d}" for i in pi],
            "item": [f"i{i:02d}" for i in ii],
            "level": level,
            "trait": trait.round(4),
            "y": y,
        }
    )


if __name__ == "__main__":
    one_factor().to_csv(HERE / "glmm_one_factor.csv", index=False)
    crossed().to_csv(HERE / "glmm_crossed.csv", index=False)
    crossed(seed=20253, n_p=400, n_i=60).to_csv(HERE / "glmm_crossed_large.csv", index=False)
