#!/usr/bin/env python3
"""umqtt-rs benchmark: our native umqtt.simple2 vs the pure-Python umqtt.simple2 2.2.0 (frozen
into a firmware of its own, and loaded from the filesystem) vs the floor (prebuilt packets
written by MicroPython's own socket) vs the C clients mosquitto_pub and mosquitto_sub, against a
private mosquitto on 127.0.0.1; the smallest heap an app needs with each client, on unix and on
rv32 under QEMU; plus the heap figures of the other facades next to their pure-Python originals.

    python3 bench/run.py --micropython PATH [--trials 5] [--quick] [--no-chart]

Writes bench/results.md, docs/bench.md, docs/bench.png (matplotlib, installed from PyPI into
build/venv-bench on the first run) and the table in README.md's "Performance" section.
Exits non-zero, with a one-paragraph reason, when anything fails.

See bench/README.md for what each figure means. CPython 3.11, stdlib only (the chart runs in
the venv).
"""
import argparse
import select
import datetime
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error

from pure import LIB, BenchError, install_pure, log  # bench/ is sys.path[0]
import heapfit
import qemu_bench

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DOCS = os.path.join(ROOT, "docs")
VENV = os.path.join(ROOT, "build", "venv-bench")
MP_DIR = os.path.join(HERE, "mp")
SCRIPT = os.path.join(MP_DIR, "bench.py")

HEAP_MEASURE = "8M"  # heap figures: gc is disabled while counting, so the heap must hold it all
HEAP_RUN = "256K"    # timed and callgrind runs: a device-sized heap, see bench/README.md
CLIENTS = ("native", "frozen", "pure", "floor")
C_COL = "C"  # mosquitto_pub / mosquitto_sub
RECV_W = 100  # warm-up messages before a receive figure is taken
WINDOW = 32

# (key, label, unit, higher_is_better)
FIGURES = [
    ("qos0_16_msgps", "QoS0 publish, 16 B payload", "msg/s", True),
    ("qos0_1k_msgps", "QoS0 publish, 1 KiB payload", "msg/s", True),
    ("qos1_msgps", "QoS1 publish, stop-and-wait", "msg/s", True),
    ("qos1w_msgps", "QoS1 publish, window of 32 in flight", "msg/s", True),
    ("recv_msgps", "receive QoS0, 16 B payload", "msg/s", True),
    ("cg_instr_per_msg", "CPU instructions per QoS0 16 B publish (callgrind)", "instr", False),
    ("cg_instr_per_recv", "CPU instructions per received 16 B message (callgrind)", "instr", False),
    ("heap_qos0_per_msg", "heap allocated per QoS0 publish", "B", False),
    ("heap_qos1_per_msg", "heap allocated per QoS1 publish (+ its PUBACK)", "B", False),
    ("heap_recv_per_msg", "heap allocated per received message", "B", False),
    ("heap_recv_objects", "… of which the callback's topic + payload `bytes` (7 B + 16 B)", "B", False),
    ("heap_import_alloc", "heap allocated by `import`", "B", False),
    ("heap_import_retained", "heap retained after `import` + gc", "B", False),
    ("heap_connect_alloc", "heap allocated by create + connect", "B", False),
    ("heap_connect_retained", "heap retained after create + connect + gc", "B", False),
]
# Issue 15: native vs frozen pure simple2, on unix and on rv32 (QEMU, in-memory broker).
# (key, label); rv32 keys are "rv32_" + key. Smallest heaps: bench/README.md.
SMALL_FIGURES = [
    ("heap_import_alloc", "heap to `import umqtt.simple2`, allocated"),
    ("heap_import_retained", "… retained after gc"),
    ("heap_connect_alloc", "heap for `MQTTClient(...)` + `connect()`, allocated"),
    ("heap_connect_retained", "… retained after gc"),
    ("heap_qos0_per_msg", "heap per QoS0 publish (16 B)"),
    ("heap_qos1_per_msg", "heap per QoS1 publish + its PUBACK"),
    ("small", "smallest heap: app subscribes and round-trips a 2 KiB message (QoS1)"),
    ("small_frag", "the same, the heap fragmented by the app's own objects"),
    ("small_bare", "baseline: the app without a client"),
    ("small_bare_frag", "baseline, fragmented"),
]
SMALL_CLIENTS = ("native", "frozen")
TIMED = {"qos0_16_msgps", "qos0_1k_msgps", "qos1_msgps", "qos1w_msgps", "recv_msgps"}
SPEED_KEYS = ["qos0_16_msgps", "qos0_1k_msgps", "qos1_msgps", "qos1w_msgps"]
# The other facades: (column, label) pairs, native first, then its pure-Python original.
FACADES = [
    ("n-simple", "`umqtt.simple` native"), ("p-simple", "umqtt.simple 1.3.4 (PyPI; pure)"),
    ("n-robust2", "`umqtt.robust2` native"), ("p-robust2", "umqtt.robust2 2.2.0 (PyPI; pure)"),
    ("n-mqtt_as", "`mqtt_as` native"),
]
FACADE_FIGURES = [
    ("heap_import_alloc", "`import`, allocated"), ("heap_import_retained", "`import`, retained after gc"),
    ("heap_connect_alloc", "create + connect, allocated"),
    ("heap_connect_retained", "create + connect, retained after gc"),
    ("heap_qos0_per_msg", "per QoS0 publish"), ("heap_qos1_per_msg", "per QoS1 publish (+ PUBACK)"),
    ("heap_recv_per_msg", "per received message"),
]
# Heap bytes of single calls (mode "calls"): (key, label)
CALLS = [
    ("call_create", "`MQTTClient(...)`"),
    ("call_connect", "`connect()` (socket, CONNECT, CONNACK)"),
    ("call_publish0_16", "`publish()` QoS0, 16 B"),
    ("call_publish0_1k", "`publish()` QoS0, 1 KiB"),
    ("call_publish1", "`publish(qos=1)`"),
    ("call_check_idle", "`check_msg()`, nothing to read"),
    ("call_check_puback", "`check_msg()` handling a PUBACK"),
]
CALL_CLIENTS = ("native", "frozen", "pure")
N_CALLS = 20
# Per-run time limits (s): a stalled client fails the run instead of hanging it.
TIMEOUT = {"probe": 20, "heap": 60, "calls": 30, "speed": 90, "cg": 120,
           "recv": 60, "recvheap": 60, "cgrecv": 180}


