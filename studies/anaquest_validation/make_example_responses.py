"""Write edutools/data/example_responses: a seeded simulated administration for ``make demo``.

    .venv/bin/python studies/anaquest_validation/make_example_responses.py

Uses the study's items (human bank + local engine), generating parameters
(``example_responses.scenario`` of study.yaml) and booklet design, with
``example_responses.persons`` persons. Writes ``responses.csv`` (wide, blank = not
administered), ``items.json`` (the item bank: source and key polarity of every item),
``true_parameters.csv`` and a README.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from design import ROOT, administer, collect_items, load_config, metadata, true_parameters

from edutools import io

HERE = Path(__file__).parent
TARGET = ROOT / "edutools" / "data" / "example_responses"

README = """# Example responses (simulated)

**Simulated data.** {persons} simulated students answer the {items} items of the example course
(the human-written bank and the local engine's items, {share:.0%} of the responses missing by a
booklet design). No real student answered these items. The generating parameters are in
`true_parameters.csv` (scenario `{scenario}` of `studies/anaquest_validation/study.yaml`).

| file | read by | holds |
|---|---|---|
| `responses.csv` | `edutools.io.read_responses` | wide 0/1 matrix, one row per student, blank = not administered |
| `items.json` | `edutools.io.read_item_bank` | the items with source and form (key polarity) |
| `true_parameters.csv` | evaluation only | the 2PL a and b the responses were drawn from |

Regenerate with `.venv/bin/python studies/anaquest_validation/make_example_responses.py`.
`make demo` calibrates them:
`edutools calibrate edutools/data/example_responses/responses.csv --items edutools/data/example_responses/items.json --out demo-output/calibration`.
"""


def main() -> int:
    cfg = load_config(HERE / "study.yaml")
    spec = cfg.example_responses
    index = [s.name for s in cfg.scenarios].index(spec.scenario)
    with tempfile.TemporaryDirectory() as tmp:
        bank, _ = collect_items(cfg.model_copy(update={"engines": ["local"]}), Path(tmp))
    meta = metadata(bank)
    seed = cfg.seed + 1000 * index + 7
    truth = true_parameters(meta, cfg.scenarios[index], seed)
    sim = administer(truth, spec.persons, cfg, seed + 1)
    TARGET.mkdir(parents=True, exist_ok=True)
    frame = sim.responses.copy()
    frame.index = [f"s{i:04d}" for i in range(1, len(frame) + 1)]
    io.write_responses(frame, TARGET / "responses.csv")
    io.write_item_bank(bank, TARGET / "items.json")
    truth.merge(meta, on="item").to_csv(
        TARGET / "true_parameters.csv", index=False, float_format="%.6f"
    )
    share = float(frame.isna().to_numpy().mean())
    text = README.format(
        persons=spec.persons, items=len(truth), share=share, scenario=spec.scenario
    )
    (TARGET / "README.md").write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
