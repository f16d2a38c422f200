#!/usr/bin/env bash
# Checks the live server against its own OpenAPI document with schemathesis: every operation,
# every check (server errors, status codes, content types, response schemas, acceptance of
# valid and rejection of invalid requests), as an admin on the sample installation.
# Usage: .ci/api-conformance.sh HDAB_BINARY PYTHON_VENV_BIN [MAX_EXAMPLES]
set -euo pipefail
hdab="$1"; venv_bin="$2"; examples="${3:-25}"
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$hdab" demo --dir "$work/demo" >/dev/null
export HDAB_DATA_DIR="$work/demo"
token=$(HDAB_USER=admin "$hdab" users token --label schemathesis 2>/dev/null)
"$hdab" serve --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
server=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/serve.out" 2>/dev/null && break
  sleep 0.1
done
base=$(grep -o 'http://[0-9.:]*' "$work/serve.out" | head -n 1)
echo "server at $base"
"$venv_bin/schemathesis" --config-file tests/schemathesis.toml run "$base/api/openapi.json" \
  -H "Authorization: Bearer $token" --max-examples "$examples" --no-color
