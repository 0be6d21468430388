#!/usr/bin/env bash
# The OpenAPI document against a running API (issue 18): schemathesis, every check, on every
# operation, with the fixed seed and settings of tests/api/schemathesis.toml, against
# `buurtkit demo` (the demo neighbourhood, SQLite) with a coordinator's API key; then once
# without a key (every 401 must be declared). The rules a schema cannot state are in
# tests/api/openapi_rules.py (loaded as a hooks module). CI runs the same settings in-process:
# tests/api/test_openapi_truth.py; this script is for a live server and a replayable curl
# (docs/architecture.md, "Fuzzing the document").
#   scripts/api_fuzz.sh [PYTHON_BIN_DIR]   (default ./.venv/bin; API_FUZZ_PORT, default 8131)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=$(cd "${1:-./.venv/bin}" && pwd)
PORT=${API_FUZZ_PORT:-8131}
DATA=$(mktemp -d)
export BUURTKIT_DATA_DIR="$DATA" DEBUG=1
env -u DATABASE_URL -u REDIS_URL "$BIN/buurtkit" demo --host 127.0.0.1 --port "$PORT" >"$DATA/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 600); do  # the demo neighbourhood is loaded before the server starts
  grep -q "buurtkit is running" "$DATA/server.log" && curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$DATA/server.log"; exit 1; }
  sleep 1
done
KEY=$(env -u DATABASE_URL -u REDIS_URL "$BIN/buurtkit" apikey --community rabot --role coordinator | grep -o 'bk_[A-Za-z0-9_-]*' | tail -1)
SCHEMA="http://127.0.0.1:$PORT/api/v1/openapi.json"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=tests.api.openapi_rules
ST=("$BIN/schemathesis" --config-file "$ROOT/tests/api/schemathesis.toml" run "$SCHEMA" --checks all
  --exclude-checks positive_data_acceptance --no-shrink --workers 2)
cd "$DATA"
"${ST[@]}" -H "Authorization: Bearer $KEY"
"${ST[@]}" --max-examples 1 --phases examples,fuzzing
