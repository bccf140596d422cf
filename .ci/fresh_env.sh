#!/usr/bin/env bash
# The core of edutools (no extras) in a user's current environment.
#
# A fresh venv first gets the newest pandas (>= 3), typer, click and rich, as a user's
# environment would hold them; then `pip install .` must change none of them, a CLI usage
# error must be one line with exit code 2, and the CLI and I/O tests must pass there.
# Run by `make test` (and so by CI); `make test-fresh` runs it alone.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
# the CLI and I/O tests; a path that does not exist (yet) is left out (the README test runs in
# the development venv only: its commands take minutes, and the CLI tests cover the same parsing)
TESTS=(tests/test_cli.py tests/test_io.py tests/io tests/test_bad_inputs.py tests/test_schema.py
       tests/generate/test_cli_generate.py tests/irt/test_cli_calibrate.py
       tests/survey/test_cli_study.py)

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$PYTHON" -m venv "$dir/venv"
py="$dir/venv/bin/python"
pip() { "$py" -m pip --disable-pip-version-check -q "$@" 2>&1 | grep -v "is ignored: it is neither" || true; }
versions() { "$py" -m pip --disable-pip-version-check freeze 2>/dev/null | grep -iE '^(pandas|typer|click|rich)==' | sort | tr '\n' ' '; }

pip install "pandas>=3" typer click rich
before=$(versions)
pip install . pytest pytest-timeout hypothesis
after=$(versions)
"$py" -c "import edutools" || { echo "fresh venv: edutools did not install" >&2; exit 1; }
echo "fresh venv before pip install .: $before"
echo "fresh venv after  pip install .: $after"
if [ "$before" != "$after" ]; then
  echo "fresh venv: pip install . changed the user's packages" >&2
  exit 1
fi

# the acceptance check, as a user would type it
set +e
err=$(cd "$dir" && "$dir/venv/bin/edutools" export bank.json --format bogus --out x 2>&1 >/dev/null)
code=$?
set -e
echo "fresh venv: 'edutools export bank.json --format bogus --out x' -> exit $code: $err"
if [ "$code" != 2 ] || [ "$(printf '%s\n' "$err" | wc -l)" != 1 ]; then
  echo "fresh venv: a usage error must be one line with exit code 2" >&2
  exit 1
fi

run=()
for t in "${TESTS[@]}"; do [ -e "$t" ] && run+=("$t"); done
# the venv's pytest (not python -m pytest) so the installed copy is tested, not the checkout
"$dir/venv/bin/pytest" -q -p no:cacheprovider "${run[@]}"
