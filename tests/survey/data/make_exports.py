"""Write the small valid exports the CLI tests corrupt (run once; the folders are committed).

.venv/bin/python tests/survey/data/make_exports.py
"""

from __future__ import annotations

from pathlib import Path

from edutools.survey.data import write_export
from edutools.survey.gsp import GSPDesign, GSPDimension
from edutools.survey.simulate import simulate_pairwise
from edutools.survey.simulate_gsp import GSPTruth, simulate_gsp

HERE = Path(__file__).parent

if __name__ == "__main__":
    pairwise = simulate_pairwise(
        n_participants=4,
        trials_per_participant=3,
        n_prompts=2,
        responses_per_prompt=2,
        attention_fail_rate=0.0,
        seed=5,
    )
    write_export(pairwise.export, HERE / "pairwise_small")
    design = GSPDesign(
        (GSPDimension("certainty", 0.0, 1.0), GSPDimension("verbosity", 0.0, 1.0)),
        ("B01",),
        chains_per_participant=1,
        max_nodes_per_chain=4,
        seed=5,
    )
    truth = GSPTruth(
        dimensions={"certainty": (0.0, 1.0), "verbosity": (0.0, 1.0)},
        means={"certainty": 0.6, "verbosity": 0.4},
        traits=("trust",),
        moderation={("certainty", "trust"): 0.1},
    )
    write_export(
        simulate_gsp(
            n_participants=3, truth=truth, design=design, attention_fail_rate=0.0, seed=5
        ).export,
        HERE / "gsp_small",
    )
