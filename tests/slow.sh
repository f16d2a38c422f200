#!/usr/bin/env bash
# The slow suite, outside the default test run, from one command:
#   bash tests/slow.sh                 # everything (about three hours on 2 cores)
#   bash tests/slow.sh fuzz load       # only some parts: fuzz corpus faults tamper load
# Parts and their full sizes:
#   fuzz    cargo-fuzz: the identifier parser 10M executions (HDAB_FUZZ_ID_RUNS), CSV ingest,
#           Parquet ingest and the document readers 1M each (HDAB_FUZZ_RUNS), under the upload
#           boundary's caps (-rss_limit_mb/-malloc_limit_mb 2048, -timeout 30);
#           HDAB_FUZZ_SECONDS time-boxes each target instead (CI's slice).
#   corpus  every prefix and byte flip of three Parquet uploads (HDAB_MUTATION_STRIDE, 1).
#   faults  kills at each named step, the full disk, PostgreSQL down 5 s and 60 s, 27 random kills.
#   tamper  every single-byte change, deletion, swap, duplication, truncation of a 1,000-entry log.
#   load    benches/load.sh (64 clients, SQLite and PostgreSQL, idle and extracting).
# Figures are collected in $CARGO_TARGET_DIR/slow-figures.md and printed at the end.
# Needs root (tmpfs, PostgreSQL as the postgres user), like CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hdab-target}"
export CARGO_TERM_PROGRESS_WHEN=never
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(fuzz corpus faults tamper load)
figures="$CARGO_TARGET_DIR/slow-figures.md"
mkdir -p "$CARGO_TARGET_DIR"
: > "$figures"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
note() { echo "$*" | tee -a "$figures"; }
wants() { local p; for p in "${parts[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }

if wants fuzz; then
  step "fuzz: seeds"
  command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --version 0.13.2
  venv="${HDAB_VENV:-$HOME/.cache/hdab-venv}"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c 'import pyarrow' 2>/dev/null || "$venv/bin/pip" install -q -r tests/python/requirements.txt
  seeds="$work/seeds"
  mkdir -p "$seeds/csv" "$seeds/parquet" "$seeds/documents"
  head -n 21 sample-data/slutenvard.csv > "$seeds/csv/head20.csv"
  head -n 3 sample-data/slutenvard.csv | tr ';' ',' > "$seeds/csv/comma.csv"
  "$venv/bin/python" - "$seeds/parquet" <<'PY'
import sys, pyarrow as pa, pyarrow.csv as pc, pyarrow.parquet as pq
names = open("sample-data/slutenvard.csv").readline().strip().split(";")
t = pc.read_csv("sample-data/slutenvard.csv",
                parse_options=pc.ParseOptions(delimiter=";"),
                convert_options=pc.ConvertOptions(column_types={n: pa.string() for n in names})).slice(0, 20)
out = sys.argv[1]
pq.write_table(t, f"{out}/plain.parquet", compression="none")
pq.write_table(t, f"{out}/snappy-rg5.parquet", compression="snappy", row_group_size=5)
pq.write_table(t, f"{out}/zstd-v2.parquet", compression="zstd", data_page_version="2.0", use_dictionary=False)
PY
  cp catalog/*.toml pipelines/*.toml "$seeds/documents/"
  cargo build -q -p hdab --locked
  "$CARGO_TARGET_DIR/debug/hdab" demo --dir "$work/demo" >/dev/null
  cp "$work/demo/spe/P-2026-0001/slutenvard/manifest.json" "$seeds/documents/manifest.json"
  cat > "$seeds/documents/permit.json" <<'JSON'
{"id":"P-2026-0001","application_id":"A-2026-0001","spec":{"pseudonymised":true,"datasets":[{"dataset_id":"slutenvard","variables":["KON","HDIA"],"cohort":{"conditions":[{"kind":"code_prefix","columns":["HDIA"],"prefixes":["I21"]},{"kind":"date_range","column":"INDATUM","from":"2016-01-01","to":null},{"kind":"age_range","min":18,"max":null,"at":"2024-01-01"}]}}]},"spec_digest":"ab","spe_users":["anna"],"conditions":[],"granted_at":"2026-01-01T00:00:00Z","valid_until":"2027-01-01","key_id":"k","key_version":1,"revoked_at":null}
JSON
  limits=(-rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=30 -print_final_stats=1)
  fuzz() { # crate-dir target-dir target runs sanitizer seeds…
    local crate="$1" tdir="$2" target="$3" runs="$4" sanitizer="$5"; shift 5
    local corpus="$work/corpus-$target" log="$CARGO_TARGET_DIR/fuzz-$target.log"
    local panics="$CARGO_TARGET_DIR/fuzz-$target.panics"
    mkdir -p "$corpus"
    : > "$panics"
    local budget=(-runs="$runs") profile=()
    # The time-boxed slice (CI) builds without optimisations: the release build of the
    # pipeline's fuzz targets alone took over a quarter of a cold CI run.
    [ -z "${HDAB_FUZZ_SECONDS:-}" ] || { budget+=(-max_total_time="$HDAB_FUZZ_SECONDS"); profile=(--dev); }
    step "fuzz $target"
    local started=$SECONDS
    if (cd "$crate" && HDAB_FUZZ_PANIC_LOG="$panics" RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$CARGO_TARGET_DIR/$tdir" \
        cargo fuzz run "${profile[@]}" -s "$sanitizer" "$target" "$corpus" "$@" -- "${budget[@]}" "${limits[@]}") >"$log" 2>&1; then
      local n
      n=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
      local contained sites
      contained=$(wc -l < "$panics")
      sites=$(sed 's|.*/registry/src/[^/]*/||' "$panics" | sort | uniq -c | sort -rn | head -n 5 \
        | awk '{printf "%s%s ×%s", (NR>1?", ":""), $2, $1}')
      note "- fuzz $target: ${n:-?} executions in $((SECONDS - started)) s: 0 crashes (no panic escaped), 0 timeouts, 0 out-of-memory${sites:+; $contained reader panics caught inside the boundary ($sites)} (sanitizer: $sanitizer)"
    else
      tail -n 40 "$log"
      note "- fuzz $target: FAILED (input saved under $crate/fuzz/artifacts/$target/)"
      exit 1
    fi
  }
  fuzz crates/pseudonymise fuzz person_id "${HDAB_FUZZ_ID_RUNS:-10000000}" address
  fuzz crates/pipeline fuzz-pipeline csv_ingest "${HDAB_FUZZ_RUNS:-1000000}" none "$seeds/csv"
  fuzz crates/pipeline fuzz-pipeline parquet_ingest "${HDAB_FUZZ_RUNS:-1000000}" none "$seeds/parquet"
  fuzz crates/pipeline fuzz-pipeline documents "${HDAB_FUZZ_RUNS:-1000000}" none "$seeds/documents"
