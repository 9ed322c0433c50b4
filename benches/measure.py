#!/usr/bin/env python3
"""measure.py OUTFILE CMD...: run CMD once (its output discarded) and append
"wall_s user_s sys_s maxrss_kb" to OUTFILE, wall to the microsecond.

GNU time reports wall time to the hundredth of a second, too coarse for the
one-page edit; this takes the same figures from the kernel's rusage."""
import resource
import subprocess
import sys
import time

out, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, "a") as f:
    f.write(f"{wall:.6f} {usage.ru_utime:.6f} {usage.ru_stime:.6f} {usage.ru_maxrss}\n")
