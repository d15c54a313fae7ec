#!/usr/bin/env bash
# The npm package as its users get it. Packs pkg/ (and pkg-ledger/) with `npm pack`, lints
# them (publint, arethetypeswrong), then in fresh directories with the tarball installed
# (`npm install --offline <tarball>`: no registry) builds and runs: Vite, webpack, esbuild
# and Rollup apps in headless Chromium; Node ESM and CommonJS scripts with no init call; a
# Vitest test; `tsc --strict` (skipLibCheck false, default lib) with moduleResolution
# bundler, node16 and nodenext. The tools are installed once in .tools/ by
# scripts/install.sh and linked into each directory. Prints one line per entry and the
# time it took; exits non-zero if any failed. Needs scripts/build.sh --with-ledger.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/tests/package"
TOOLS="$ROOT/.tools/node_modules"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/credit-meter-package.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
t0=$(date +%s)

for p in pkg pkg-ledger; do
  [ -f "$ROOT/$p/package.json" ] && [ -f "$ROOT/$p/node.js" ] || { echo "$p/ is not built: run scripts/build.sh --with-ledger" >&2; exit 1; }
done
TGZ="$WORK/$(cd "$ROOT/pkg" && npm pack --silent --pack-destination "$WORK")"
LEDGER_TGZ="$WORK/$(cd "$ROOT/pkg-ledger" && npm pack --silent --pack-destination "$WORK")"
printf 'tarball %s: %d bytes (the .wasm: %d bytes raw, %d gzip -9)\n' "$(basename "$TGZ")" "$(wc -c < "$TGZ")" \
  "$(wc -c < "$ROOT/pkg/credit_meter_bg.wasm")" "$(gzip -9 -c "$ROOT/pkg/credit_meter_bg.wasm" | wc -c)"

RESULTS=()
FAILED=0
# entry NAME COMMAND...: runs COMMAND, records ok/FAIL with its time, shows the log on failure.
entry() {
  local name=$1 start=$(date +%s) log="$WORK/entry-${#RESULTS[@]}.log"; shift
  LAST_LOG=$log
  if ( "$@" ) > "$log" 2>&1; then
    RESULTS+=("ok   $name ($(( $(date +%s) - start ))s)")
  else
    RESULTS+=("FAIL $name ($(( $(date +%s) - start ))s)"); FAILED=1
    sed 's/^/    /' "$log" | tail -40
  fi
}
# fresh NAME TOOL...: a new project directory with the tarball installed from the file and
# the named tools (packages in .tools) linked into its node_modules. Prints its path.
fresh() {
  local d="$WORK/$1"; shift
  mkdir -p "$d"
  printf '{ "name": "app", "private": true, "type": "module" }\n' > "$d/package.json"
  (cd "$d" && npm install --offline --no-audit --no-fund --silent "$TGZ" >/dev/null)
  for t in "$@"; do
    mkdir -p "$(dirname "$d/node_modules/$t")"
    ln -s "$TOOLS/$t" "$d/node_modules/$t"
  done
  echo "$d"
}
# A browser app: index.html and app.js, the import line rewritten for the bundler.
browser_app() { # DIR [sed expression]
  cp "$HERE/apps/index.html" "$1/"
  sed "${2:-}" "$HERE/apps/app.js" > "$1/app.js"
}

