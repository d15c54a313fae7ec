#!/usr/bin/env bash
# The main job: install what is needed, build the client package (pkg/, which the demo
# page loads) and the ledger service, then run it on http://127.0.0.1:${PORT:-8080}/
# until Ctrl-C in demo mode: the ledger API under /v1/, the demo page at /www/, the demo
# accounts, and a demo-only sign-in (/demo/token) issuing device tokens for the demo
# accounts. The ledger keeps its state in ${CREDIT_METER_DB:-.data/ledger.sqlite} (and its
# signing key beside it, in ledger.sqlite.keys.json); delete .data/ to start over.
# Payments and emails go to scripts/stripe-stand-in.mjs on ${STAND_IN_PORT:-PORT+1} (a
# test-mode checkout page that sends the ledger a signed webhook, and a mailbox of the
# low-balance emails on SMTP port ${SMTP_PORT:-PORT+2}); never real Stripe.
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
STAND_IN_PORT=${STAND_IN_PORT:-$((PORT + 1))}
SMTP_PORT=${SMTP_PORT:-$((PORT + 2))}
# Throwaway test-mode secrets shared by the ledger and the stand-in (beside the database).
SECRETS=$(dirname "$DB")
for f in stripe-secret-key:sk_test_demo_ stripe-webhook-secret:whsec_demo_; do
  file="$SECRETS/${f%%:*}"
  [ -s "$file" ] || (umask 077 && printf '%s%s\n' "${f#*:}" "$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" > "$file")
done
STAND_IN_PORT=$STAND_IN_PORT SMTP_PORT=$SMTP_PORT LEDGER_URL="http://127.0.0.1:$PORT" \
  STRIPE_SECRET_KEY_FILE="$SECRETS/stripe-secret-key" STRIPE_WEBHOOK_SECRET_FILE="$SECRETS/stripe-webhook-secret" \
  node "$ROOT/scripts/stripe-stand-in.mjs" &
STAND_IN=$!
# A local stand-in for the AI provider (scripts/stand-in-provider.mjs) behind the ledger's
# AI proxy (README "AI proxy"): the demo page's credit-paid Generate and www/proxy.html
# call it through the proxy; stopped with the ledger.
PROVIDER_LOG=$(mktemp)
node "$ROOT/scripts/stand-in-provider.mjs" 0 >"$PROVIDER_LOG" &
PROVIDER_PID=$!
trap 'kill "$STAND_IN" "$PROVIDER_PID" 2>/dev/null; rm -f "$PROVIDER_LOG"' EXIT
for _ in $(seq 50); do grep -q "stand-in provider on" "$PROVIDER_LOG" && break; sleep 0.1; done
UPSTREAM=$(sed -n 's/^stand-in provider on //p' "$PROVIDER_LOG")
[ -n "$UPSTREAM" ] || { echo "the stand-in provider did not start" >&2; exit 1; }
# The service prints "credit-meter ledger listening on http://127.0.0.1:PORT/ (demo: …/www/)".
# Only www/ and pkg/ are served; the database, the key file and the secrets are outside both.
# Every browser profile that opens the page is another device of the two shared demo
# accounts (its id is kept in localStorage), and the database outlives a run: at the
# default 16 devices per account the 17th visitor's syncs would be refused LIMIT_REACHED.
# 256 keeps the shared accounts' records small; the account-wide overdraft limit (200
# credits) still bounds what their devices may owe.
"${CARGO_TARGET_DIR:-$ROOT/target}/release/credit-meter-ledger" serve --addr "127.0.0.1:$PORT" \
  --database "sqlite:$DB" --demo --www "$ROOT/www" --pkg "$ROOT/pkg" --max-devices 256 \
  --stripe-api-base "http://127.0.0.1:$STAND_IN_PORT" --stripe-secret-key-file "$SECRETS/stripe-secret-key" \
  --stripe-webhook-secret-file "$SECRETS/stripe-webhook-secret" \
  --stripe-plan-price starter=price_demo_starter --stripe-plan-price pro=price_demo_pro --smtp-url "smtp://127.0.0.1:$SMTP_PORT" \
  --checkout-success-url "http://127.0.0.1:$PORT/www/?checkout=paid" --checkout-cancel-url "http://127.0.0.1:$PORT/www/?checkout=cancelled" \
  --email-buy-url "http://127.0.0.1:$PORT/www/" --upstream-url "$UPSTREAM"
