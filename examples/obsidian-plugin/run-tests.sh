#!/usr/bin/env bash
# The example Obsidian plugin: installs its pinned dev dependencies (npm ci, when
# package-lock.json is newer than node_modules), type-checks src/ against the real
# `obsidian` typings (tsc --noEmit), bundles main.js with esbuild, and runs the scenario
# under Node with a stub of the Obsidian API and the reference ledger in process; with
# CREDIT_METER_LEDGER_BIN=path/to/credit-meter-ledger, also against that server.
# Needs ../../pkg and ../../pkg-ledger (scripts/build.sh --with-ledger).
set -euo pipefail
cd "$(dirname "$0")"
for p in pkg pkg-ledger; do
  [ -f "../../$p/credit_meter_bg.wasm" ] || { echo "../../$p is not built: run scripts/build.sh --with-ledger" >&2; exit 1; }
done
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
./node_modules/.bin/tsc --noEmit -p .
node esbuild.config.mjs
node --test test/scenario.test.mjs
