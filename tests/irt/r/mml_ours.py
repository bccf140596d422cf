"""Our MML estimates for the independent R likelihood of mml_likelihood.R.

    cd tests/irt/r && python mml_ours.py && Rscript mml_likelihood.R

Writes mml_ours.json: per case the data file, the model, and our a, thresholds, σ and
log-likelihood (61 nodes on [-6, 6]). test_reference_mml.py refits and checks that these
are still our estimates.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from edutools.irt import GPCM, GRM, PCM

HERE = Path(__file__).parent
CASES = {
    "gpcm_verbal": ("verbal_aggression.csv", GPCM),
    "grm_mixed_na": ("grm_mixed_na.csv", GRM),
    "pcm_verbal": ("verbal_aggression.csv", PCM),
}


def estimates() -> dict[str, dict]:  # type: ignore[type-arg]
    out = {}
    for name, (file, estimator) in CASES.items():
        m = estimator().fit(pd.read_csv(HERE / file))
        out[name] = {
            "data": file,
            "model": m.calibration_.model,
            "a": m.a_.tolist(),
            "thresholds": [b.tolist() for b in m.thresholds_],
            "sigma": m.sigma_,
            "loglik": m.loglik_,
        }
    return out


if __name__ == "__main__":
    (HERE / "mml_ours.json").write_text(json.dumps(estimates(), indent=1) + "\n")
