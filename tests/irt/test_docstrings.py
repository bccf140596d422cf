"""The docstring examples of edutools.irt run (those not marked to skip)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import edutools.irt

MODULES = sorted(m.name for m in pkgutil.iter_modules(edutools.irt.__path__, "edutools.irt."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
