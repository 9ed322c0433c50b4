#!/usr/bin/env python3
"""Compare one-page edit builds of two or more explainer binaries, in turns.

    python3 benches/ab_edit.py [--rounds N] [--pages N] BIN_A BIN_B [BIN_C ...]

A shared 2-core machine drifts by tens of per cent within minutes, so binaries
are only compared against each other in the same minutes: each binary gets its
own copy of the corpus (the build cache is keyed by the binary, so copies
cannot be shared), builds it once cold, then the binaries take turns at
one-page edits (a sentence appended to the same page of each copy). Prints
the median and fastest wall time and the median CPU time (user + system) of
each binary's edit builds.

The corpus comes from examples/gen_corpus.rs (or $GEN_SITE, a command taking
N DIR) into
$BENCH_DIR (default /dev/shm/explainer-bench), as benches/bench.sh makes it;
the copies and outputs go to $BENCH_DIR/ab/.
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def corpus(pages, work):
    site = os.path.join(work, f"site-{pages}")
    if not os.path.isdir(os.path.join(site, "explainer", "content")):
        gen = os.environ.get("GEN_SITE")
        if gen:
            command = [gen]
        else:
            command = ["cargo", "run", "--release", "--quiet", "--example", "gen_corpus", "--"]
        subprocess.run(command + [str(pages), site], check=True, stdout=subprocess.DEVNULL, cwd=REPO)
    return os.path.join(site, "explainer")


def edited_page(site):
    """A page in the middle of the corpus: the one every round edits."""
    content = os.path.join(site, "content")
    pages = sorted(
        os.path.join(d, f)
        for d, _, files in os.walk(content)
        for f in files
        if f.endswith(".md") and f != "_index.md"
    )
    return os.path.relpath(pages[len(pages) // 2], site)


def build(binary, site, out):
    """Wall and CPU milliseconds of one `explainer build`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [binary, "build", "--root", site, "--output-dir", out],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = (time.perf_counter() - start) * 1e3
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1e3
    return wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=25, help="edits per binary (default 25)")
    parser.add_argument("--pages", type=int, default=10000, help="corpus size (default 10000)")
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args()
    work = os.environ.get("BENCH_DIR", "/dev/shm/explainer-bench")
    source = corpus(args.pages, work)
    page = edited_page(source)
    runs = []
    for n, binary in enumerate(args.binaries):
        copy = os.path.join(work, "ab", str(n))
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(source, os.path.join(copy, "site"), ignore=shutil.ignore_patterns(".explainer-cache"))
        runs.append((os.path.abspath(binary), os.path.join(copy, "site"), os.path.join(copy, "out"), [], []))
    for binary, site, out, _, _ in runs:
        build(binary, site, out)
    for r in range(args.rounds):
        for binary, site, out, walls, cpus in runs:
            with open(os.path.join(site, page), "a", encoding="utf-8") as f:
                f.write(f"\nEdit {r} at {time.time()}.\n")
            wall, cpu = build(binary, site, out)
            walls.append(wall)
            cpus.append(cpu)
    print(f"{args.rounds} one-page edits each of {page} in a {args.pages}-page corpus, in turns:")
    for binary, _, _, walls, cpus in runs:
        print(
            f"  {binary}: wall median {statistics.median(walls):.1f} ms, "
            f"fastest {min(walls):.1f} ms; CPU median {statistics.median(cpus):.1f} ms"
        )


if __name__ == "__main__":
    main()
