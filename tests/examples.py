#!/usr/bin/env python3
"""Runs every examples/*.py on the unix firmware, each under tests/broker.py.

    python3 tests/examples.py --micropython build/unix/micropython [-k NAME] [-j N] [-v]

Each example gets its own private mosquitto (tests/broker.py --run), with
MQTT_PORT set; an example that reads MQTT_TLS_PORT gets `--tls` too (a TLS
listener, MQTT_TLS_PORT, MQTT_CA, MQTT_SERVER_HOSTNAME). An example passes
when it exits 0 within --timeout seconds (default 60); one that prints a
line starting with "SKIP" and exits 0 is reported as skipped. The last line
is "N passed, N failed, N skipped"; the exit status is 1 if any failed or
none ran.
"""

import argparse
import concurrent.futures
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EXAMPLES = os.path.join(ROOT, "examples")


def run_one(path, args):
    with open(path) as f:
        needs_tls = "MQTT_TLS_PORT" in f.read()
    cmd = [sys.executable, os.path.join(HERE, "broker.py")]
    if needs_tls:
        cmd.append("--tls")
    cmd += ["--run", args.micropython, path]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=args.timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        # SIGTERM to the group: the example dies, and broker.py stops its
        # mosquitto (which runs in a session of its own) on the way out.
        os.killpg(p.pid, signal.SIGTERM)
        try:
            out, _ = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
        rc = None
    out = out.decode("utf-8", "replace")
    dt = time.monotonic() - t0
    name = os.path.basename(path)
    lines = [l for l in out.splitlines() if l.strip()]
    if rc is None:
        return name, "FAIL", "timeout after %ds" % args.timeout, out, dt
    if rc == 0 and any(l.startswith("SKIP") for l in lines):
        return name, "SKIP", [l for l in lines if l.startswith("SKIP")][0][4:].strip(), out, dt
    if rc == 0:
        return name, "PASS", "", out, dt
    return name, "FAIL", "exit code %d" % rc, out, dt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--micropython", required=True, help="unix micropython binary")
    ap.add_argument("-k", dest="patterns", action="append", default=[], help="only examples whose name contains this")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="examples run in parallel (default 1)")
    ap.add_argument("--timeout", type=int, default=60, help="seconds per example (default 60)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every example's output")
    args = ap.parse_args()
    args.micropython = os.path.abspath(args.micropython)
    names = sorted(n for n in os.listdir(EXAMPLES) if n.endswith(".py"))
    if args.patterns:
        names = [n for n in names if any(p in n for p in args.patterns)]
    if not names or not os.access(args.micropython, os.X_OK):
        print("no examples selected" if not names else "not executable: %s" % args.micropython)
        print("0 passed, 0 failed, 0 skipped")
        return 1
    results = []

    def report(res):
        name, status, why, out, dt = res
        results.append(status)
        print("%-4s %s (%.1fs)%s" % (status, name, dt, ": " + why if why else ""), flush=True)
        if status == "FAIL" or args.verbose:
            for l in out.rstrip("\n").split("\n"):
                print("    | " + l)

    paths = [os.path.join(EXAMPLES, n) for n in names]
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        for fut in [ex.submit(run_one, p, args) for p in paths]:
            report(fut.result())
    npass, nfail, nskip = (results.count(s) for s in ("PASS", "FAIL", "SKIP"))
    print("%d passed, %d failed, %d skipped" % (npass, nfail, nskip))
    return 1 if nfail or not npass else 0


if __name__ == "__main__":
    sys.exit(main())