# ---- mosquitto ------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """The private mosquitto: its port and its log (stderr, unbuffered), which says when the
    broker has handled a client's DISCONNECT, i.e. everything that client sent before it."""

    def __init__(self, proc, port, log_path):
        self.proc, self.port, self.log_path = proc, port, log_path
        self.n = 0

    def cid(self, what):
        self.n += 1
        return ("bench-%s-%d" % (what, self.n)).encode()

    def wait_disconnected(self, cid, timeout=30):
        want = b"Client " + cid + b" disconnected"
        deadline = time.perf_counter() + timeout
        with open(self.log_path, "rb") as f:
            buf = b""
            while True:
                buf += f.read()
                if want in buf:
                    return time.perf_counter()
                if time.perf_counter() > deadline:
                    raise BenchError("mosquitto never logged %r" % want)
                time.sleep(0.0005)


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        r = s.recv(n - len(b))
        if not r:
            raise BenchError("broker closed the connection")
        b += r
    return b


def publish_packet(topic, msg):
    """A QoS0 PUBLISH (remaining length < 128 only: the flood's 16 B messages)."""
    body = len(topic).to_bytes(2, "big") + topic + msg
    return bytes([0x30, len(body)]) + body


def raw_connect(port, cid):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    body = b"\x00\x04MQTT\x04\x02\x00\x00" + len(cid).to_bytes(2, "big") + cid
    s.sendall(bytes([0x10, len(body)]) + body)
    ack = recv_exact(s, 4)
    if ack[0] != 0x20 or ack[3] != 0:
        raise BenchError("flood: CONNACK %r" % ack)
    return s


RTOPIC, MSG16 = b"bench/r", b"0123456789abcdef"


def flood(broker, n):
    """Publish n QoS0 16 B messages to RTOPIC in one sendall() (C speed: the broker's read is
    the limit), then DISCONNECT, and return once the broker has handled all of them."""
    cid = broker.cid("flood")
    s = raw_connect(broker.port, cid)
    s.sendall(publish_packet(RTOPIC, MSG16) * n + b"\xe0\x00")
    s.close()  # the CONNACK was read: no RST, the broker gets all of it
    broker.wait_disconnected(cid)


def start_broker(tmp, mosquitto):
    port = free_port()
    conf = os.path.join(tmp, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\n" % port)
    logf = open(os.path.join(tmp, "mosquitto.log"), "w")
    proc = subprocess.Popen([mosquitto, "-c", conf], stdout=logf, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return Broker(proc, port, logf.name)
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    proc.kill()
    logf.close()
    raise BenchError("mosquitto did not start:\n" + open(logf.name).read())


def stop_broker(broker):
    proc = broker.proc
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


# ---- running MicroPython --------------------------------------------------------------------

def wait_ready(p, what, timeout):
    """Read p's stdout until it says READY (it has subscribed); return what it printed."""
    fd, got = p.stdout.fileno(), b""
    deadline = time.time() + timeout
    while b"READY\n" not in got:
        left = deadline - time.time()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise BenchError("%s: no READY after %d s" % (what, timeout))
        r = os.read(fd, 4096)
        if not r:
            p.wait()
            raise BenchError("%s: exit code %s before READY\n%s%s"
                             % (what, p.returncode, got.decode(), p.stderr.read()))
        got += r
    return got.decode()


def preload(p, broker, n):
    """Stop the subscribed client, flood n messages, let it go once the broker has them all:
    the client then drains a full queue, so its own speed is measured, not the flood's."""
    os.killpg(p.pid, signal.SIGSTOP)
    try:
        flood(broker, n)
    finally:
        os.killpg(p.pid, signal.SIGCONT)


class Runner:
    def __init__(self, mp, broker, run_heap):
        self.mp, self.broker, self.port, self.run_heap = mp, broker, broker.port, run_heap
        # Only the firmware's frozen modules and our own dirs: nothing from ~/.micropython/lib.
        self.env = dict(os.environ, MICROPYPATH=":".join([".frozen", MP_DIR, LIB]))

    def cmd(self, client, mode, *args):
        heap = HEAP_MEASURE if mode in ("heap", "recvheap") else self.run_heap
        return [self.mp, "-X", "heapsize=" + heap, SCRIPT, client, mode, str(self.port)] + [str(a) for a in args]

    def run(self, client, mode, *args, prefix=(), flood_n=0):
        """flood_n: the client prints READY once subscribed; it is then stopped while flood_n
        messages are published to it, and let go."""
        cmd = list(prefix) + self.cmd(client, mode, *args)
        what = " ".join([client, mode] + [str(a) for a in args])
        # Own process group, so a timeout kills valgrind's or a wrapper's children too.
        p = subprocess.Popen(cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
        head = ""
        try:
            if flood_n:
                head = wait_ready(p, what, TIMEOUT[mode])
                preload(p, self.broker, flood_n)
            out, err = p.communicate(timeout=TIMEOUT[mode])
            out = head + out
        except (subprocess.TimeoutExpired, BenchError) as e:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            if isinstance(e, BenchError):
                raise
            raise BenchError("%s: no answer after %d s (stalled?)\n  command: %s"
                             % (what, TIMEOUT[mode], " ".join(cmd)))
        if p.returncode != 0:
            raise BenchError("%s: exit code %d\n  command: %s\n%s%s"
                             % (what, p.returncode, " ".join(cmd), out, err))
        return out

    def results(self, client, mode, *args, want=(), **kw):
        out = {}
        for line in self.run(client, mode, *args, **kw).splitlines():
            if line.startswith("RESULT "):
                _, k, v = line.split()
                out[k] = float(v)
        missing = [k for k in want if k not in out]
        if missing:
            raise BenchError("%s %s: no result for %s" % (client, mode, ", ".join(missing)))
        return out

    def callgrind(self, client, n, tmp, recv=False):
        f = os.path.join(tmp, "callgrind.%s.%d%s" % (client, n, ".recv" if recv else ""))
        pre = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + f]
        if recv:
            r = self.results(client, "cgrecv", RECV_W, n, want=["cg_n"], prefix=pre, flood_n=RECV_W + n)
        else:
            r = self.results(client, "cg", n, want=["cg_n"], prefix=pre)
        if r["cg_n"] != n:
            raise BenchError("%s cg: ran %s publishes, expected %d" % (client, r["cg_n"], n))
        with open(f) as fh:
            for line in fh:
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1])
        raise BenchError("no summary/totals line in " + f)


