#!/usr/bin/env bash
# The load benchmark, from one command: 64 concurrent clients on the catalogue (API and
# pages), the case queue (API and page) and a case page, on SQLite and on PostgreSQL, first
# alone and then while extractions of a 100,000-person register run back to back.
# Each endpoint gets a capacity phase (requests per second) and a fixed-rate phase at 70%
# of it whose latencies count from each request's scheduled time (hdab-loadgen).
# Writes benches/LOAD.md (or HDAB_LOAD_OUT). Knobs: HDAB_LOAD_SECONDS (10), HDAB_LOAD_CLIENTS
# (64), HDAB_LOAD_PERSONS (100000), HDAB_LOAD_PROFILE (release; CI's bounded slice uses the
# debug build it already has: its figures say nothing about speed, only that nothing fails).
# Exits non-zero if any request was answered with a 5xx.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hdab-target}"
profile="${HDAB_LOAD_PROFILE:-release}"
out="${HDAB_LOAD_OUT:-benches/LOAD.md}"
# HDAB_LOAD_NO_BUILD=1 uses the binaries already in the target directory.
if [ "${HDAB_LOAD_NO_BUILD:-}" != 1 ]; then
  # One package per build: built together, the two would unify features differently from
  # every other build and rebuild DataFusion.
  release=$([ "$profile" = release ] && echo --release || true)
  cargo build $release -p hdab --locked
  cargo build $release -p hdab-loadgen --locked
