#!/usr/bin/env python3
"""measure.py OUTFILE CMD...: run CMD once (its output discarded) and append
"wall_s user_s sys_s maxrss_kb" to OUTFILE, wall to the microsecond.

GNU time reports wall time to the hundredth of a second, too coarse for the
one-page edit; this takes the same figures from the kernel's rusage. CPU time
is the difference across the run: a `python3` started through a shim (pyenv)
inherits the shim's children's time."""
import resource
import subprocess
import sys
import time

out, cmd = sys.argv[1], sys.argv[2:]
before = resource.getrusage(resource.RUSAGE_CHILDREN)
start = time.perf_counter()
subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
wall = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_CHILDREN)
user = after.ru_utime - before.ru_utime
system = after.ru_stime - before.ru_stime
# The peak RSS of the largest child so far: the only one is the command.
with open(out, "a") as f:
    f.write(f"{wall:.6f} {user:.6f} {system:.6f} {after.ru_maxrss}\n")
