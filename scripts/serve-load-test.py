#!/usr/bin/env python3
"""Load test of `explainer serve` on loopback, while the site is being edited.

Starts `explainer serve` on a copy of a site, then sends REQUESTS GET requests
over CONCURRENCY keep-alive connections to every page of the sitemap while
another thread rewrites one content file every 100 ms (alternating two
versions). Every response must be a 200 with a complete HTML page; the edited
page must show exactly one of the two versions, never a mix.

Bounded: at most REQUESTS requests and TIME_LIMIT seconds; 127.0.0.1 only.
Usage: serve-load-test.py [--bin PATH] [--site DIR] [--requests N] [--concurrency N]
Exit status 0 when there were no errors.
"""
import argparse, http.client, os, re, shutil, subprocess, sys, tempfile, threading, time
from concurrent.futures import ThreadPoolExecutor

TIME_LIMIT = 120


def start_server(binary, site):
    proc = subprocess.Popen([binary, "serve", "--root", site, "--port", "18111"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        m = re.search(r"at (http://127\.0\.0\.1:\d+\S*)", line)
        if m:
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc, m.group(1).rstrip("/") + "/"
    proc.kill()
    sys.exit("serve did not print its URL")


def pages(base):
    host, port, prefix = split(base)
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("GET", prefix + "sitemap.xml")
    xml = conn.getresponse().read().decode()
    paths = []
    for loc in re.findall(r"<loc>([^<]+)</loc>", xml):
        m = re.match(r"https?://[^/]+(/.*)", loc)
        paths.append(m.group(1) if m else loc)
    return paths


def split(url):
    m = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    return m.group(1), int(m.group(2)), m.group(3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "explainer"))
    ap.add_argument("--site", default=os.path.join(os.path.dirname(__file__), ".."))
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, default=50)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="explainer-load-")
    for part in ("config.toml", "content", "templates", "static"):
        src = os.path.join(args.site, part)
        dst = os.path.join(work, part)
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, dst)
    edited = os.path.join(work, "content", "load-test.md")
    versions = ["+++\ntitle = \"Load test\"\n+++\nVERSION-A " + "a " * 2000 + "\n",
                "+++\ntitle = \"Load test\"\n+++\nVERSION-B " + "b " * 2000 + "\n"]
    with open(edited, "w") as f:
        f.write(versions[0])

    proc, base = start_server(os.path.abspath(args.bin), work)
    host, port, prefix = split(base)
    try:
        time.sleep(0.5)
        targets = pages(base)
        stop = threading.Event()
        edits = [0]

        def editor():
            i = 0
            while not stop.is_set():
                i += 1
                tmp = edited + ".tmp"
                with open(tmp, "w") as f:
                    f.write(versions[i % 2])
                os.replace(tmp, edited)
                edits[0] += 1
                time.sleep(0.1)

        threading.Thread(target=editor, daemon=True).start()
        per_worker = args.requests // args.concurrency
        errors, done, lock = [], [0], threading.Lock()
        started = time.time()

        def worker(w):
            conn = http.client.HTTPConnection(host, port, timeout=10)
            for i in range(per_worker):
                if time.time() - started > TIME_LIMIT:
                    return
                path = targets[(w * per_worker + i) % len(targets)]
                if i % 5 == 0:
                    path = prefix + "load-test/"
                try:
                    conn.request("GET", path)
                    resp = conn.getresponse()
                    body = resp.read().decode("utf-8", "replace")
                    problem = None
                    if resp.status != 200:
                        problem = f"status {resp.status}"
                    elif not body.rstrip().endswith("</html>"):
                        problem = "incomplete page"
                    elif path.endswith("load-test/") and (("VERSION-A" in body) == ("VERSION-B" in body)):
                        problem = "mixed or missing version"
                    if problem:
                        with lock:
                            errors.append(f"{path}: {problem}")
                except Exception as e:  # a connection error is an error too
                    with lock:
                        errors.append(f"{path}: {e!r}")
                    conn = http.client.HTTPConnection(host, port, timeout=10)
                with lock:
                    done[0] += 1

        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(worker, range(args.concurrency)))
        stop.set()
        elapsed = time.time() - started
        print(f"{done[0]} requests, {args.concurrency} connections, {edits[0]} edits, "
              f"{len(errors)} errors, {elapsed:.1f} s ({done[0] / elapsed:.0f} req/s)")
        for e in errors[:20]:
            print("  " + e)
        return 1 if errors or done[0] < args.requests else 0
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
