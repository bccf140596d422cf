# Every target builds .venv when it is missing and reinstalls only when pyproject.toml changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PIP    := $(PY) -m pip --disable-pip-version-check -q

# The development venv holds every extra; py-irt (extra "bayes") caps pandas, rich, typer
# and click there, through the constraints file. Users' installs of the core are not capped.
EXTRAS := dev,bayes,postgres,auth,anthropic,google,ollama,bench
CONSTRAINTS := .ci/dev-constraints.txt

.PHONY: run test test-fresh check demo bench venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing edutools and its dependencies into $(VENV) ..."
	@# The CPU build of torch first: a bare torch requirement would pull GBs of CUDA.
	@$(PIP) install "torch==2.13.0" 2>&1 | grep -v "is ignored: it is neither" || true
	@$(PIP) install -c $(CONSTRAINTS) -e ".[$(EXTRAS)]" 2>&1 | grep -v "is ignored: it is neither" || true
	@$(PY) -c "import edutools, torch, py_irt" || { echo "installation failed"; exit 1; }
	@touch $(STAMP)

# Without a login (EDUTOOLS_APP_PASSWORD_HASH, or password_hash / [auth] in
# .streamlit/secrets.toml) the app listens on 127.0.0.1 only; EDUTOOLS_APP_ADDRESS overrides.
run: $(STAMP)
	@addr="$${EDUTOOLS_APP_ADDRESS:-}"; \
	if [ -z "$$addr" ]; then \
		if [ -n "$${EDUTOOLS_APP_PASSWORD_HASH:-}" ] || \
			grep -Eqs '^[[:space:]]*(password_hash[[:space:]]*=|\[auth)' .streamlit/secrets.toml; \
		then addr=0.0.0.0; else addr=127.0.0.1; fi; \
	fi; \
	echo "edutools app on http://$$addr:$${EDUTOOLS_APP_PORT:-8501}"; \
	exec $(VENV)/bin/streamlit run app.py --server.port $${EDUTOOLS_APP_PORT:-8501} \
		--server.headless true --server.fileWatcherType none --browser.gatherUsageStats false \
		--client.toolbarMode minimal --server.address "$$addr"

# The whole suite in the development venv, then the core alone in a fresh venv with the
# newest pandas, typer, click and rich (.ci/fresh_env.sh: CLI and I/O tests).
test: $(STAMP)
	$(PY) -m pytest
	@bash .ci/fresh_env.sh

test-fresh:
	@bash .ci/fresh_env.sh

check: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

demo: $(STAMP)
	@mkdir -p demo-output
	$(VENV)/bin/edutools validate edutools/data/example_course | tee demo-output/validate.txt
	$(VENV)/bin/edutools generate edutools/data/example_course --engine local --out demo-output/bank.json
	$(VENV)/bin/edutools claims edutools/data/example_course --out demo-output/claims.csv
	$(VENV)/bin/edutools evaluate demo-output/bank.json --labels edutools/data/example_course/answer_labels.csv | tee demo-output/evaluation.txt
	@# a scripted review: accept the items no check flagged (export takes accepted items only)
	$(VENV)/bin/edutools accept demo-output/bank.json --unflagged --out demo-output/bank.json
	$(VENV)/bin/edutools export demo-output/bank.json --format gift --out demo-output/quiz.gift
	$(VENV)/bin/edutools export demo-output/bank.json --format moodle --out demo-output/quiz.moodle.xml
	$(VENV)/bin/edutools export demo-output/bank.json --format qti --out demo-output/quiz.qti.zip
	$(VENV)/bin/edutools export demo-output/bank.json --format csv --out demo-output/quiz.csv
	$(VENV)/bin/edutools calibrate edutools/data/example_responses/responses.csv --model 2pl --items edutools/data/example_responses/items.json --out demo-output/calibration
	$(VENV)/bin/edutools study simulate --design gsp --study studies/style_preference/study.yaml --participants 80 --out demo-output/study/gsp-export
	$(VENV)/bin/edutools study analyze demo-output/study/gsp-export --design gsp --study studies/style_preference/study.yaml --out demo-output/study/gsp
	$(VENV)/bin/edutools study simulate --design pairwise --participants 200 --out demo-output/study/pairwise-export
	$(VENV)/bin/edutools study analyze demo-output/study/pairwise-export --design pairwise --n-boot 200 --out demo-output/study/pairwise

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
