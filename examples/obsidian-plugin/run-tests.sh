#!/usr/bin/env bash
# The example Obsidian plugin: installs its pinned dev dependencies (npm ci, when
# package-lock.json is newer than node_modules), then the client package as a user would:
# `npm pack` of ../../pkg and `npm install` of that tarball (not saved: its hash changes with
# every build); type-checks src/ against the real `obsidian` typings (tsc --noEmit), bundles
# main.js with esbuild, and runs the scenario under Node with a stub of the Obsidian API and
# the reference ledger in process; with CREDIT_METER_LEDGER_BIN=path/to/credit-meter-ledger,
# also against that server. Needs ../../pkg and ../../pkg-ledger (scripts/build.sh --with-ledger).
set -euo pipefail
cd "$(dirname "$0")"
for p in pkg pkg-ledger; do
  [ -f "../../$p/credit_meter_bg.wasm" ] || { echo "../../$p is not built: run scripts/build.sh --with-ledger" >&2; exit 1; }
done
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
packed=$(mktemp -d)
trap 'rm -rf "$packed"' EXIT
tarball="$packed/$(cd ../../pkg && npm pack --silent --pack-destination "$packed")"
npm install --no-save --offline --no-audit --no-fund --silent "$tarball"
./node_modules/.bin/tsc --noEmit -p .
node esbuild.config.mjs
node --test test/scenario.test.mjs
