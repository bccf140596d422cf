#!/usr/bin/env bash
# Start a throwaway PostgreSQL on 127.0.0.1 for the storage tests and print its URL.
# Usage: eval "$(.ci/postgres.sh)"   -> exports EDUTOOLS_TEST_PG_URL
set -euo pipefail
PORT=${EDUTOOLS_PG_PORT:-54329}
DIR=${EDUTOOLS_PG_DIR:-/tmp/edutools-pg}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$BIN" ]; then
  echo "PostgreSQL binaries not found; install Debian's postgresql package" >&2
  exit 1
fi
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if ! as_pg "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  if [ ! -f "$DIR/PG_VERSION" ]; then
    mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    as_pg "$BIN/initdb" -D "$DIR" -A trust -U postgres >/dev/null
  fi
  as_pg "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w \
    -o "-h 127.0.0.1 -p $PORT -k /tmp -c fsync=off" start >/dev/null
fi
as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='edutools_test'" \
  | grep -q 1 || as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres edutools_test
echo "export EDUTOOLS_TEST_PG_URL=postgresql://postgres@127.0.0.1:$PORT/edutools_test"
