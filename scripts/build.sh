#!/usr/bin/env bash
# Builds the release client package into pkg/ (crates/wasm-client: cargo as a cdylib,
# wasm-bindgen --target web, wasm-opt -Oz), then makes it the publishable npm package `credit-meter`
# (scripts/package/finish.mjs: the exports map — bundler/browser, Node ESM and CommonJS,
# ./web, ./inline, the typed .wasm —, package.json, README, licences), and prints the .wasm
# size raw and gzipped. With --with-ledger, also the reference ledger as the npm package
# `credit-meter-ledger` into pkg-ledger/ (crates/wasm-ledger; for the demo, the bench and the
# README example — never shipped to clients). Assumes scripts/install.sh has run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$ROOT/.tools/node_modules/.bin:$PATH"

# The client is compiled as a cdylib alone, not through `wasm-pack build`: its Cargo.toml also
# asks for an rlib (the wasm-bindgen tests in crates/wasm-client/tests link against it), and a
# build that emits both keeps every public Rust item of every crate exported through LTO, so
# LLVM can neither internalize nor drop them (measured: 412,874 B raw / 176,985 B gzip with the
# rlib, 365,258 / 167,367 without it). `cargo rustc --crate-type` builds the same code with the
# same profile as the cdylib only; wasm-bindgen and wasm-opt then run as wasm-pack would.
# wasm-bindgen warns that `strip = true` removed the target_features section: expected. With
# that section it would return results through multi-value instead of the stack, which
# measured 953 B raw / 266 B gzip larger.
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# Panic locations name the source files of dependencies by their path in cargo's registry
# (`…/.cargo/registry/src/index.crates.io-<hash>/`); that prefix is left out of them, as
# `crates/` is for the workspace (.cargo/config.toml). Passed with --config, which adds to
# that file's rustflags instead of replacing them as RUSTFLAGS would (measured: 892 B raw,
# 109 B gzip).
#
# `-reference-types`: without the feature (on by default since Rust 1.82), wasm-bindgen keeps
# the JS values a Rust value holds in an array of the JS glue instead of an externref table
# of the module, and the .wasm loses its externref shim per export and the table calls around
# every JsValue it receives or drops: 2,508 B raw / 1,340 B gzip -9 / 1,547 B Node zlib
# smaller. The glue grows by 2.7 KB raw / 357 B gzip (credit_meter.js; the same for .cjs), and
# the .d.ts does not change. (The wasm-bindgen tests, built by wasm-pack, keep the feature.)
cargo fetch --locked --target wasm32-unknown-unknown >&2 # the registry folders exist before the glob
REMAP=()
for dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do REMAP+=("\"--remap-path-prefix=$dir=\""); done
REMAP_FLAGS=$(IFS=,; echo "${REMAP[*]}")
# For scripts/size-budget.sh only: one more `--cfg` (never set for a package that ships).
EXTRA_CFG=""
if [ -n "${CREDIT_METER_SIZE_CFG:-}" ]; then EXTRA_CFG=",\"--cfg\",\"$CREDIT_METER_SIZE_CFG\""; fi
cargo rustc --locked -p credit-meter --lib --release --target wasm32-unknown-unknown --crate-type cdylib \
  --config "target.wasm32-unknown-unknown.rustflags=[$REMAP_FLAGS,\"-Ctarget-feature=-reference-types\"$EXTRA_CFG]" >&2
