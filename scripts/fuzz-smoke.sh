#!/usr/bin/env bash
# Fuzz smoke test: run each fuzz target for a short while (60 s by default) on
# the stable toolchain, and exit non-zero if any input crashes, hangs or blows
# the memory limit.
#
#   bash scripts/fuzz-smoke.sh                 # every target, 60 s each
#   FUZZ_SECONDS=600 bash scripts/fuzz-smoke.sh markdown
#
# Needs: rustup's stable toolchain, a C++ compiler (libFuzzer is built from
# source by libfuzzer-sys), and crates.io. Installs cargo-fuzz if it is missing
# (about 2-6 minutes on 2 cores). No nightly: `-s none` turns off the
# sanitizer, the only part of cargo-fuzz that needs nightly.
#
# Exit status: 0 no crash; 1 a target crashed, hung or ran out of memory (the
# input is saved under fuzz/artifacts/<target>/), or the targets do not compile;
# 2 the fuzzing toolchain could not be set up (nothing was fuzzed).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
CARGO_FUZZ_VERSION="0.13.2"
ALL_TARGETS=(front_matter markdown citations)
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi

say() { printf 'fuzz-smoke: %s\n' "$*" >&2; }
setup_failed() {
  say "SETUP FAILED: $*"
  say "nothing was fuzzed; see docs/reliability.md (Fuzzing: what is needed)"
  exit 2
}

command -v cargo >/dev/null || setup_failed "cargo is not on PATH (install rustup's stable toolchain)"
command -v c++ >/dev/null || command -v g++ >/dev/null || command -v clang++ >/dev/null \
  || setup_failed "no C++ compiler: libfuzzer-sys compiles libFuzzer (apt-get install g++)"

if ! cargo fuzz --version >/dev/null 2>&1; then
  say "installing cargo-fuzz $CARGO_FUZZ_VERSION from crates.io"
  start=$(date +%s)
  cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION" </dev/null \
    || setup_failed "cargo install cargo-fuzz failed"
  say "cargo-fuzz installed in $(( $(date +%s) - start )) s"
fi

cd fuzz
say "building the fuzz targets ($(cargo fuzz --version))"
start=$(date +%s)
# The fuzz crate is outside the main workspace, so `cargo test` and clippy do not
# compile it: an API change in src/ that it was not updated for shows up here,
# and is a failure of the project (exit 1), not of the toolchain.
if ! cargo fuzz build -s none </dev/null; then
  say "FAILED: the fuzz targets do not build (update fuzz/src/lib.rs for the change in src/)"
  echo "fuzz: 0 passed, ${#TARGETS[@]} failed"
  exit 1
fi
say "built in $(( $(date +%s) - start )) s"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
passed=0
failed=0
for t in "${TARGETS[@]}"; do
  if [ ! -d "corpus/$t" ]; then
    say "unknown target $t (known: ${ALL_TARGETS[*]})"
    failed=$((failed + 1))
    continue
  fi
  mkdir -p "$scratch/$t" "artifacts/$t"
  before=$(find "artifacts/$t" -type f | wc -l)
  log="$scratch/$t.log"
  say "$t: fuzzing for $SECONDS_PER_TARGET s"
  # New inputs go to the scratch folder (first corpus argument); the committed
  # seeds in corpus/<target>/ are only read.
  status=0
  cargo fuzz run -s none "$t" "$scratch/$t" "corpus/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -dict="dict/$t.dict" \
    -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1 </dev/null || status=$?
  runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 executions in \2 s/p' "$log" | tail -1)
  after=$(find "artifacts/$t" -type f | wc -l)
  if [ "$status" -ne 0 ] || [ "$after" -ne "$before" ]; then
    failed=$((failed + 1))
    say "$t: FAILED (exit $status)"
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written|ALARM' "$log" | head -20 >&2 || true
    tail -40 "$log" >&2
  else
    passed=$((passed + 1))
    say "$t: ok, ${runs:-? executions}, no crash"
  fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
