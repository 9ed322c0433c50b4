#!/usr/bin/env bash
# Benchmark explainer against Hugo on the synthetic corpus (one command):
#
#   bash benches/bench.sh [RUNS]        # RUNS cold builds of each, alternating (default 3)
#
# Generates 1k- and 10k-page corpora on /dev/shm with examples/gen_corpus.rs
# (or $GEN_SITE, a command taking N DIR), builds each with the release explainer and with Hugo
# alternately, and prints the fastest and the median wall time, and the CPU time
# (user+sys) and peak RSS of the fastest run (benches/measure.py: wall to the
# microsecond, the rest from the kernel's rusage), the ratios, and EDITS
# (default 10) no-op rebuilds and one-page edits (a sentence appended to one
# page) for explainer, and the build of this repository's own site. Output
# folders live on /dev/shm as well.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
RUNS=${1:-3}
EDITS=${EDITS:-10}
WORK=${BENCH_DIR:-/dev/shm/explainer-bench}
HUGO=${HUGO:-/usr/bin/hugo}

cargo build --release --quiet --bin explainer --example gen_corpus
FLOOR=$(cargo bench --quiet --bench floor --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "floor" and m.get("executable"):
        print(m["executable"])')
TARGET=${CARGO_TARGET_DIR:-$REPO/target}
BIN=$TARGET/release/explainer
GEN=${GEN_SITE:-$TARGET/release/examples/gen_corpus}
mkdir -p "$WORK"
: > "$WORK/floor-runs.txt"

# measure OUTFILE CMD... : append "wall user sys maxrss_kb" of one run to OUTFILE
measure() {
  local out=$1; shift
  python3 "$REPO/benches/measure.py" "$out" "$@"
}

# stats FILE -> "min_wall median_wall cpu_of_fastest rss_mib_of_fastest"
stats() {
  sort -n -k1,1 "$1" | awk '{ w[NR] = $1; if (NR == 1) { c = $2 + $3; m = $4 } }
    END { med = (NR % 2) ? w[(NR + 1) / 2] : (w[NR / 2] + w[NR / 2 + 1]) / 2
          printf "%.3f %.3f %.2f %.0f", w[1], med, c, m / 1024 }'
}

row() { # name file
  read -r w med c m <<<"$(stats "$2")"
  printf '| %-38s | %8s | %8s | %8s | %8s |\n' "$1" "$w" "$med" "$c" "$m"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "explainer $(git -C "$REPO" rev-parse --short HEAD), $($HUGO version | cut -d' ' -f1-2)"
echo
printf '| %-38s | %8s | %8s | %8s | %8s |\n' "build (fastest run; median wall)" "wall s" "median s" "CPU s" "RSS MiB"
printf '|%s|%s|%s|%s|%s|\n' "----------------------------------------" "---------:" "---------:" "---------:" "---------:"
for n in 1000 10000; do
  site=$WORK/site-$n
  if [ ! -d "$site/explainer/content" ]; then
    $GEN "$n" "$site" >/dev/null
  fi
  out=$WORK/out-$n
  e=$WORK/explainer-$n.txt; h=$WORK/hugo-$n.txt; noop=$WORK/noop-$n.txt; edit=$WORK/edit-$n.txt
  : > "$e"; : > "$h"; : > "$noop"; : > "$edit"
  for _ in $(seq "$RUNS"); do
    rm -rf "$out/explainer" "$site/explainer/.explainer-cache"
    measure "$e" "$BIN" build --root "$site/explainer" -o "$out/explainer"
    rm -rf "$out/hugo"
    measure "$h" "$HUGO" --quiet --source "$site/hugo" --destination "$out/hugo"
    if [ "$n" = 10000 ]; then
      # The floor (benches/floor.rs) in turns with the builds, so that it
      # meets the same load on this shared machine: one run of each stage.
      FLOOR_RUNS=1 "$FLOOR" "$site/explainer" "$out/explainer" >> "$WORK/floor-runs.txt"
    fi
  done
  page=$site/explainer/content/s7/p$((n / 2 + 7)).md
  for i in $(seq "$EDITS"); do
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
# The floor (benches/floor.rs): parse + highlight + I/O of the 10k corpus,
# each parallel on every core, run once after each cold 10k build above; each
# stage's fastest run, and their sum.
awk '$1 == "floor:" && !head { sub(/, fastest of [0-9]+/, ""); print; head = 1 }
  $1 ~ /^(parse|highlight|io)$/ { if (!($1 in best) || $2 < best[$1]) best[$1] = $2; if (!($1 in order)) order[$1] = ++k }
  $1 == "floor" { runs++ }
  END { for (s in order) names[order[s]] = s
        for (i = 1; i <= k; i++) { printf "%-10s %.3f s\n", names[i], best[names[i]]; sum += best[names[i]] }
        printf "floor      %.3f s (each stage the fastest of %d runs, in turns with the builds)\n", sum, runs }' \
  "$WORK/floor-runs.txt" | tee "$WORK/floor.txt"
fw=$(awk '$1 == "floor" { print $2 }' "$WORK/floor.txt")
echo
first() { stats "$1" | cut -d' ' -f"$2"; }
ew=$(first "$WORK/explainer-10000.txt" 1)
hw=$(first "$WORK/hugo-10000.txt" 1)
e1=$(first "$WORK/explainer-1000.txt" 1)
nw=$(first "$WORK/noop-10000.txt" 1)
em=$(first "$WORK/explainer-10000.txt" 4)
dw=$(first "$WORK/edit-10000.txt" 1)
dm=$(first "$WORK/edit-10000.txt" 2)
sw=$(first "$WORK/self.txt" 1)
awk -v e="$ew" -v f="$fw" -v h="$hw" -v e1="$e1" -v n="$nw" -v m="$em" -v dw="$dw" -v dm="$dm" -v sw="$sw" -v edits="$EDITS" 'BEGIN {
  printf "10k cold: explainer/hugo wall = %.2fx (target <= 0.20x); peak RSS %d MiB (target < 100)\n", e / h, m
  printf "10k cold: explainer/floor wall = %.2fx (target <= 1.5x)\n", e / f
  printf "10k no-op / cold = %.1f%% (target <= 10%%)\n", 100 * n / e
  printf "10k one-page edit: fastest %.0f ms, median %.0f ms of %d (target <= 100 ms)\n", 1000 * dw, 1000 * dm, edits
  printf "scaling 1k -> 10k (explainer, wall) = %.1fx (target <= 11x)\n", e / e1
  printf "own site, cold: %.0f ms (target < 50 ms)\n", 1000 * sw
}'
