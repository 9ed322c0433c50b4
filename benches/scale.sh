#!/usr/bin/env bash
# Scaling to 100 000 pages (issue 22): cold builds of the 10k and the 100k
# corpus in turns, in the same run, with wall time, CPU time and peak RSS:
#
#   bash benches/scale.sh [RUNS]        # RUNS cold builds of each (default 1)
#
# The corpora come from examples/gen_corpus.rs (or $GEN_SITE, a command
# taking N DIR) into $BENCH_DIR (default /dev/shm/explainer-bench), as
# benches/bench.sh makes them; the 100k one takes about 3.1 GB (the Hugo copy
# included), its output about 2 GB more: check `df -h /dev/shm` first.
# KEEP=1 keeps the 100k corpus and output afterwards; they are removed
# otherwise. Prints the fastest run of each and the 100k/10k ratios (targets:
# peak RSS under 2 GiB, wall at most 11x the 10k build's).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
RUNS=${1:-1}
WORK=${BENCH_DIR:-/dev/shm/explainer-bench}

cargo build --release --quiet --bin explainer --example gen_corpus
TARGET=${CARGO_TARGET_DIR:-$REPO/target}
BIN=$TARGET/release/explainer
GEN=${GEN_SITE:-$TARGET/release/examples/gen_corpus}
mkdir -p "$WORK"

echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "explainer $(git -C "$REPO" rev-parse --short HEAD)"
for n in 10000 100000; do
  if [ ! -d "$WORK/site-$n/explainer/content" ]; then
    $GEN "$n" "$WORK/site-$n" >/dev/null
  fi
  : > "$WORK/scale-$n.txt"
done
for _ in $(seq "$RUNS"); do
  for n in 10000 100000; do
    site=$WORK/site-$n/explainer
    out=$WORK/out-$n/explainer
    rm -rf "$out" "$site/.explainer-cache"
    python3 "$REPO/benches/measure.py" "$WORK/scale-$n.txt" "$BIN" build --root "$site" -o "$out"
  done
done
echo
printf '| %-30s | %8s | %8s | %8s |\n' "cold build (fastest run)" "wall s" "CPU s" "RSS MiB"
printf '|%s|%s|%s|%s|\n' "--------------------------------" "---------:" "---------:" "---------:"
for n in 10000 100000; do
  sort -n -k1,1 "$WORK/scale-$n.txt" | head -1 |
    awk -v n="$n" '{ printf "| explainer, %6d pages        | %8.3f | %8.2f | %8.0f |\n", n, $1, $2 + $3, $4 / 1024 }'
done
paste <(sort -n -k1,1 "$WORK/scale-10000.txt" | head -1) <(sort -n -k1,1 "$WORK/scale-100000.txt" | head -1) |
  awk '{ printf "\n100k / 10k: wall %.1fx (target <= 11x), CPU %.1fx; 100k peak RSS %.0f MiB (target < 2048)\n",
    $5 / $1, ($6 + $7) / ($2 + $3), $8 / 1024 }'
if [ "${KEEP:-0}" != 1 ]; then
  rm -rf "$WORK/site-100000" "$WORK/out-100000"
fi
