#!/usr/bin/env bash
# The extraction benchmark, from one command: builds hdab in release mode, creates a Python
# virtual environment with the baselines (Polars, DuckDB, pyarrow), and runs
# benches/extraction.py. Arguments go to it, e.g. `benches/run.sh --rows 1000000 --rows 10000000`;
# `benches/run.sh population --rows 10000000` runs benches/population.py instead,
# `benches/run.sh risk --rows 10000000` benches/risk.py (risk measurement and lattice search),
# `benches/run.sh gateway --rows 10000000` benches/gateway.py (16 researchers at once), and
# `benches/run.sh whole --rows 10000000` benches/whole_register.py (the whole in-patient
# register against DuckDB), and `benches/run.sh cluster --rows 10000000` benches/cluster.py
# (the same on a loopback Ballista cluster; builds the binary with `--features cluster`).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hdab-target}"
features=()
if [ "${1:-}" = cluster ]; then features=(--features cluster); fi
cargo build --release -p hdab --locked "${features[@]}"
# GNU time measures each pipeline's peak memory.
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
venv="${HDAB_VENV:-$HOME/.cache/hdab-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r tests/python/requirements.txt
bench=extraction
if [ "${1:-}" = population ]; then bench=population; shift; fi
if [ "${1:-}" = risk ]; then bench=risk; shift; fi
if [ "${1:-}" = gateway ]; then bench=gateway; shift; fi
if [ "${1:-}" = whole ]; then bench=whole_register; shift; fi
if [ "${1:-}" = cluster ]; then bench=cluster; shift; fi
"$venv/bin/python" "benches/$bench.py" --hdab "$CARGO_TARGET_DIR/release/hdab" "$@"
