#!/usr/bin/env bash
# The main job: install what is needed, build the client package (pkg/, which the demo
# page loads) and the ledger service, then run it on http://127.0.0.1:${PORT:-8080}/
# until Ctrl-C in demo mode: the ledger API under /v1/, the demo page at /www/, the demo
# accounts, and a demo-only sign-in (/demo/token) issuing device tokens for the demo
# accounts. The ledger keeps its state in ${CREDIT_METER_DB:-.data/ledger.sqlite} (and its
# signing key beside it, in ledger.sqlite.keys.json); delete .data/ to start over.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WITH_BROWSERS=0 bash scripts/install.sh
bash scripts/build.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cargo build --locked --release -p credit-meter-ledger-service --bin credit-meter-ledger >&2
PORT=${PORT:-8080}
DB=${CREDIT_METER_DB:-$ROOT/.data/ledger.sqlite}
mkdir -p "$(dirname "$DB")"
# A local stand-in for the AI provider (scripts/stand-in-provider.mjs) behind the ledger's
# AI proxy (README "AI proxy"; the page www/proxy.html calls it); stopped with the ledger.
PROVIDER_LOG=$(mktemp)
node "$ROOT/scripts/stand-in-provider.mjs" 0 >"$PROVIDER_LOG" &
PROVIDER_PID=$!
trap 'kill "$PROVIDER_PID" 2>/dev/null; rm -f "$PROVIDER_LOG"' EXIT
for _ in $(seq 50); do grep -q "stand-in provider on" "$PROVIDER_LOG" && break; sleep 0.1; done
UPSTREAM=$(sed -n 's/^stand-in provider on //p' "$PROVIDER_LOG")
[ -n "$UPSTREAM" ] || { echo "the stand-in provider did not start" >&2; exit 1; }
# The service prints "credit-meter ledger listening on http://127.0.0.1:PORT/ (demo: …/www/)".
# Only www/ and pkg/ are served; the database and the key file are outside both.
"${CARGO_TARGET_DIR:-$ROOT/target}/release/credit-meter-ledger" serve --addr "127.0.0.1:$PORT" \
  --database "sqlite:$DB" --demo --www "$ROOT/www" --pkg "$ROOT/pkg" --upstream-url "$UPSTREAM"