fi
dir_of_profile=$([ "$profile" = release ] && echo release || echo debug)
hdab="$CARGO_TARGET_DIR/$dir_of_profile/hdab"
gen="$CARGO_TARGET_DIR/$dir_of_profile/hdab-loadgen"
seconds="${HDAB_LOAD_SECONDS:-10}"
clients="${HDAB_LOAD_CLIENTS:-64}"
persons="${HDAB_LOAD_PERSONS:-100000}"
pg_admin="$(bash .ci/postgres.sh)"
work=$(mktemp -d)
results="$work/results.jsonl"
server=""; extractor=""
cleanup() { kill $extractor $server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export CI=true   # no progress bars from hdab

echo "generating a register of $persons persons for the extraction load …"
"$hdab" synth --persons "$persons" --out "$work/big" >/dev/null
python3 -c 'import json,tomllib,sys; print(json.dumps(tomllib.load(open(sys.argv[1],"rb"))))' \
  pipelines/demo-application.toml > "$work/application.json"

for db in sqlite postgres; do
  echo "=== $db"
  dir="$work/$db"
  unset HDAB_DATABASE_URL
  if [ "$db" = postgres ]; then
    name="hdab_load_$$"
    psql -q "$pg_admin" -c "CREATE DATABASE $name" >/dev/null
    export HDAB_DATABASE_URL="${pg_admin%/*}/$name"
  fi
  "$hdab" demo --dir "$dir" >/dev/null
  export HDAB_DATA_DIR="$dir"
  printf 'a load benchmark password\n' | "$hdab" --as admin users password --id olle >/dev/null
  anna=$(HDAB_USER=anna "$hdab" users token --label load 2>/dev/null)
  olle=$(HDAB_USER=olle "$hdab" users token --label load 2>/dev/null)
  "$hdab" serve --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
  server=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
  base=$(grep -o 'http://[0-9.:]*' "$work/serve.out" | head -n 1)
  echo "filling the queue with 200 submitted applications …"
  case_id=""
  for _ in $(seq 1 200); do
    id=$(curl -sf -X POST -H "Authorization: Bearer $anna" -H 'Content-Type: application/json' \
      --data @"$work/application.json" "$base/api/v1/applications" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    curl -sf -o /dev/null -X POST -H "Authorization: Bearer $anna" -H 'Content-Type: application/json' \
      --data '{"command":"submit"}' "$base/api/v1/applications/$id/commands"
    case_id="$id"
  done
  cookie=$(curl -s -o /dev/null -D - -d 'user=olle&password=a+load+benchmark+password' "$base/login" \
    | grep -i '^set-cookie' | sed 's/^[^:]*: //; s/;.*//' | tr -d '\r')
  permit=$(curl -sf -H "Authorization: Bearer $olle" "$base/api/v1/permits?all=true" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
  sara=$(HDAB_USER=sara "$hdab" users token --label load 2>/dev/null)
  # The big register is sent for the permit's data order of it (the extraction reads the
  # orders' uploads).
  order=$(curl -sf -H "Authorization: Bearer $sara" "$base/api/v1/orders?permit=$permit" \
    | python3 -c 'import json,sys; print([o["id"] for o in json.load(sys.stdin) if o["dataset_id"] == "slutenvard"][0])')
  curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $sara" --data-binary @"$work/big/slutenvard.csv" \
    "$base/api/v1/orders/$order/uploads?reference_date=2024-03-31"
  run() { # label path [auth…]
    local label="$1" path="$2"; shift 2
    echo "  $label $path"
    "$gen" --base "$base" --path "$path" --clients "$clients" --seconds "$seconds" --label "$label" "$@" >>"$results"
  }
  for phase in idle extracting; do
    if [ "$phase" = extracting ]; then
      # Each round opts a person out or back in first: the registry changes, so every
      # extraction really runs (unchanged inputs would make it a no-op).
      otto=$(HDAB_USER=otto "$hdab" users token --label load 2>/dev/null)
      ( flag=true
        while true; do
          curl -s -o /dev/null -X POST -H "Authorization: Bearer $otto" -H 'Content-Type: application/json' \
            --data "{\"lines\": \"19121212-1212\", \"opt_out\": $flag}" "$base/api/v1/optouts"
          curl -s -o "$work/extract.json" -X POST -H "Authorization: Bearer $olle" "$base/api/v1/permits/$permit/extractions"
          echo >> "$work/extractions.count"
          if [ "$flag" = true ]; then flag=false; else flag=true; fi
        done ) &
      extractor=$!
      sleep 2
    fi
    run "$db/$phase" /api/v1/catalog
    run "$db/$phase" /catalog
    run "$db/$phase" /catalog/slutenvard
    run "$db/$phase" /api/v1/queue --token "$olle"
    run "$db/$phase" /cases --cookie "$cookie"
    run "$db/$phase" "/applications/$case_id" --cookie "$cookie"
    if [ -n "$extractor" ]; then
      kill "$extractor" 2>/dev/null || true; wait "$extractor" 2>/dev/null || true; extractor=""
      echo "  $(wc -l < "$work/extractions.count") extractions ran during the phase" | tee -a "$work/extractions.txt"
      rm -f "$work/extractions.count"
    fi
  done
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
done

python3 - "$results" "$clients" "$seconds" "$persons" "$work/extractions.txt" "$profile" > "$out" <<'PY'
import json, sys, platform, os, datetime
rows = [json.loads(l) for l in open(sys.argv[1])]
clients, seconds, persons = sys.argv[2], sys.argv[3], sys.argv[4]
extractions = [l.split()[0] for l in open(sys.argv[5])] if os.path.exists(sys.argv[5]) else []
print("# Load benchmark results\n")
print(f"`benches/load.sh` ({sys.argv[6]} build) on {datetime.date.today()}, {os.cpu_count()} cores ({platform.machine()}); "
      f"{clients} concurrent clients, {seconds} s per phase; server and load generator share the machine. "
      f"*extracting*: extractions of a {int(persons):,}-person in-patient register run back to back during the phase "
      f"(each after an opt-out change, so none is a no-op; {' and '.join(extractions) or 'unknown'} extractions ran, SQLite then PostgreSQL). "
      "The queue holds 200 submitted cases.\n")
print("Capacity: every client sends its next request when the previous one returns. "
      "Fixed rate: 70% of that capacity, scheduled; latency counts from the scheduled start (no coordinated omission).\n")
print("| database / phase | endpoint | capacity req/s | fixed-rate req/s | p50 ms | p99 ms | p99.9 ms | max ms | 5xx | other non-2xx |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
by = {}
for r in rows:
    by.setdefault((r["label"], r["path"]), {})[r["phase"]] = r
for (label, path), ph in by.items():
    c, f = ph.get("capacity", {}), ph.get("fixed_rate", {})
    errors = c.get("server_errors", 0) + f.get("server_errors", 0)
    other = c.get("non_2xx", 0) + f.get("non_2xx", 0) - errors + c.get("transport_errors", 0) + f.get("transport_errors", 0)
    print(f"| {label} | `{path}` | {c.get('requests_per_second')} | {f.get('requests_per_second')} | "
          f"{f.get('p50_ms')} | {f.get('p99_ms')} | {f.get('p999_ms')} | {f.get('max_ms')} | {errors} | {other} |")
PY
cat "$out"
# Any 5xx fails the run (the target is 0).
python3 - "$results" <<'PY'
import json, sys
bad = [(r["label"], r["path"], r["server_errors"]) for r in map(json.loads, open(sys.argv[1])) if r.get("server_errors")]
if bad:
    sys.exit(f"5xx answers under load: {bad}")
print("no 5xx under load")
PY
