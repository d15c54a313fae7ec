#!/usr/bin/env bash
# Installs everything the build, the demo and the tests need on a fresh machine of this kind,
# using only the package registries (crates.io, Debian, npm). Each step is skipped when the
# right version is already there, so a second run takes seconds.
#   WITH_FIREFOX=0  skip Firefox (and geckodriver)
#   WITH_BROWSERS=0 skip the browsers entirely (build + Node only)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS="$ROOT/.tools"
WITH_FIREFOX=${WITH_FIREFOX:-1}
WITH_BROWSERS=${WITH_BROWSERS:-1}
WASM_PACK_VERSION=0.15.1
GECKODRIVER_VERSION=0.37.1
BINARYEN_VERSION=132.0.0
PLAYWRIGHT_VERSION=1.65.1
TYPESCRIPT_VERSION=5.9.3
# The payments tests sign webhook events with Stripe's own library and receive email with a real SMTP server.
STRIPE_VERSION=23.2.0
SMTP_SERVER_VERSION=3.21.6
AXE_CORE_VERSION=4.14.1
export DEBIAN_FRONTEND=noninteractive CARGO_TERM_COLOR=never
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$TOOLS/node_modules/.bin:$PATH"
log() { printf '[install] %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q "$2"; }

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
# rustfmt and clippy: scripts/test.sh checks formatting and lints.
for c in rustfmt clippy; do rustup component list --installed | grep -q "^$c" || rustup component add "$c"; done

if [ "$WITH_BROWSERS" = 1 ]; then
  pkgs=""
  [ -x /usr/bin/chromium ] || pkgs="$pkgs chromium"
  [ -x /usr/bin/chromedriver ] || pkgs="$pkgs chromium-driver"
  if [ "$WITH_FIREFOX" = 1 ] && [ ! -x /usr/bin/firefox-esr ]; then pkgs="$pkgs firefox-esr"; fi
  if [ -n "$pkgs" ]; then
    log "apt-get install$pkgs"
    apt-get update -qq
    # Firefox is best effort: the matrix runs it where it installs.
    apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
    if [ "$WITH_FIREFOX" = 1 ]; then
      apt-get install -y -qq --no-install-recommends firefox-esr >/dev/null || log "firefox-esr did not install; Firefox tests will be skipped and reported"
    fi
  fi
fi

# wasm-bindgen-cli must be exactly the version in Cargo.lock (the crate pins it with "=").
cd "$ROOT"
WB=$(awk '$0=="name = \"wasm-bindgen\""{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
have wasm-pack "$WASM_PACK_VERSION" || { log "cargo install wasm-pack $WASM_PACK_VERSION"; cargo install -q --locked wasm-pack --version "$WASM_PACK_VERSION"; }
# `--locked` fails for wasm-bindgen-cli 0.2.130 (its lockfile pins a crate release the registry
# lacks): fall back to a fresh resolve of the same version, then check it.
if ! have wasm-bindgen "$WB"; then
  log "cargo install wasm-bindgen-cli $WB"
  cargo install -q --locked wasm-bindgen-cli --version "$WB" || cargo install -q --force wasm-bindgen-cli --version "$WB"
fi
[ "$(wasm-bindgen --version | awk '{print $2}')" = "$WB" ] || { echo "wasm-bindgen-cli is not $WB" >&2; exit 1; }
if [ "$WITH_BROWSERS" = 1 ] && [ "$WITH_FIREFOX" = 1 ] && [ -x /usr/bin/firefox-esr ]; then
  have geckodriver "$GECKODRIVER_VERSION" || { log "cargo install geckodriver $GECKODRIVER_VERSION"; cargo install -q --locked geckodriver --version "$GECKODRIVER_VERSION"; }
fi

# wasm-opt from npm's binaryen (Debian's is too old for rustc 1.9x output); wasm-pack finds it on PATH.
# The rest: the browser driver, tsc, and what tests/package/run.sh builds the package with as its
# users would (bundlers, Vitest, the package linters), installed here once and linked into each
# of its fresh projects.
NPM_TOOLS=("binaryen@$BINARYEN_VERSION" "playwright-core@$PLAYWRIGHT_VERSION" "typescript@$TYPESCRIPT_VERSION"
  vite@8.4.0 webpack@5.113.0 esbuild@0.28.2 rollup@4.69.1 @rollup/plugin-node-resolve@16.0.3 vitest@3.2.4
  publint@0.3.25 @arethetypeswrong/cli@0.18.5
  # axe-core: the demo page's end-to-end test injects it into every state it checks.
  "axe-core@$AXE_CORE_VERSION"
  # The payments tests sign webhook events with Stripe's own library and receive email with a real SMTP server.
  "stripe@$STRIPE_VERSION" "smtp-server@$SMTP_SERVER_VERSION")
mkdir -p "$TOOLS"
missing=0
for spec in "${NPM_TOOLS[@]}"; do
  name=${spec%@*} version=${spec##*@}
  grep -qs "\"version\": \"$version\"" "$TOOLS/node_modules/$name/package.json" || missing=1
done
if [ "$missing" = 1 ]; then
  log "npm install ${NPM_TOOLS[*]}"
  [ -f "$TOOLS/package.json" ] || echo '{"private":true}' > "$TOOLS/package.json"
  npm install -s --prefix "$TOOLS" --no-audit --no-fund "${NPM_TOOLS[@]}"
fi
log "ready"
