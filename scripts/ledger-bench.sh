#!/usr/bin/env bash
# The ledger service's bench (bench/ledger/ledger_bench.py): builds the service at
# opt-level 3 (the release profile is size-optimised for the .wasm), starts a throwaway
# PostgreSQL cluster (scripts/postgres.sh), runs the bench on SQLite and PostgreSQL side
# by side with each database's bare-transaction floor, and the restart measurement. The
# load comes from a compiled client (benches/push_load.rs; `--client python` for the old
# Python threads). PGPORT picks the throwaway cluster's port (default 55432).
# Arguments go to the bench (e.g. --seconds 8 --restart-mutations 1000000).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
cargo build --locked --release -p credit-meter-ledger-service --bin credit-meter-ledger >&2
# The compiled load generator and SQLite floor (crates/ledger-service/benches/push_load.rs).
PUSH_LOAD_BIN=$(cargo build --locked --release -p credit-meter-ledger-service --bench push_load --message-format=json 2>/dev/null \
  | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "push_load" and m.get("executable"):
        print(m["executable"])')
export PUSH_LOAD_BIN
CREDIT_METER_TEST_POSTGRES_URL=$(bash scripts/postgres.sh start)
export CREDIT_METER_TEST_POSTGRES_URL
trap 'bash scripts/postgres.sh stop' EXIT
LEDGER_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/credit-meter-ledger" python3 bench/ledger/ledger_bench.py "$@"
