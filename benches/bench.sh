#!/usr/bin/env bash
# Benchmark explainer against Hugo on the synthetic corpus (one command):
#
#   bash benches/bench.sh [RUNS]        # RUNS cold builds of each, alternating (default 3)
#
# Generates 1k- and 10k-page corpora on /dev/shm with ../shared/bench/gen_site.py
# (or $GEN_SITE), builds each with the release explainer and with Hugo
# alternately, and prints min wall time, CPU time (user+sys) and peak RSS of
# each (GNU time: %e %U %S %M), the ratios, a no-op rebuild and a one-page edit
# (a sentence appended to one page) for explainer, and the build of this
# repository's own site. Output folders live on /dev/shm as well.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
RUNS=${1:-3}
GEN=${GEN_SITE:-$REPO/../shared/bench/gen_site.py}
WORK=${BENCH_DIR:-/dev/shm/explainer-bench}
HUGO=${HUGO:-/usr/bin/hugo}
TIME=/usr/bin/time

cargo build --release --quiet
BIN=$REPO/target/release/explainer
[ -n "${CARGO_TARGET_DIR:-}" ] && BIN=$CARGO_TARGET_DIR/release/explainer
mkdir -p "$WORK"

# measure OUTFILE CMD... : append "wall user sys maxrss_kb" of one run to OUTFILE
measure() {
  local out=$1; shift
  $TIME -f '%e %U %S %M' -o "$WORK/t" "$@" >/dev/null 2>&1
  cat "$WORK/t" >> "$out"
}

# min_wall FILE -> "wall cpu rss_mib" of the fastest run
min_wall() {
  sort -n -k1,1 "$1" | head -1 | awk '{printf "%.2f %.2f %.0f", $1, $2+$3, $4/1024}'
}

row() { # name file
  read -r w c m <<<"$(min_wall "$2")"
  printf '| %-34s | %8s | %8s | %8s |\n' "$1" "$w" "$c" "$m"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "explainer $(git -C "$REPO" rev-parse --short HEAD), $($HUGO version | cut -d' ' -f1-2)"
echo
printf '| %-34s | %8s | %8s | %8s |\n' "build" "wall s" "CPU s" "RSS MiB"
printf '|%s|%s|%s|%s|\n' "------------------------------------" "----------" "----------" "----------"
for n in 1000 10000; do
  site=$WORK/site-$n
  if [ ! -d "$site/explainer/content" ]; then
    python3 "$GEN" "$n" "$site" >/dev/null
  fi
  out=$WORK/out-$n
  e=$WORK/explainer-$n.txt; h=$WORK/hugo-$n.txt; noop=$WORK/noop-$n.txt; edit=$WORK/edit-$n.txt
  : > "$e"; : > "$h"; : > "$noop"; : > "$edit"
  for _ in $(seq "$RUNS"); do
    rm -rf "$out/explainer" "$site/explainer/.explainer-cache"
    measure "$e" "$BIN" build --root "$site/explainer" -o "$out/explainer"
    rm -rf "$out/hugo"
    measure "$h" "$HUGO" --quiet --source "$site/hugo" --destination "$out/hugo"
  done
  page=$site/explainer/content/s7/p$((n / 2 + 7)).md
  for i in $(seq "$RUNS"); do
    measure "$noop" "$BIN" build --root "$site/explainer" -o "$out/explainer"
    echo "Appended sentence number $i for the one-page edit." >> "$page"
    measure "$edit" "$BIN" build --root "$site/explainer" -o "$out/explainer"
  done
  row "explainer, $n pages, cold" "$e"
  row "hugo, $n pages, cold" "$h"
  row "explainer, $n pages, no-op rebuild" "$noop"
  row "explainer, $n pages, one-page edit" "$edit"
done
self=$WORK/self.txt; : > "$self"
for _ in $(seq "$RUNS"); do
  rm -rf "$WORK/out-self" "$REPO/.explainer-cache"
  measure "$self" "$BIN" build --root "$REPO" -o "$WORK/out-self"
done
row "explainer, its own site, cold" "$self"
echo
ew=$(min_wall "$WORK/explainer-10000.txt" | cut -d' ' -f1)
hw=$(min_wall "$WORK/hugo-10000.txt" | cut -d' ' -f1)
e1=$(min_wall "$WORK/explainer-1000.txt" | cut -d' ' -f1)
nw=$(min_wall "$WORK/noop-10000.txt" | cut -d' ' -f1)
em=$(min_wall "$WORK/explainer-10000.txt" | cut -d' ' -f3)
awk -v e="$ew" -v h="$hw" -v e1="$e1" -v n="$nw" -v m="$em" 'BEGIN {
  printf "10k cold: explainer/hugo wall = %.2fx (target <= 0.25x); peak RSS %d MiB (target < 170)\n", e / h, m
  printf "10k no-op / cold = %.1f%% (target <= 10%%)\n", 100 * n / e
  printf "scaling 1k -> 10k (explainer, wall) = %.1fx (target <= 11x)\n", e / e1
}'
