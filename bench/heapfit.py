"""The benchmark's "smallest heap" (bench/run.py): the least heap in which bench/mp/app.py
(import umqtt.simple2, connect, subscribe, a 2 KiB QoS1 round trip, disconnect) completes.

On unix, `micropython -X heapsize=N app.py PORT FRAG` against the private mosquitto, N bisected
to STEP bytes. On rv32 (QEMU), see qemu_bench.smallest: a ballast is bisected instead.
"""
import os
import subprocess

from pure import BenchError

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "mp", "app.py")
STEP = 256  # resolution of the figures, bytes
TIMEOUT = 30  # s per run: a client stuck after a MemoryError counts as not completing


def bisect(ok, lo, hi, step=STEP):
    """The smallest n in (lo, hi], a multiple of step, with ok(n), given ok(hi) and not ok(lo);
    assumes that more heap never hurts (what the figure means)."""
    while hi - lo > step:
        mid = (lo + hi) // 2 // step * step
        if mid <= lo:
            mid = lo + step
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def unix_smallest(mp, env, port, frag, bare=False, log=print, lo=1024, hi=1 << 20):
    """Smallest -X heapsize (bytes) in which app.py completes on the unix firmware mp."""
    def ok(n):
        cmd = [mp, "-X", "heapsize=%d" % n, APP, str(port), str(frag)] + (["bare"] if bare else [])
        try:
            p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            log("  heapsize %d: no answer after %d s, counted as failing" % (n, TIMEOUT))
            return False
        good = p.returncode == 0 and "APPOK" in p.stdout
        # Lack of memory shows as MemoryError, or (umqtt-rs) as the message
        # the heap could not hold skipped: MQTTException(54, EMSGSKIPPED).
        if not good and "MemoryError" not in p.stderr and "MQTTException: 54" not in p.stderr:
            raise BenchError("app.py at heapsize %d failed, not for lack of memory:\n  %s\n%s%s"
                             % (n, " ".join(cmd), p.stdout, p.stderr))
        return good

    if not ok(hi):
        raise BenchError("app.py does not complete in a %d B heap" % hi)
    if ok(lo):
        return lo
    return bisect(ok, lo, hi)
