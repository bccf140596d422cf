"""Time fit_glmer on the datasets glmer_reference.R timed lme4::glmer on (median of 5 fits).

OPENBLAS_NUM_THREADS=1 .venv/bin/python tests/glmm/r/time_fit_glmer.py
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import pandas as pd

from edutools.glmm import fit_glmer

HERE = Path(__file__).parent


def main() -> None:
    reference = json.loads((HERE / "glmer_reference.json").read_text())
    print(f"{'dataset':<15}{'rows':>7}{'fit_glmer s':>13}{'glmer s':>9}")
    for name in ("one_factor", "crossed", "crossed_large"):
        ref = reference[name]
        data = pd.read_csv(HERE / ref["file"])
        times = []
        for _ in range(5):
            start = time.perf_counter()
            fit_glmer(ref["formula"], data)
            times.append(time.perf_counter() - start)
        print(
            f"{name:<15}{len(data):>7}{statistics.median(times):>13.3f}{ref['seconds_median']:>9.3f}"
        )


if __name__ == "__main__":
    main()
