#!/usr/bin/env bash
# Edit-to-reload latency of `explainer serve` (see examples/serve_latency.rs).
#
#   benches/serve_latency.sh [SITE] [-- extra args]
#
# SITE defaults to this repository's own site. The site is copied to a
# temporary folder first; only the copy is edited. A 10k-page corpus:
#   cargo run --release --example gen_corpus -- 10000 /dev/shm/bench10k
#   benches/serve_latency.sh /dev/shm/bench10k/explainer
set -euo pipefail
cd "$(dirname "$0")/.."
site="${1:-.}"
shift || true
cargo build --release --quiet
target="${CARGO_TARGET_DIR:-target}"
cargo run --release --quiet --example serve_latency -- --bin "$target/release/explainer" "$@" "$site"
