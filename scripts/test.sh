#!/usr/bin/env bash
# Every test: native core (cargo test), the Wasm binding with wasm-bindgen-test in Node,
# headless Chromium and headless Firefox (where it installs), then the release package
# under Node's test runner (README example + hostile input from real JS).
# Installs what it needs first (scripts/install.sh; quick when already installed).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/install.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$ROOT/.tools/node_modules/.bin:$PATH" CARGO_TERM_COLOR=never
step() { printf '\n=== %s ===\n' "$*"; }

step "PostgreSQL for the ledger service's tests (a throwaway cluster, scripts/postgres.sh)"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
fi
CREDIT_METER_TEST_POSTGRES_URL=$(bash scripts/postgres.sh start)
export CREDIT_METER_TEST_POSTGRES_URL
trap 'bash scripts/postgres.sh stop' EXIT

step "workspace: dependency arrows, rustfmt, clippy (native and wasm32)"
python3 scripts/check-deps.py
cargo fmt --all --check
cargo clippy --locked --workspace --all-targets -- -D warnings
# The estimator's fitting tool (examples/token_accuracy.rs) builds only with its feature.
cargo clippy --locked -p token-estimate --features fitting --all-targets -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown -p credit-meter -p credit-meter-ledger-wasm --all-targets -- -D warnings

step "native: cargo test"
cargo test --locked --workspace

step "native: deterministic simulation, 200 seeds (README \"Simulation\")"
# The release profile is size-optimised for the .wasm (opt-level z): ~25x slower
# signatures natively, so this one build overrides it (same results seed for seed).
CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  cargo run --locked --release -p credit-meter-sim --bin simulate -- --seeds 200 --ops 2000

# The wasm-bindgen test runner reads the browsers' capabilities from this file.
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$ROOT/webdriver.json"
WASM_CRATES=(crates/wasm-client crates/wasm-ledger)

step "wasm: Node"
for c in "${WASM_CRATES[@]}"; do CREDIT_METER_EXPECT_ENV=node wasm-pack test --mode no-install --node "$c"; done

step "wasm: headless Chromium"
export CHROMEDRIVER=/usr/bin/chromedriver
for c in "${WASM_CRATES[@]}"; do
  CREDIT_METER_EXPECT_ENV=browser WASM_BINDGEN_USE_BROWSER=1 \
    wasm-pack test --mode no-install --headless --chrome --chromedriver /usr/bin/chromedriver "$c"
done

if [ -x /usr/bin/firefox-esr ] && command -v geckodriver >/dev/null; then
  step "wasm: headless Firefox"
  for c in "${WASM_CRATES[@]}"; do
    CREDIT_METER_EXPECT_ENV=browser WASM_BINDGEN_USE_BROWSER=1 \
      wasm-pack test --mode no-install --headless --firefox --geckodriver "$(command -v geckodriver)" "$c"
  done
else
  step "wasm: headless Firefox: SKIPPED (firefox-esr did not install on this machine)"
fi

# `cargo test --workspace` above built the service (crates/ledger-service) for its own
# tests; its debug binary is the one the Node tests (restore.test.mjs), the demo e2e and
# the plugin scenario run against.
LEDGER_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/credit-meter-ledger"
[ -x "$LEDGER_BIN" ] || cargo build --locked -p credit-meter-ledger-service --bin credit-meter-ledger

step "package: release build + Node tests"
bash scripts/build.sh --with-ledger
CREDIT_METER_LEDGER_BIN="$LEDGER_BIN" node --test tests/node/
# The same package against an independent ledger written from docs/PROTOCOL.md alone (tests/conformance).
# In one process (tests/conformance/suite.mjs says why); each test and the file get 60 s
# (they take milliseconds): a hang fails by name instead of holding CI.
node --test --test-timeout=60000 tests/conformance/suite.mjs

step "package as users get it: npm pack, then bundlers in Chromium, Node ESM/CJS, Vitest, tsc (tests/package/run.sh)"
bash tests/package/run.sh

step "demo pages end to end: the credit-meter-ledger service + headless Chromium (1280×800 and 390×844, axe-core); the AI-proxy page against the stand-in provider"
CREDIT_METER_LEDGER_BIN="$LEDGER_BIN" node --test tests/e2e/demo.e2e.mjs tests/e2e/proxy.e2e.mjs

step "payments and low-balance email: checkout, signed webhooks, refunds, SMTP (tests/payments; SQLite + PostgreSQL)"
CREDIT_METER_LEDGER_BIN="$LEDGER_BIN" node --test tests/payments/

step "example Obsidian plugin: tsc against the obsidian typings, esbuild, the scenario in Node"
# The scenario runs against the in-process reference ledger and against the
# credit-meter-ledger service that `cargo test --workspace` built above.
CREDIT_METER_LEDGER_BIN="$LEDGER_BIN" bash examples/obsidian-plugin/run-tests.sh