# ---- the C reference: mosquitto_pub / mosquitto_sub ------------------------------------------

def c_pub_rate(broker, tool, n, tmp):
    """mosquitto_pub -l: lines of 16 B from a file, each one a QoS0 PUBLISH to bench/t, timed
    from its start until the broker has handled its DISCONNECT (so, like the MicroPython
    clients' figure, everything it sent has been read). mosquitto_pub spends a fixed ~200 ms
    starting and stopping, so two runs, n/10 and n lines: rate = difference of n / of time."""
    (n1, t1), (n2, t2) = ((m, c_pub_time(broker, tool, m, tmp)) for m in (n // 10, n))
    if t2 <= t1:
        raise BenchError("mosquitto_pub: %d lines took %.3f s, %d lines %.3f s" % (n1, t1, n2, t2))
    return (n2 - n1) / (t2 - t1)


def c_pub_time(broker, tool, n, tmp):
    lines = os.path.join(tmp, "lines%d.txt" % n)
    if not os.path.exists(lines):
        with open(lines, "wb") as f:
            f.write((MSG16 + b"\n") * n)
    cid = broker.cid("cpub")
    with open(lines, "rb") as f:
        t0 = time.perf_counter()
        p = subprocess.run([tool, "-h", "127.0.0.1", "-p", str(broker.port), "-i", cid.decode(),
                            "-t", "bench/t", "-q", "0", "-l"], stdin=f, capture_output=True,
                           text=True, timeout=60)
    if p.returncode != 0:
        raise BenchError("mosquitto_pub: exit code %d\n%s%s" % (p.returncode, p.stdout, p.stderr))
    return broker.wait_disconnected(cid) - t0


def c_sub_rate(broker, tool, w, n, tmp):
    """mosquitto_sub -F '%t %U' (topic and arrival time, ns) into a file, preloaded like the
    MicroPython clients: subscribed, stopped, w + n flooded, let go; msg/s over the last n."""
    out = os.path.join(tmp, "sub.out")
    with open(out, "wb") as f:
        p = subprocess.Popen([tool, "-h", "127.0.0.1", "-p", str(broker.port), "-t", RTOPIC.decode(),
                              "-t", "bench/probe", "-F", "%t %U"], stdout=f,
                             stderr=subprocess.PIPE, start_new_session=True)
    try:
        # Subscribed once a probe comes back.
        probe = raw_connect(broker.port, broker.cid("probe"))
        deadline = time.time() + 10
        while b"bench/probe" not in open(out, "rb").read():
            if time.time() > deadline or p.poll() is not None:
                raise BenchError("mosquitto_sub: not subscribed after 10 s (exit %s)" % p.poll())
            probe.sendall(publish_packet(b"bench/probe", b"p"))
            time.sleep(0.02)
        probe.sendall(b"\xe0\x00")
        probe.close()
        preload(p, broker, w + n)
        prefix = RTOPIC + b" "
        deadline = time.time() + 60
        while True:
            ts = [l[len(prefix):] for l in open(out, "rb").read().split(b"\n") if l.startswith(prefix)]
            if len(ts) >= w + n:
                break
            if time.time() > deadline or p.poll() is not None:
                raise BenchError("mosquitto_sub: %d of %d messages" % (len(ts), w + n))
            time.sleep(0.02)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
        p.wait()
    # ns timestamps as integers: a float would lose the nanoseconds
    t = [int(x.replace(b".", b"")) for x in ts]
    return n * 1e9 / (t[w + n - 1] - t[w - 1])


def has_native(runner):
    """True when the firmware has the built-in _umqtt and umqtt.simple2.MQTTClient is built on
    it; False when there is no _umqtt (stock firmware). A firmware with _umqtt whose
    umqtt.simple2 does not import, or is not the native client, is an error."""
    out = runner.run("native", "probe").strip()
    log("native probe:", out)
    if out == "PROBE native":
        return True
    if out.startswith("PROBE absent"):
        return False
    raise BenchError("the firmware has _umqtt but no working native umqtt.simple2: " + out)


def snapshot_firmware(path, tmp, wait=60):
    """Copy the firmware into tmp, so that every run uses the same binary even if it is rebuilt
    meanwhile. Waits up to `wait` s for it to exist and stop changing (a rebuild in progress)."""
    deadline = time.time() + wait
    last = None
    while True:
        try:
            st = os.stat(path)
            cur = (st.st_size, st.st_mtime_ns)
            if cur == last and os.access(path, os.X_OK):
                break
            last = cur
        except FileNotFoundError:
            if last is not None or time.time() + wait - 1 < deadline:
                log("waiting for %s to appear (being rebuilt?)" % path)
            last = None
        if time.time() > deadline:
            raise BenchError("%s: missing or still changing after %d s" % (path, wait))
        time.sleep(1)
    dst = os.path.join(tmp, "micropython")
    shutil.copy2(path, dst)
    data = open(dst, "rb").read()
    if len(data) != last[0]:
        raise BenchError("%s changed while being copied; run again" % path)
    built = datetime.datetime.fromtimestamp(last[1] / 1e9).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return dst, "sha256 %s…, built %s" % (hashlib.sha256(data).hexdigest()[:12], built)


# ---- report ---------------------------------------------------------------------------------

def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def machine_info(mp, mp_path, mp_id, mosquitto):
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mosq = sh(mosquitto, "-h").splitlines()
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "machine": "%s, %d CPUs (nproc), %s" % (cpu, os.cpu_count() or 0, platform.platform()),
        "micropython": "%s (%s, %s)" % (sh(mp, "-c", "import sys; print(sys.version)"), mp_path, mp_id),
        "mosquitto": mosq[0] if mosq else "?",
        "valgrind": sh("valgrind", "--version"),
        "load_start": os.getloadavg()[0],
    }


def fmt(v):
    if v is None:
        return "—"
    if abs(v) >= 100 and (abs(v) >= 1000 or v == int(v)):
        return "{:,.0f}".format(v)
    return "{:.1f}".format(v)


def cell(vals):
    if not vals:
        return "—"
    if len(vals) == 1:
        return fmt(vals[0])
    return "%s (%s–%s)" % (fmt(statistics.median(vals)), fmt(min(vals)), fmt(max(vals)))


def ratio(a, b):
    if not a or not b:
        return "—"
    a, b = statistics.median(a), statistics.median(b)
    return "%.2f×" % (a / b) if b else "—"


def med(data, c, key):
    v = data.get(c, {}).get(key)
    return statistics.median(v) if v else None


def targets(data):
    """Issue 7's and issue 15's targets: (target, met, measured, why) rows. `why` is said when
    missed."""
    T = []

    def add(name, ok, measured, why):
        if ok is None:
            T.append((name, "—", "not measured", ""))
        else:
            T.append((name, "**met**" if ok else "**missed**", measured, "" if ok else why))

    for key, size in (("qos0_16_msgps", "16 B"), ("qos0_1k_msgps", "1 KiB")):
        n, f = med(data, "native", key), med(data, "floor", key)
        r = n / f if n and f else None
        add("QoS0 publish ≥ 0.8× floor (%s)" % size, None if r is None else r >= 0.8,
            "—" if r is None else "%.2f× (%s)" % (r, "%+.0f%% vs 0.8×" % ((r / 0.8 - 1) * 100)),
            "A 1 KiB PUBLISH goes out in one write from the 1,152 B the native client lends from "
            "the C stack, as the floor's does: a miss is timing noise on the shared VM (see the "
            "min-max). Above 1,152 B a PUBLISH is two writes (header, then the payload from the "
            "caller's buffer, no copy): two syscalls and two TCP segments with TCP_NODELAY."
            if size == "1 KiB" else "Timing noise or per-call overhead: see the callgrind row.")
    i = med(data, "native", "cg_instr_per_msg")
    add("≤ 2,000 instructions per QoS0 publish", None if i is None else i <= 2000,
        "—" if i is None else "{:,.0f} ({:+,.0f}, {:.2f}× the target)".format(i, i - 2000, i / 2000),
        "MicroPython's own call path (method lookup through the Python subclass, keyword and "
        "argument parsing, the stream write) costs more than the packet itself; see "
        "bench/README.md \"Where the instructions go\" for the callgrind breakdown.")
    n, p = med(data, "native", "qos1_msgps"), med(data, "pure", "qos1_msgps")
    add("QoS1 stop-and-wait ≥ 100× pure", None if not (n and p) else n / p >= 100,
        "—" if not (n and p) else "%.0f×" % (n / p), "Timing noise: see the min–max.")
    n, c = med(data, "native", "recv_msgps"), med(data, C_COL, "recv_msgps")
    add("receive ≥ mosquitto_sub", None if not (n and c) else n >= c,
        "—" if not (n and c) else "%.2f× mosquitto_sub" % (n / c),
        "Each message costs a Python call into the client (wait_msg), two new `bytes` objects and "
        "a Python callback, and a read per packet; mosquitto_sub is C end to end, reads many "
        "packets per recv() and runs its callback in C. See \"Where the instructions go\".")
    h0, h1 = med(data, "native", "heap_qos0_per_msg"), med(data, "native", "heap_qos1_per_msg")
    add("0 heap bytes per publish (QoS0, QoS1)", None if h0 is None else h0 == 0 and h1 == 0,
        "—" if h0 is None else "%s B / %s B" % (fmt(h0), fmt(h1)), "A per-call allocation on the publish path.")
    r, o = med(data, "native", "heap_recv_per_msg"), med(data, "native", "heap_recv_objects")
    add("heap per received message ≤ topic + payload objects", None if r is None else r <= o,
        "—" if r is None else "%s B vs %s B" % (fmt(r), fmt(o)),
        "More than the two `bytes` objects is allocated per message (see the single-call table).")
    i = med(data, "native", "heap_import_alloc")
    add("0 heap bytes to import", None if i is None else i == 0,
        "—" if i is None else "%s B allocated, %s B retained" % (fmt(i), fmt(med(data, "native", "heap_import_retained"))),
        "Importing a frozen module still allocates its module object and globals dict, and the "
        "objects its code creates: the `umqtt` package, the class MQTTClient (its `__init__`, "
        "which passes `self` to the native `_umqtt.Simple2`, and the `sock` property) and "
        "pid_gen. MicroPython builds these on the heap at import even from frozen bytecode; "
        "only a module written entirely in C (no Python façade) imports with 0 B.")
    # Issue 15's per-client figure is the heap a client holds (retained after a collection):
    # what is allocated also counts garbage the app gets back at once (connect's getaddrinfo
    # result, ~450 B on unix, the same for both clients). Both are shown.
    for what in ("import", "connect"):
        i, f = med(data, "native", "heap_%s_retained" % what), med(data, "frozen", "heap_%s_retained" % what)
        a, fa = med(data, "native", "heap_%s_alloc" % what), med(data, "frozen", "heap_%s_alloc" % what)
        label = "to import" if what == "import" else "for create + connect"
        add("≤ 1,024 heap bytes %s, retained (issue 15; unix)" % label, None if i is None else i <= 1024,
            "—" if i is None else "%s B retained, %s B allocated (frozen pure simple2: %s / %s B)"
            % (fmt(i), fmt(a), fmt(f), fmt(fa)),
            "See the issue 15 table: the module's and the client's own Python objects (class and "
            "function objects, the instance's attribute table) and the native object.")
    return T


def small_table(data, info):
    """Issue 15's table: heap figures and smallest heaps, native vs frozen pure, unix and rv32."""
    L = ["## Heap: native vs frozen pure simple2, unix and rv32 (issue 15)", "",
         "| figure (bytes; lower is better) | unix native | unix frozen pure | native/frozen "
         "| rv32 native | rv32 frozen pure | native/frozen |", "|---|--:|--:|--:|--:|--:|--:|"]
    for key, label in SMALL_FIGURES:
        row = []
        for k in (key, "rv32_" + key):
            v = [data[c].get(k, []) for c in SMALL_CLIENTS]
            row += [cell(v[0]), cell(v[1]), ratio(v[0], v[1])]
        L.append("| %s | %s |" % (label, " | ".join(row)))
    L += ["", "unix: the native firmware and the frozen-pure one (bench/build-fw.sh unix-pure), x86-64 "
          "(64-bit objects, 32-byte GC blocks), against mosquitto. Smallest heap: the least "
          "`-X heapsize` in which bench/mp/app.py completes, bisected to %d B; it includes the "
          "interpreter's own start-up and the compilation of app.py." % heapfit.STEP,
          "rv32: qemu VIRT_RV32 firmware (bench/build-fw.sh rv32-native / rv32-pure: ./ports-build.sh's "
          "qemu-rv32 build, or pure simple2 frozen instead, each with the in-memory broker and the app "
          "frozen in), 32-bit objects (16-byte GC blocks), whole heap %s B. The broker is "
          "bench/mp/memsock.py, in the same heap. Smallest heap: the firmware's heap minus a ballast "
          "allocated first, bisected to %d B (the heap size is fixed at build time); it includes the "
          "in-memory broker's ~5 KB (see the baseline rows)." % (fmt(info.get("rv32_heap")), heapfit.STEP),
          "Fragmented: before importing the client, the app allocates 128 `bytearray(64)` in a row and "
          "keeps every other one. Baseline: the same app stopping before the import (no client)."]
    return L


def report(data, info, params, skipped, chart=None):
    L = ["# umqtt-rs benchmark", ""]
    L += ["- date: " + info["date"], "- machine: " + info["machine"],
          "- MicroPython: " + info["micropython"], "- broker: " + info["mosquitto"] + ", 127.0.0.1",
          "- C reference: " + info["clients"],
          "- pure-Python originals (PyPI): umqtt.simple2 2.2.0, umqtt.robust2 2.2.0, umqtt.simple 1.3.4 "
          "(micropython-lib's 1.8.0 is not on PyPI)",
          "- " + info["valgrind"],
          "- load average (1 min) at start / end: %.2f / %.2f (other work on the machine skews the timed rows)"
          % (info["load_start"], os.getloadavg()[0]),
          "- parameters: " + params, ""]
    for c, why in skipped.items():
        L.append("- **%s skipped**: %s" % (c, why))
    if skipped:
        L.append("")
    if chart:
        L += ["![benchmark chart](%s)" % chart, ""]
    L += ["| figure | unit | native | frozen | pure | floor | C | native/frozen | native/pure | native/floor | native/C |",
          "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for key, label, unit, higher in FIGURES:
        v = {c: data[c].get(key, []) for c in CLIENTS + (C_COL,)}
        better = "higher" if higher else "lower"
        L.append("| %s | %s (%s is better) | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, unit, better, *[cell(v[c]) for c in CLIENTS + (C_COL,)],
            *[ratio(v["native"], v[c]) for c in ("frozen", "pure", "floor", C_COL)]))
    L += ["", "Timed rows: median (min–max) of the trials; other rows are deterministic single runs.",
          "frozen: pure simple2 2.2.0 frozen into a unix firmware of its own (bench/build-fw.sh, same "
          "MicroPython source, no umqtt-rs); pure: the same code loaded from the filesystem (as `pyumqtt`) "
          "on the native firmware.",
          "C: mosquitto_pub -l (QoS0 publish) and mosquitto_sub (receive), the C clients of mosquitto-clients.",
          "The floor has no library, so it allocates nothing at import. A ratio is — when its denominator is 0.",
          "Rows with connect() can differ by up to ~100 B between runs: it depends on whether the CONNACK",
          "is already there at the client's first read.",
          ""] + small_table(data, info) + ["", "## Targets (issues 7 and 15)", "",
          "| target | result | measured | why, when missed |", "|---|---|---|---|"]
    for row in targets(data):
        L.append("| %s | %s | %s | %s |" % row)
    L += ["", "## The other façades: heap bytes, native vs their pure-Python originals", "",
          "| heap bytes (lower is better) | " + " | ".join(lbl for _, lbl in FACADES) + " |",
          "|---|" + "--:|" * len(FACADES)]
    for key, label in FACADE_FIGURES:
        L.append("| %s | %s |" % (label, " | ".join(cell(data.get(c, {}).get(key, [])) for c, _ in FACADES)))
    L += ["", "Same script and counting as above (gc disabled while counting, 8 MiB heap). Pure mqtt_as "
          "is not on PyPI (mqtt-as, mqtt_as and micropython-mqtt-as: 404; `micropython-mqtt` is another "
          "library), so the native mqtt_as façade has no pure column; its figures include asyncio's "
          "own work (tasks, events) per `await publish()`. umqtt.simple 1.3.4 is the newest "
          "micropython-lib umqtt.simple on PyPI; its publish/receive path is the same as 1.8.0's "
          "(1.8.0 adds the `ssl` context parameter and a reconnect on OSError -1).",
          "", "## Heap bytes allocated by single calls", "",
          "gc disabled around each call; the per-message calls are the mean of %d calls after 3 warm-up calls:" % N_CALLS,
          "", "| call | native | frozen | pure |", "|---|--:|--:|--:|"]
    for key, label in CALLS:
        L.append("| %s | %s |" % (label, " | ".join(cell(data[c].get(key, [])) for c in CALL_CLIENTS)))
    return "\n".join(L) + "\n"


def summary(data, info):
    """The short table for README.md's Performance section."""
    rows = [("QoS0 publish 16 B", "qos0_16_msgps", "msg/s"), ("QoS0 publish 1 KiB", "qos0_1k_msgps", "msg/s"),
            ("QoS1 stop-and-wait", "qos1_msgps", "msg/s"), ("QoS1, window 32", "qos1w_msgps", "msg/s"),
            ("receive 16 B", "recv_msgps", "msg/s"),
            ("instructions / QoS0 publish", "cg_instr_per_msg", "instr"),
            ("instructions / received msg", "cg_instr_per_recv", "instr"),
            ("heap / QoS0 publish", "heap_qos0_per_msg", "B"), ("heap / received msg", "heap_recv_per_msg", "B"),
            ("heap to import", "heap_import_alloc", "B"), ("heap for create + connect", "heap_connect_alloc", "B"),
            ("smallest heap: subscribe + 2 KiB round trip", "small", "B"),
            ("… heap fragmented by the app", "small_frag", "B"),
            ("rv32: heap to import", "rv32_heap_import_alloc", "B"),
            ("rv32: heap for create + connect", "rv32_heap_connect_alloc", "B"),
            ("rv32: smallest heap: subscribe + 2 KiB round trip", "rv32_small", "B"),
            ("rv32: … heap fragmented by the app", "rv32_small_frag", "B")]
    L = ["Measured %s on %s; %s; %s; frozen = pure-Python umqtt.simple2 2.2.0 from PyPI frozen into a "
         "firmware of its own (same MicroPython source), pure = the same loaded from the filesystem; "
         "C = mosquitto_pub / mosquitto_sub; rv32 = qemu VIRT_RV32 with an in-memory broker. Timed rows "
         "are medians of %s trials on a shared, noisy VM (min–max in [docs/bench.md](docs/bench.md)); "
         "instruction and heap rows are deterministic."
         % (info["date"], info["machine"], info["micropython_short"], info["mosquitto"], info["trials"]), "",
         "| figure | native | frozen | pure | floor | C | native/frozen | native/pure |",
         "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for label, key, unit in rows:
        m = [med(data, c, key) for c in CLIENTS + (C_COL,)]
        L.append("| %s (%s) | %s | %s | %s | %s | %s | %s | %s |" % (
            label, unit, *[fmt(x) for x in m], ratio(data["native"].get(key, []), data["frozen"].get(key, [])),
            ratio(data["native"].get(key, []), data["pure"].get(key, []))))
    met = [t for t in targets(data) if t[1] == "**met**"]
    missed = [t for t in targets(data) if t[1] == "**missed**"]
    L += ["", "Targets met: %s. Missed: %s (by how much and why: [docs/bench.md](docs/bench.md#targets-issues-7-and-15))."
          % (", ".join(t[0] for t in met) or "none", "; ".join("%s — %s" % (t[0], t[2]) for t in missed) or "none"),
          "", "![benchmark chart](docs/bench.png)"]
    return "\n".join(L) + "\n"


def update_readme(text):
    """Replace what is between the bench markers of README.md's Performance section."""
    path = os.path.join(ROOT, "README.md")
    start, end = "<!-- bench:start (bench/run.py writes this) -->", "<!-- bench:end -->"
    try:
        src = open(path).read()
    except OSError:
        return False
    i, j = src.find(start), src.find(end)
    if i < 0 or j < i:
        log("README.md has no bench markers: its Performance section is not updated")
        return False
    with open(path, "w") as f:
        f.write(src[:i + len(start)] + "\n" + text + src[j:])
    return True


def make_chart(data, info, png, tmp):
    """docs/bench.png, drawn by bench/chart.py in build/venv-bench (matplotlib from PyPI)."""
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py) or subprocess.run([py, "-c", "import matplotlib"], capture_output=True).returncode:
        log("creating %s and installing matplotlib from PyPI" % VENV)
        for cmd in ([sys.executable, "-m", "venv", VENV], [py, "-m", "pip", "install", "-q", "matplotlib"]):
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode:
                raise BenchError("%s: %s%s\n(--no-chart skips the chart)" % (" ".join(cmd), r.stdout, r.stderr))
    j = os.path.join(tmp, "data.json")
    with open(j, "w") as f:
        json.dump({"data": data, "info": info, "facades": FACADES}, f)
    r = subprocess.run([py, os.path.join(HERE, "chart.py"), j, png], capture_output=True, text=True)
    if r.returncode:
        raise BenchError("bench/chart.py: %s%s" % (r.stdout, r.stderr))
    log("chart written to", png)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--micropython", required=True, help="MicroPython unix binary to benchmark")
    ap.add_argument("--trials", type=int, default=5, help="timed trials per client (default 5)")
    ap.add_argument("--quick", action="store_true", help="small N: a smoke run, not figures")
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    ap.add_argument("--docs", default=DOCS, help="where bench.md and bench.png go (default docs/)")
    ap.add_argument("--no-chart", action="store_true", help="skip docs/bench.png (no matplotlib)")
    ap.add_argument("--no-readme", action="store_true", help="leave README.md's Performance table alone")
    ap.add_argument("--clients", default=",".join(CLIENTS + (C_COL, "facades", "smallest", "rv32")),
                    help="subset, e.g. pure,floor (C: mosquitto_pub/sub; facades: the other facades; "
                         "smallest: the smallest heaps on unix; rv32: heap figures under QEMU)")
    ap.add_argument("--frozen-micropython", help="unix firmware with pure simple2 frozen in as umqtt "
                    "(default: built by bench/build-fw.sh unix-pure)")
    ap.add_argument("--run-heapsize", default=HEAP_RUN,
                    help="MicroPython heap for the timed and callgrind runs (default %s; heap "
                         "figures always use %s)" % (HEAP_RUN, HEAP_MEASURE))
    ap.add_argument("--mosquitto", default=shutil.which("mosquitto") or "/usr/sbin/mosquitto")
    a = ap.parse_args()
    t_start = time.time()
    tmp = tempfile.mkdtemp(prefix="umqtt-bench-")
    try:
        data, info, params, skipped = bench(a, tmp)
        md = report(data, info, params, skipped)
        print(md)
        with open(a.out, "w") as f:
            f.write(md)
        os.makedirs(a.docs, exist_ok=True)
        chart = None
        if not a.no_chart:
            make_chart(data, info, os.path.join(a.docs, "bench.png"), tmp)
            chart = "bench.png"
        with open(os.path.join(a.docs, "bench.md"), "w") as f:
            f.write(report(data, info, params, skipped, chart))
        if not a.no_readme and not a.quick and a.clients == ap.get_default("clients"):
            if update_readme(summary(data, info)):
                log("README.md Performance table updated")
    except BenchError as e:
        sys.exit("bench/run.py: FAILED: %s" % e)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log("written to %s and %s (%.0f s)" % (a.out, a.docs, time.time() - t_start))


def build_fw(target):
    """bench/build-fw.sh TARGET (incremental): the path of the firmware it built."""
    log("building the %s firmware (bench/build-fw.sh)" % target)
    r = subprocess.run([os.path.join(HERE, "build-fw.sh"), target], capture_output=True, text=True)
    if r.returncode:
        raise BenchError("bench/build-fw.sh %s: exit code %d\n%s%s" % (target, r.returncode, r.stdout, r.stderr))
    return r.stdout.strip().splitlines()[-1]


def bench_small(data, info, runners, clients):
    """The smallest heaps on unix (bisecting -X heapsize), per client and variant."""
    for c in clients:
        r = runners[c]
        for key, frag, bare in (("small", 0, False), ("small_frag", 1, False),
                                ("small_bare", 0, True), ("small_bare_frag", 1, True)):
            log("smallest heap: %s %s" % (c, key))
            data[c].setdefault(key, []).append(heapfit.unix_smallest(r.mp, r.env, r.port, frag, bare, log=log))


def bench_rv32(data, info, elfs, n_heap, n_qos1):
    """Heap figures and smallest heaps on rv32 under QEMU (in-memory broker)."""
    for c, elf in elfs.items():
        log("rv32 heap:", c)
        for k, v in qemu_bench.results(elf, c, "heap", n_heap, n_qos1).items():
            data[c].setdefault("rv32_" + k, []).append(v)
        for key, frag, bare in (("small", 0, False), ("small_frag", 1, False),
                                ("small_bare", 0, True), ("small_bare_frag", 1, True)):
            log("rv32 smallest heap: %s %s" % (c, key))
            eff, total = qemu_bench.smallest(elf, frag, bare, log=log)
            data[c].setdefault("rv32_" + key, []).append(eff)
            if info.setdefault("rv32_heap", total) != total:
                raise BenchError("the rv32 firmwares have different heaps: %d and %d B" % (info["rv32_heap"], total))


def bench(a, tmp):
    tools = {}
    for tool in ("mosquitto", "valgrind", "mosquitto_pub", "mosquitto_sub"):
        path = a.mosquitto if tool == "mosquitto" else shutil.which(tool)
        if not path or not os.path.exists(path):
            raise BenchError("%s not found (Debian: apt-get install %s)"
                             % (tool, "mosquitto-clients" if "_" in tool else tool))
        tools[tool] = path
    mp_path = os.path.abspath(a.micropython)
    mp, mp_id = snapshot_firmware(mp_path, tmp)
    sel = a.clients.split(",")
    frozen_mp = None
    if "frozen" in sel or "smallest" in sel:
        frozen_path = os.path.abspath(a.frozen_micropython or build_fw("unix-pure"))
        os.makedirs(os.path.join(tmp, "frozen"))
        frozen_mp, frozen_id = snapshot_firmware(frozen_path, os.path.join(tmp, "frozen"))
    rv32 = {}
    if "rv32" in sel:
        rv32 = {"native": build_fw("rv32-native"), "frozen": build_fw("rv32-pure")}
    if a.quick:
        n_qos0, n_qos1, n_win, n_heap, n_cg, n_recv, n_cpub = 500, 10, 100, 100, (100, 300), 500, 20000
    else:
        n_qos0, n_qos1, n_win, n_heap, n_cg, n_recv, n_cpub = 20000, 100, 2000, 1000, (1000, 3000), 20000, 100000
    params = ("heapsize %s for timed and callgrind runs, %s for heap figures; QoS0 N=%d (after 100 "
              "warm-up), QoS1 N=%d (timed and heap), QoS1 window %d: N=%d, receive N=%d (after %d "
              "warm-up), mosquitto_pub N=%d, QoS0 heap and receive heap N=%d, callgrind N=%d and %d "
              "(publish and receive); smallest heaps bisected to %d B; %d trials%s"
              % (a.run_heapsize, HEAP_MEASURE, n_qos0, n_qos1, WINDOW, n_win, n_recv, RECV_W, n_cpub,
                 n_heap, n_cg[0], n_cg[1], heapfit.STEP, a.trials, ", QUICK" if a.quick else ""))
    try:
        install_pure()
    except (OSError, urllib.error.URLError) as e:
        raise BenchError("cannot get the pure-Python packages from PyPI: %s" % e)
    clients = [c for c in CLIENTS if c in sel]
    skipped = {c: "not selected (--clients)" for c in CLIENTS + (C_COL, "facades", "smallest", "rv32")
               if c not in sel}
    facades = [c for c, _ in FACADES] if "facades" in sel else []
    data = {c: {} for c in CLIENTS + (C_COL,) + tuple(c for c, _ in FACADES)}
    info = machine_info(mp, mp_path, mp_id, a.mosquitto)
    ver = [l for l in sh(tools["mosquitto_pub"], "--help").splitlines() if " version " in l]
    info["clients"] = "mosquitto_pub / mosquitto_sub (Debian mosquitto-clients): " + (ver[0] if ver else "?")
    info["micropython_short"] = info["micropython"].split(" (")[0]
    info["trials"] = a.trials
    if frozen_mp:
        info["micropython"] += "; frozen: %s (%s)" % (frozen_path, frozen_id)
    if info["load_start"] > 0.5:
        log("warning: load average %.2f: other work will skew the timed rows" % info["load_start"])

    broker = start_broker(tmp, a.mosquitto)
    try:
        runner = Runner(mp, broker, a.run_heapsize)
        runners = {c: runner for c in CLIENTS + tuple(c for c, _ in FACADES)}
        if frozen_mp:
            runners["frozen"] = Runner(frozen_mp, broker, a.run_heapsize)
        if ("native" in clients or facades or "smallest" in sel) and not has_native(runner):
            skipped["native"] = "this firmware has no built-in `_umqtt` (stock MicroPython?)"
            if "native" in clients:
                clients.remove("native")
            facades = [c for c in facades if not c.startswith("n-")]
        for c in skipped:
            log("skipping", c + ":", skipped[c])

        def add(c, res):
            for k, v in res.items():
                data[c].setdefault(k, []).append(v)

        for c in clients:
            log("heap:", c)
            add(c, runners[c].results(c, "heap", n_heap, n_qos1, want=[k for k, *_ in FIGURES
                                                                   if k.startswith("heap_")
                                                                   and "recv" not in k]))
            if True:
                add(c, runners[c].results(c, "recvheap", RECV_W, n_heap, flood_n=RECV_W + n_heap,
                                      want=["heap_recv_per_msg", "heap_recv_objects"]))
            if c in CALL_CLIENTS:
                add(c, runners[c].results(c, "calls", N_CALLS, want=[k for k, _ in CALLS]))
        for c in facades:
            log("heap:", c)
            want = [k for k, _ in FACADE_FIGURES]
            if c == "n-mqtt_as":
                add(c, runners[c].results(c, "heap", n_heap, n_qos1, RECV_W, n_heap, flood_n=RECV_W + n_heap,
                                      want=want))
            else:
                add(c, runners[c].results(c, "heap", n_heap, n_qos1, want=want[:-1]))
                add(c, runners[c].results(c, "recvheap", RECV_W, n_heap, flood_n=RECV_W + n_heap,
                                      want=want[-1:]))
        for c in clients:
            log("callgrind:", c)
            i1, i2 = (runners[c].callgrind(c, n, tmp) for n in n_cg)
            add(c, {"cg_instr_per_msg": (i2 - i1) / (n_cg[1] - n_cg[0])})
            i1, i2 = (runners[c].callgrind(c, n, tmp, recv=True) for n in n_cg)
            add(c, {"cg_instr_per_recv": (i2 - i1) / (n_cg[1] - n_cg[0])})
        for t in range(a.trials):  # clients interleaved, so slow drifts hit all of them
            for c in clients:
                log("speed: trial %d/%d %s" % (t + 1, a.trials, c))
                add(c, runners[c].results(c, "speed", n_qos0, n_qos1, n_win, want=SPEED_KEYS))
                add(c, runners[c].results(c, "recv", RECV_W, n_recv, flood_n=RECV_W + n_recv,
                                      want=["recv_msgps"]))
            if C_COL in sel:
                log("speed: trial %d/%d mosquitto_pub/sub" % (t + 1, a.trials))
                add(C_COL, {"qos0_16_msgps": c_pub_rate(broker, tools["mosquitto_pub"], n_cpub, tmp),
                            "recv_msgps": c_sub_rate(broker, tools["mosquitto_sub"], RECV_W, n_recv, tmp)})
        if "smallest" in sel:
            bench_small(data, info, runners, [c for c in SMALL_CLIENTS if c in runners and
                                              (c != "native" or "native" not in skipped)])
        if rv32:
            bench_rv32(data, info, rv32, n_heap, n_qos1)
    finally:
        stop_broker(broker)
    return data, info, params, skipped


if __name__ == "__main__":
    main()
