"""The public API: every exported name resolves, and light imports stay light."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = [
    "edutools",
    "edutools.survey",
    "edutools.generate",
    "edutools.irt",
    "edutools.export",
    "edutools.store",
]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    assert len(set(module.__all__)) == len(module.__all__)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("import edutools; edutools.TwoPL; edutools.read_course", id="irt-and-io"),
        pytest.param(
            "import edutools.survey as s; s.fit_glmer; s.measure_styles; s.InMemoryGSP",
            id="survey-statistics",
        ),
        pytest.param(
            "import edutools.generate.quality, edutools.generate.assemble",
            id="generate-light-modules",
        ),
    ],
)
def test_statistics_and_io_do_not_load_the_llm_stack(statement: str) -> None:
    code = f"{statement}; import sys; print(sorted(m for m in ('openai', 'langchain_core', 'streamlit') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_unknown_name() -> None:
    import edutools

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        edutools.nope  # noqa: B018
