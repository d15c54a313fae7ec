#!/usr/bin/env bash
# The main job: install what is needed, build the client package (pkg/, which the demo
# page loads) and the reference ledger server (crates/server), then run the server on
# http://127.0.0.1:${PORT:-8080}/ until Ctrl-C: the ledger API under /v1/ and the demo
# page at /www/. The ledger persists to ${CREDIT_METER_DB:-.data/ledger.sqlite}; delete
# that file to start over with a new signing key and fresh demo accounts.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WITH_BROWSERS=0 bash scripts/install.sh
bash scripts/build.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cargo build --locked --release -p credit-meter-server --bin credit-meter-ledger >&2
PORT=${PORT:-8080}
DB=${CREDIT_METER_DB:-$ROOT/.data/ledger.sqlite}
mkdir -p "$(dirname "$DB")"
# The server prints "credit-meter ledger listening on http://127.0.0.1:PORT/ (demo: …/www/)".
exec "${CARGO_TARGET_DIR:-$ROOT/target}/release/credit-meter-ledger" --addr "127.0.0.1:$PORT" --db "$DB" --root "$ROOT"
