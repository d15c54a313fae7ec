#!/usr/bin/env bash
# The benchmark: builds the release package, installs the exact tokenizers it is compared
# with (bench/package.json, from npm), and runs bench/bench.mjs in Node. Writes
# bench/RESULTS.md, bench/error-by-group.svg and the table in README.md.
#   ./scripts/bench.sh [--quick] [--corpus DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WITH_BROWSERS=0 bash scripts/install.sh
bash scripts/build.sh
# The reference ledger the Meter figures are measured against (not the client package).
PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$ROOT/.tools/node_modules/.bin:$PATH" \
  wasm-pack build --mode no-install --release --target web --out-dir pkg-ledger -- --features ledger >&2
if [ ! -d bench/node_modules/js-tiktoken ] || [ ! -d bench/node_modules/gpt-tokenizer ] || [ ! -d bench/node_modules/@dqbd/tiktoken ]; then
  npm install --prefix bench --no-audit --no-fund -s
fi
node bench/bench.mjs "$@"
