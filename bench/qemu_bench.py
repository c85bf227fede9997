"""The benchmark's heap figures on bare-metal rv32 (qemu VIRT_RV32: 32-bit objects, 16-byte GC
blocks), used by bench/run.py: the clients talk to an in-memory broker (bench/mp/memsock.py),
since the QEMU boards have no network.

Each run boots a fresh QEMU and drives MicroPython's raw REPL with tests/qemu.py's Qemu class:
first a ballast `bytearray` (0 unless bisecting), then sys.argv as on unix and memsock's
install(), which makes `import socket` / `import usocket` give the in-memory socket, then the
script: `import app` (frozen, like memsock: bench/build-fw.sh's rv32 firmware, so nothing is
compiled on the device), or bench/mp/bench.py sent as source (heap figures: a large heap).

The firmware's heap is a build-time constant (MICROPY_HEAP_SIZE), so the smallest heap is found
by bisecting the ballast: the effective heap is the firmware's whole heap (gc.mem_alloc() +
gc.mem_free()) minus what the ballast takes.
"""
import os
import re
import sys
import time

from heapfit import STEP, bisect
from pure import BenchError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
from qemu import Qemu, QemuError  # noqa: E402  (tests/qemu.py)

MP_DIR = os.path.join(HERE, "mp")
BOOT_S, RUN_S = 30, 120

# The first thing in a fresh session: the ballast (0: none), so that it is one block.
BALLAST = """\
import gc, sys
__a = __t = __b = None
gc.collect()
__a = gc.mem_alloc()
__t = __a + gc.mem_free()
__b = bytearray(%d) if %d else None
print('HEAP', __t, gc.mem_alloc() - __a)
"""
SETUP = "sys.argv.clear()\nsys.argv.extend(%r)\nimport memsock\nmemsock.install()\n"


def _src(name):
    with open(os.path.join(MP_DIR, name)) as f:
        return f.read()


def run(elf, script, argv, ballast=0):
    """Runs bench/mp/<script> with sys.argv[1:] = argv on the firmware `elf` (one of
    bench/build-fw.sh's rv32 builds: memsock and app are frozen in; bench.py is sent as source);
    returns (completed, output, (heap total, bytes the ballast took)); (None, None) when the
    ballast itself did not fit."""
    q = Qemu("rv32", elf)
    try:
        q.enter_raw_repl(q_deadline(BOOT_S))
        steps = [BALLAST % (ballast, ballast), SETUP % ([script] + [str(a) for a in argv]),
                 "import app\n" if script == "app.py" else _src(script)]
        out = ""
        for i, code in enumerate(steps):
            o, err = q.exec_raw(code, q_deadline(RUN_S))
            out += o
            if err:
                if i == 0 and "MemoryError" in err:
                    return False, out + err, (None, None)
                if i < 2:
                    raise BenchError("rv32 %s: set-up failed: %s%s" % (elf, out, err))
                return False, out + err, heap_of(out)
        return True, out, heap_of(out)
    except QemuError as e:
        raise BenchError("rv32 %s %s: %s" % (script, " ".join(map(str, argv)), e))
    finally:
        q.close()


def q_deadline(s):
    return time.monotonic() + s


def heap_of(out):
    m = re.search(r"HEAP (\d+) (\d+)", out)
    if not m:
        raise BenchError("rv32: no HEAP line in %r" % out[-300:])
    return int(m.group(1)), int(m.group(2))


def results(elf, client, mode, *args):
    """bench.py CLIENT MODE PORT ARGS on the firmware: its RESULT lines as a dict."""
    ok, out, _ = run(elf, "bench.py", [client, mode, 1883] + list(args))
    if not ok:
        raise BenchError("rv32 bench.py %s %s: %s" % (client, mode, out[-1500:]))
    res = {}
    for line in out.splitlines():
        if line.startswith("RESULT "):
            _, k, v = line.split()
            res[k] = float(v)
    return res


def smallest(elf, frag, bare=False, log=print):
    """The smallest effective heap (bytes) in which app.py FRAG completes, to heapfit.STEP:
    bisects the ballast. Returns (effective heap, the firmware's whole heap)."""
    argv = [1883, frag] + (["bare"] if bare else [])
    taken = {}

    def ok(eff):  # eff: the effective heap to try; the ballast takes the rest
        good, out, (total, t) = run(elf, "app.py", argv, ballast=max(0, TOTAL[0] - eff))
        good = good and "APPOK" in out
        # Lack of memory: MemoryError, or the message the heap could not
        # hold skipped (umqtt-rs: MQTTException(54), EMSGSKIPPED).
        if not good and "MemoryError" not in out and "MQTTException: 54" not in out:
            raise BenchError("rv32 app.py %s failed, not for lack of memory:\n%s" % (argv, out[-1500:]))
        if good:
            taken[eff] = total - t  # the effective heap of this run
        return good

    TOTAL = [0]
    good, out, (TOTAL[0], _) = run(elf, "app.py", argv)
    if not good or "APPOK" not in out:
        raise BenchError("rv32 app.py %s fails with the whole heap:\n%s" % (argv, out[-1500:]))
    eff = bisect(ok, 0, TOTAL[0] // STEP * STEP)
    log("  rv32 %s: %d B" % (" ".join(map(str, argv)), taken.get(eff, TOTAL[0])))
    return taken.get(eff, TOTAL[0]), TOTAL[0]
