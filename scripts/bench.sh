#!/usr/bin/env bash
# The benchmark: builds the release package, installs the exact tokenizers it is compared
# with (bench/package.json, from npm), and runs bench/bench.mjs in Node. Writes
# bench/RESULTS.md, bench/error-by-group.svg and the table in README.md.
#   ./scripts/bench.sh [--quick] [--corpus DIR] [--pkg DIR] [--no-write]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WITH_BROWSERS=0 bash scripts/install.sh
bash scripts/build.sh --with-ledger
if [ ! -d bench/node_modules/js-tiktoken ] || [ ! -d bench/node_modules/gpt-tokenizer ] || [ ! -d bench/node_modules/@dqbd/tiktoken ]; then
  npm install --prefix bench --no-audit --no-fund -s
fi
node --expose-gc bench/bench.mjs "$@"
