# Every target builds .venv when it is missing and reinstalls only when pyproject.toml changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PIP    := $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test check demo bench venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing edutools and its dependencies into $(VENV) ..."
	@# The CPU build of torch first: a bare torch requirement would pull GBs of CUDA.
	@$(PIP) install "torch==2.13.0" 2>&1 | grep -v "is ignored: it is neither" || true
	@$(PIP) install -e ".[dev,bayes]" 2>&1 | grep -v "is ignored: it is neither" || true
	@$(PY) -c "import edutools, torch, py_irt" || { echo "installation failed"; exit 1; }
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/streamlit run app.py --server.port 8501 --server.headless true \
		--browser.gatherUsageStats false --server.address $${EDUTOOLS_APP_ADDRESS:-127.0.0.1}

test: $(STAMP)
	$(PY) -m pytest

check: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

demo: $(STAMP)
	@mkdir -p demo-output
	$(VENV)/bin/edutools validate edutools/data/example_course | tee demo-output/validate.txt

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
