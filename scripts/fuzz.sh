#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 600), one after the other, and
# prints the executions, exec/s and coverage of each. Not part of scripts/test.sh (CI).
#
#   ./scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Needs a nightly toolchain and cargo-fuzz (installed here from crates.io when missing).
# The committed seeds (fuzz/corpus/<target>) are read, never written: what the runs find
# goes to $FUZZ_WORK (default /tmp/credit-meter-fuzz/<target>), crashes to
# fuzz/artifacts/<target>/ (both git-ignored). A crash makes the script exit non-zero;
# reproduce it with `cargo +nightly fuzz run <target> <file>`, fix the bug and add the
# input to tests/fuzz_regressions.rs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_EACH=${1:-600}
shift || true
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
WORK=${FUZZ_WORK:-/tmp/credit-meter-fuzz}
cd "$ROOT/fuzz"
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(snapshot_envelope persisted_state sync_response catalog note_estimate)
# Release code with overflow checks and debug assertions on (-O -a); no sanitizer: the
# crate forbids unsafe code, so ASan would only slow the search down.
FLAGS=(-O -a -s none)
cargo +nightly fuzz build "${FLAGS[@]}" >/dev/null
status=0
summary=()
for t in "${TARGETS[@]}"; do
  mkdir -p "$WORK/$t" "$WORK/logs"
  log="$WORK/logs/$t.log"
  echo "=== $t: ${SECONDS_EACH}s ==="
  if cargo +nightly fuzz run "${FLAGS[@]}" "$t" "$WORK/$t" "corpus/$t" -- -max_total_time="$SECONDS_EACH" -print_final_stats=1 >"$log" 2>&1; then
    result=ok
  else
    result="CRASH (see $log and fuzz/artifacts/$t/)"
    status=1
  fi
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
  rate=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}' || true)
  corpus=$(find "$WORK/$t" -type f | wc -l)
  line="$t: ${execs:-?} execs, ${rate:-?} exec/s, corpus $corpus, $result"
  echo "$line"
  [ -n "$done_line" ] && echo "  $done_line"
  summary+=("$line")
done
echo
echo "=== summary (${SECONDS_EACH}s each) ==="
printf '%s\n' "${summary[@]}"
exit $status
