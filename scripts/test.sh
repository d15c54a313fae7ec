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

step "native: cargo test"
cargo test --locked --all-features

step "wasm: Node"
CREDIT_METER_EXPECT_ENV=node wasm-pack test --mode no-install --node --features ledger

step "wasm: headless Chromium"
export CHROMEDRIVER=/usr/bin/chromedriver
CREDIT_METER_EXPECT_ENV=browser WASM_BINDGEN_USE_BROWSER=1 \
  wasm-pack test --mode no-install --headless --chrome --chromedriver /usr/bin/chromedriver --features ledger

if [ -x /usr/bin/firefox-esr ] && command -v geckodriver >/dev/null; then
  step "wasm: headless Firefox"
  CREDIT_METER_EXPECT_ENV=browser WASM_BINDGEN_USE_BROWSER=1 \
    wasm-pack test --mode no-install --headless --firefox --geckodriver "$(command -v geckodriver)" --features ledger
else
  step "wasm: headless Firefox: SKIPPED (firefox-esr did not install on this machine)"
fi

step "package: release build + Node tests"
bash scripts/build.sh --with-ledger
node --test tests/node/