rm -rf "$ROOT/pkg"
wasm-bindgen --target web --out-dir "$ROOT/pkg" "$TARGET_DIR/wasm32-unknown-unknown/release/credit_meter.wasm"
# wasm-opt inlines a function with a single caller whatever its size by default; capping that
# at 50 keeps the small helpers inlined and large bodies out of line, which gzips 5.8 KB
# smaller (raw +1.9 KB) with no measurable change in speed (estimator, per-round ratio to the
# default: 1.00 / 1.01). At 25 it gzips another 1.2 KB smaller (raw +1.3 KB; swept 0–50:
# 20, 25 and 30 are within 0.1 KB, 10 and 40 0.1–0.6 KB worse); the estimator then runs 2 %
# more instructions per o200k pass over the corpus (valgrind, 300 M → 309 M) and the same
# per cl100k pass (285 M).
# `--low-memory-unused` lets wasm-opt fold constant address offsets into loads and stores
# (1.3 KB raw, 0.4 KB gzip): true of Rust's layout, where the first 1 KB of memory is the
# far end of the 1 MB stack (the data and heap start above it) and is reached only by a
# stack that is about to overflow.
# `--skip-pass=memory-packing` keeps the data as the linker laid it out, one segment for the
# read-only data and one for the rest, instead of splitting it at every run of zeros into
# ~290 segments: each split saves the zeros' raw bytes but adds a segment header (offset and
# length) that does not compress, and the zeros themselves compress to almost nothing
# (measured: +3,897 B raw, -1,044 B gzip -9, -917 B Node zlib).
# `--skip-pass=remove-unused-brs --skip-pass=local-cse`: at -Oz (shrink level 2)
# remove-unused-brs moves code out of branches to run unconditionally whatever it costs
# (binaryen's tooCostlyToRunUnconditionally is always false there), trading work per call
# for bytes, and the token estimator, compiled for speed (opt-level 3), pays for it.
# Without both passes, V8 instructions per corpus pass (valgrind on node
# --no-liftoff) went 257.3 M -> 240.4 M in cl100k_base (-6.6 %) and 270.5 M -> 254.1 M in
# o200k_base (-6.1 %), for +7.7 KB raw, +294 B gzip -9, +167 B Node zlib -9. Measured
# before the function ordering below: without remove-unused-brs alone -5.5 % and +932 B
# gzip; without local-cse alone -1.4 % and -577 B gzip, which pays for most of the other;
# running remove-unused-brs once more at shrink level 1 afterwards gave the size back and
# half the speed (-2.5 %). Also without simplify-locals (whole build): cl100k_base -5.1 %,
# +218 B gzip -9 but +268 B Node zlib -9.
# `--strip-producers` and `--strip-target-features` drop two custom sections (toolchain
# names and the feature list, 172 B) that no runtime reads.
# The Wasm features the module uses (those Rust's wasm32 target enables); both wasm-opt runs
# below must be told them.
WASM_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals)
WASM_OPT=(-Oz --converge --low-memory-unused --one-caller-inline-max-function-size 25 --skip-pass=memory-packing
  --skip-pass=remove-unused-brs --skip-pass=local-cse
  "${WASM_FEATURES[@]}" --strip-producers --strip-target-features)
wasm-opt "${WASM_OPT[@]}" pkg/credit_meter_bg.wasm -o pkg/credit_meter_bg.wasm
# The functions laid out with similar bodies side by side (scripts/package/order-functions.mjs
# names them in that order; wasm-opt sorts by name, renumbers the calls and strips the
# names). The optimisation levels only make wasm-opt write the module as the run above did
# (its optimised stack form), no pass runs. Measured: +41 B raw, -2,882 B gzip -9, -2,421 B
# Node zlib; the linker's order with wasm-opt's call-count order instead (`--reorder-functions`)
# was 3.3 KB larger in gzip.
node scripts/package/order-functions.mjs pkg/credit_meter_bg.wasm pkg/ordered.wasm
wasm-opt --optimize-level=2 --shrink-level=2 --low-memory-unused --reorder-functions-by-name --strip-debug \
  "${WASM_FEATURES[@]}" pkg/ordered.wasm -o pkg/credit_meter_bg.wasm
rm pkg/ordered.wasm
# The imports' hashed names (`__wbg_get_2080c49015e35254`) become "a", "b", … in the module
# and the glue: 2,344 B raw, 1,677 B gzip; their module "./credit_meter_bg.js" becomes "a":
# 1,406 B raw, 101 B gzip.
node scripts/package/short-imports.mjs pkg/credit_meter_bg.wasm pkg/credit_meter.js
node scripts/package/finish.mjs pkg credit-meter crates/wasm-client/npm/README.md \
  "Client-side metering of prepaid AI credits: cost estimates, BYOK-or-credits decisions, a signed local balance synced exactly once with a remote ledger."
raw=$(wc -c < pkg/credit_meter_bg.wasm)
gz=$(gzip -9 -c pkg/credit_meter_bg.wasm | wc -c)
printf 'pkg/credit_meter_bg.wasm: %d bytes raw, %d bytes gzip -9\n' "$raw" "$gz"
if [ "${1:-}" = "--with-ledger" ]; then
  wasm-pack build crates/wasm-ledger --mode no-install --release --target web --out-dir "$ROOT/pkg-ledger" --out-name credit_meter >&2
  node scripts/package/finish.mjs pkg-ledger credit-meter-ledger crates/wasm-ledger/npm/README.md \
    "The credit-meter reference ledger in JavaScript: ReferenceLedger and LedgerAccount, for demos and tests."
fi