fi

if wants corpus; then
  step "mutation corpus (stride ${HDAB_MUTATION_STRIDE:-1})"
  HDAB_MUTATION_STRIDE="${HDAB_MUTATION_STRIDE:-1}" cargo test -q -p hdab --locked --test e2e -- mutation_corpus:: --nocapture 2>&1 \
    | tee "$work/corpus.log" | grep -oE "mutation corpus:.*" | sed 's/^/- /' | tee -a "$figures"
  grep -q "test result: ok" "$work/corpus.log"
fi

if wants faults; then
  step "faults: named-step kills, full disk, PostgreSQL down 5 s and 60 s, random kills"
  export HDAB_TEST_POSTGRES_URL="${HDAB_TEST_POSTGRES_URL:-$(bash .ci/postgres.sh)}"
  HDAB_FAULT_TESTS=1 HDAB_PG_OUTAGES="${HDAB_PG_OUTAGES:-5,60}" cargo test -q -p hdab --locked \
    --test e2e -- faults:: pg_outage:: pipeline_inputs:: --nocapture --test-threads 1 2>&1 \
    | tee "$work/faults.log" \
    | grep -oE "(killed at|[0-9]+ named steps|disk full|outage [0-9]|[0-9]+ writes ack|extraction with|[0-9]+ kills).*" \
    | sed 's/^/- /' | tee -a "$figures"
  ! grep -q "test result: FAILED" "$work/faults.log"
fi

if wants tamper; then
  step "tamper"
  cargo test -q -p hdab-store --locked --test tamper -- --nocapture 2>&1 | tee "$work/tamper.log" \
    | grep -iE "detected" | sed 's/^/- /' | tee -a "$figures"
  grep -q "test result: ok" "$work/tamper.log"
fi

if wants load; then
  step "load"
  bash benches/load.sh | tee "$work/load.log"
  note "- load: $(tail -n 1 "$work/load.log") (table: ${HDAB_LOAD_OUT:-benches/LOAD.md})"
fi

step "figures"
cat "$figures"
