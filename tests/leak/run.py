#!/usr/bin/env python3
"""Leak loop: N (default 10,000) connect / publish (QoS 0 and 1) / disconnect
cycles of one MicroPython process against a private mosquitto.

    python3 tests/leak/run.py --micropython build/unix/micropython [-n 10000]
        [--facade simple2] [--every 500] [--warmup 1000]

The client prints gc.mem_free() (after gc.collect()) every --every cycles;
this runner samples the process's VmRSS and open file descriptors from
/proc/<pid>/ at the same moments. After --warmup cycles the samples must be
flat: gc.mem_free() within --gc-tolerance bytes (default 512) of its first
post-warm-up value, VmRSS within --rss-tolerance KiB (default 256) and the
descriptor count unchanged. Prints the figures; exits non-zero otherwise.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import run as harness  # tests/run.py: the mosquitto harness  # noqa: E402


def proc_status(pid):
    rss = None
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    fds = len(os.listdir("/proc/%d/fd" % pid))
    return rss, fds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--micropython", required=True)
    ap.add_argument("-n", type=int, default=10000)
    ap.add_argument("--every", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=1000)
    ap.add_argument("--facade", default="simple2")
    ap.add_argument("--gc-tolerance", type=int, default=512, help="bytes")
    ap.add_argument("--rss-tolerance", type=int, default=256, help="KiB")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="umqtt-leak-")
    broker = harness.Broker(tmp)
    try:
        broker.start()
        env = dict(os.environ, MICROPYPATH=".frozen")
        p = subprocess.Popen([os.path.abspath(args.micropython), os.path.join(HERE, "cycle_mp.py"),
                              args.facade, harness.HOST, str(broker.port), str(args.n), str(args.every)],
                             cwd=tmp, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        samples, out = [], []
        for line in p.stdout:
            out.append(line)
            if line.startswith("S "):
                _, cycle, free, ms = line.split()
                rss, fds = proc_status(p.pid)
                samples.append((int(cycle), int(free), rss, fds, int(ms)))
                print("cycle %6d  gc.mem_free %8d  VmRSS %6d KiB  fds %3d  %6.1f s" % (
                    samples[-1][:4] + (int(ms) / 1000.0,)), flush=True)
                p.stdin.write("\n")
                p.stdin.flush()
        rc = p.wait()
    finally:
        broker.stop()
        harness._run_cleanups()
    if rc != 0 or not out or out[-1].strip() != "DONE":
        print("".join(out[-20:]))
        print("FAIL: client exited %d" % rc)
        return 1
    after = [s for s in samples if s[0] > args.warmup]
    base = after[0]
    dfree = max(abs(s[1] - base[1]) for s in after)
    drss = max(s[2] for s in after) - base[2]
    dfds = max(abs(s[3] - base[3]) for s in after)
    rate = args.n / (samples[-1][4] / 1000.0)
    print("%d cycles (%.0f/s), after cycle %d: gc.mem_free varies by %d B (tolerance %d), "
          "VmRSS grows %d KiB (tolerance %d), fds vary by %d" % (
              args.n, rate, base[0], dfree, args.gc_tolerance, drss, args.rss_tolerance, dfds))
    ok = dfree <= args.gc_tolerance and drss <= args.rss_tolerance and dfds == 0
    print("leak loop: %s" % ("flat" if ok else "NOT FLAT"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