lint() {
  "$TOOLS/.bin/publint" --strict "$ROOT/pkg"
  "$TOOLS/.bin/publint" --strict "$ROOT/pkg-ledger"
  "$TOOLS/.bin/attw" "$TGZ"
  "$TOOLS/.bin/attw" "$LEDGER_TGZ"
}
node_esm() { d=$(fresh node-esm); cp "$HERE/apps/node-esm.mjs" "$d/"; cd "$d" && node node-esm.mjs; }
node_web() { d=$(fresh node-web); cp "$HERE/apps/node-web.mjs" "$d/"; cd "$d" && node node-web.mjs; }
node_cjs() { d=$(fresh node-cjs); cp "$HERE/apps/node-cjs.cjs" "$d/"; cd "$d" && node node-cjs.cjs; }
vitest() { d=$(fresh vitest vitest); cp "$HERE/apps/vitest.test.js" "$d/"; cd "$d" && "$TOOLS/.bin/vitest" run --reporter=verbose; }
tsc_check() { # RESOLUTION MODULE FILES...
  local resolution=$1 module=$2; shift 2
  d=$(fresh "tsc-$resolution")
  for f in "$@"; do cp "$HERE/apps/$f" "$d/"; done
  cd "$d" && "$TOOLS/.bin/tsc" --strict --noEmit --skipLibCheck false --target es2022 \
    --module "$module" --moduleResolution "$resolution" "$@"
}
vite() { d=$(fresh vite); browser_app "$d"; cd "$d" && "$TOOLS/.bin/vite" build --logLevel warn; }
webpack() {
  d=$(fresh webpack webpack); browser_app "$d"
  cat > "$d/build.mjs" <<'JS'
import webpack from "webpack";
import { copyFileSync } from "node:fs";
const dist = new URL("./dist/", import.meta.url).pathname;
webpack({ mode: "production", context: process.cwd(), entry: "./app.js", output: { path: dist, filename: "app.js" }, performance: { hints: false } },
  (err, stats) => {
    if (err || stats.hasErrors() || stats.hasWarnings()) { console.error(err ?? stats.toString("errors-warnings")); process.exit(1); }
    copyFileSync("index.html", dist + "index.html");
  });
JS
  cd "$d" && node build.mjs
}
esbuild() {
  # esbuild copies no `new URL(…, import.meta.url)` asset: the documented way is the
  # "file" loader for .wasm with the manual-init entry.
  d=$(fresh esbuild)
  browser_app "$d" 's|^import \(.*\) from "credit-meter";|import init, \1 from "credit-meter/web";\nimport wasmUrl from "credit-meter/credit_meter_bg.wasm";\nawait init({ module_or_path: wasmUrl });|'
  cd "$d" && "$TOOLS/.bin/esbuild" app.js --bundle --format=esm --target=es2022 --loader:.wasm=file --outdir=dist --log-level=warning \
    && cp index.html dist/
}
rollup() {
  # Rollup copies no asset without a plugin: the inlined entry needs none (node-resolve finds
  # node_modules, as for any package).
  d=$(fresh rollup @rollup/plugin-node-resolve)
  browser_app "$d" 's|from "credit-meter";|from "credit-meter/inline";|'
  printf '%s\n' 'import { nodeResolve } from "@rollup/plugin-node-resolve";' \
    'export default { input: "app.js", output: { dir: "dist", format: "es" }, plugins: [nodeResolve({ browser: true })] };' > "$d/rollup.config.mjs"
  cd "$d" && "$TOOLS/.bin/rollup" -c --silent && cp index.html dist/
}
chromium() {
  node "$HERE/check-browser.mjs" "$ROOT" "vite=$WORK/vite/dist" "webpack=$WORK/webpack/dist" "esbuild=$WORK/esbuild/dist" "rollup=$WORK/rollup/dist"
}

entry "publint + arethetypeswrong (both packages)" lint
entry "Node ESM, no init" node_esm
entry "Node CommonJS, no init" node_cjs
entry "Node, credit-meter/web: NOT_INITIALIZED before init" node_web
entry "Vitest" vitest
entry "tsc --strict, moduleResolution bundler" tsc_check bundler esnext types.ts
entry "tsc --strict, moduleResolution node16" tsc_check node16 node16 types.ts types-cjs.cts
entry "tsc --strict, moduleResolution nodenext" tsc_check nodenext nodenext types.ts types-cjs.cts
entry "Vite build" vite
entry "webpack build" webpack
entry "esbuild build" esbuild
entry "Rollup build" rollup
entry "the four apps in headless Chromium" chromium
sed 's/^/    /' "$LAST_LOG"

printf '%s\n' "${RESULTS[@]}"
echo "package matrix: $(( $(date +%s) - t0 ))s"
exit "$FAILED"
