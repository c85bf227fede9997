#!/usr/bin/env python3
"""umqtt-rs benchmark: our native umqtt.simple2 vs the pure-Python umqtt.simple2 2.2.0 vs the
floor (prebuilt packets written by MicroPython's own socket), all on one firmware, against a
private mosquitto on 127.0.0.1.

    python3 bench/run.py --micropython PATH [--trials 5] [--quick] [--out bench/results.md]

Exits non-zero, with a one-paragraph reason, when anything fails.

See bench/README.md for what each figure means. CPython 3.11, stdlib only.
"""
import argparse
import datetime
import hashlib
import io
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
MP_DIR = os.path.join(HERE, "mp")
CACHE = os.path.join(HERE, ".cache")
LIB = os.path.join(CACHE, "lib")  # holds the renamed pure-Python package "pyumqtt"
SCRIPT = os.path.join(MP_DIR, "bench.py")

PKG, VER = "micropython-umqtt.simple2", "2.2.0"
SDIST_SHA256 = "48fd4da7701b95986293b06d343fbc564ebe7dfa82f5c8c09364c20df755f0e4"
HEAP_MEASURE = "8M"  # heap figures: gc is disabled while counting, so the heap must hold it all
HEAP_RUN = "256K"    # timed and callgrind runs: a device-sized heap, see bench/README.md
CLIENTS = ("native", "pure", "floor")

# (key, label, unit, higher_is_better)
FIGURES = [
    ("qos0_16_msgps", "QoS0 publish, 16 B payload", "msg/s", True),
    ("qos0_1k_msgps", "QoS0 publish, 1 KiB payload", "msg/s", True),
    ("qos1_msgps", "QoS1 publish, stop-and-wait", "msg/s", True),
    ("cg_instr_per_msg", "CPU instructions per QoS0 16 B publish (callgrind)", "instr", False),
    ("heap_qos0_per_msg", "heap allocated per QoS0 publish", "B", False),
    ("heap_qos1_per_msg", "heap allocated per QoS1 publish (+ its PUBACK)", "B", False),
    ("heap_import_alloc", "heap allocated by `import`", "B", False),
    ("heap_import_retained", "heap retained after `import` + gc", "B", False),
    ("heap_connect_alloc", "heap allocated by create + connect", "B", False),
    ("heap_connect_retained", "heap retained after create + connect + gc", "B", False),
]
TIMED = {"qos0_16_msgps", "qos0_1k_msgps", "qos1_msgps"}
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
CALL_CLIENTS = ("native", "pure")
N_CALLS = 20
# Per-run time limits (s): a stalled client fails the run instead of hanging it.
TIMEOUT = {"probe": 20, "heap": 60, "calls": 30, "speed": 60, "cg": 120}


class BenchError(Exception):
    """A failure run.py reports in one message and exits 1 for."""


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---- the pure-Python library ----------------------------------------------------------------

def fetch_sdist():
    """Download the sdist like upip did: PyPI JSON API -> sdist URL -> tar.gz (cached)."""
    path = os.path.join(CACHE, "%s-%s.tar.gz" % (PKG, VER))
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        try:
            meta = json.load(urllib.request.urlopen("https://pypi.org/pypi/%s/%s/json" % (PKG, VER), timeout=60))
            files = meta["urls"]
        except urllib.error.HTTPError:  # some mirrors only serve the per-project document
            meta = json.load(urllib.request.urlopen("https://pypi.org/pypi/%s/json" % PKG, timeout=60))
            files = meta["releases"][VER]
        url = next(f["url"] for f in files if f["packagetype"] == "sdist")
        log("downloading", url)
        data = urllib.request.urlopen(url, timeout=60).read()
        with open(path + ".part", "wb") as f:
            f.write(data)
        os.replace(path + ".part", path)
    data = open(path, "rb").read()
    if hashlib.sha256(data).hexdigest() != SDIST_SHA256:
        raise BenchError("%s: sha256 mismatch (delete it to download again)" % path)
    return data


def install_pure():
    """Extract umqtt/*.py as package 'pyumqtt' so a built-in 'umqtt' cannot shadow it."""
    dst = os.path.join(LIB, "pyumqtt")
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(dst)
    with tarfile.open(fileobj=io.BytesIO(fetch_sdist())) as tar:
        for m in tar.getmembers():
            d, name = os.path.split(m.name)
            if os.path.basename(d) == "umqtt" and name.endswith(".py"):
                src = tar.extractfile(m).read().decode()
                # "from umqtt.errno import X" / "import umqtt.x" -> the renamed package
                src = re.sub(r"^(\s*(?:from|import)\s+)umqtt\b", r"\1pyumqtt", src, flags=re.M)
                with open(os.path.join(dst, name), "w") as f:
                    f.write(src)
    if not os.path.exists(os.path.join(dst, "simple2.py")):
        raise BenchError("no umqtt/simple2.py in the sdist")
    return dst


# ---- mosquitto ------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
            return proc, port
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    proc.kill()
    logf.close()
    raise BenchError("mosquitto did not start:\n" + open(logf.name).read())


def stop_broker(proc):
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


# ---- running MicroPython --------------------------------------------------------------------

class Runner:
    def __init__(self, mp, port, run_heap):
        self.mp, self.port, self.run_heap = mp, port, run_heap
        # Only the firmware's frozen modules and our own dirs: nothing from ~/.micropython/lib.
        self.env = dict(os.environ, MICROPYPATH=":".join([".frozen", MP_DIR, LIB]))

    def cmd(self, client, mode, *args):
        heap = HEAP_MEASURE if mode == "heap" else self.run_heap
        return [self.mp, "-X", "heapsize=" + heap, SCRIPT, client, mode, str(self.port)] + [str(a) for a in args]

    def run(self, client, mode, *args, prefix=()):
        cmd = list(prefix) + self.cmd(client, mode, *args)
        what = " ".join([client, mode] + [str(a) for a in args])
        # Own process group, so a timeout kills valgrind's or a wrapper's children too.
        p = subprocess.Popen(cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
        try:
            out, err = p.communicate(timeout=TIMEOUT[mode])
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
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

    def callgrind(self, client, n, tmp):
        f = os.path.join(tmp, "callgrind.%s.%d" % (client, n))
        r = self.results(client, "cg", n, want=["cg_n"],
                         prefix=["valgrind", "--tool=callgrind", "--callgrind-out-file=" + f])
        if r["cg_n"] != n:
            raise BenchError("%s cg: ran %s publishes, expected %d" % (client, r["cg_n"], n))
        with open(f) as fh:
            for line in fh:
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1])
        raise BenchError("no summary/totals line in " + f)


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
    if abs(v) >= 100:
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


def report(data, info, params, skipped):
    L = ["# umqtt-rs benchmark", ""]
    L += ["- date: " + info["date"], "- machine: " + info["machine"],
          "- MicroPython: " + info["micropython"], "- broker: " + info["mosquitto"] + ", 127.0.0.1",
          "- " + info["valgrind"],
          "- load average (1 min) at start / end: %.2f / %.2f (other work on the machine skews the timed rows)"
          % (info["load_start"], os.getloadavg()[0]),
          "- parameters: " + params, ""]
    for c, why in skipped.items():
        L.append("- **%s skipped**: %s" % (c, why))
    if skipped:
        L.append("")
    L += ["| figure | unit | native | pure | floor | native/pure | native/floor |",
          "|---|---|--:|--:|--:|--:|--:|"]
    for key, label, unit, higher in FIGURES:
        v = {c: data[c].get(key, []) for c in CLIENTS}
        better = "higher" if higher else "lower"
        L.append("| %s | %s (%s is better) | %s | %s | %s | %s | %s |" % (
            label, unit, better, cell(v["native"]), cell(v["pure"]), cell(v["floor"]),
            ratio(v["native"], v["pure"]), ratio(v["native"], v["floor"])))
    L += ["", "Timed rows: median (min–max) of the trials; other rows are deterministic single runs.",
          "The floor has no library, so it allocates nothing at import. A ratio is — when its denominator is 0.",
          "Rows with connect() can differ by up to ~100 B between runs: it depends on whether the CONNACK",
          "is already there at the client's first read.",
          "", "Heap bytes allocated by single calls (gc disabled around each call; the per-message",
          "calls are the mean of %d calls after 3 warm-up calls):" % N_CALLS, "",
          "| call | native | pure |", "|---|--:|--:|"]
    for key, label in CALLS:
        L.append("| %s | %s | %s |" % (label, cell(data["native"].get(key, [])), cell(data["pure"].get(key, []))))
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--micropython", required=True, help="MicroPython unix binary to benchmark")
    ap.add_argument("--trials", type=int, default=5, help="timed trials per client (default 5)")
    ap.add_argument("--quick", action="store_true", help="small N: a smoke run, not figures")
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    ap.add_argument("--clients", default=",".join(CLIENTS), help="subset, e.g. pure,floor")
    ap.add_argument("--run-heapsize", default=HEAP_RUN,
                    help="MicroPython heap for the timed and callgrind runs (default %s; heap "
                         "figures always use %s)" % (HEAP_RUN, HEAP_MEASURE))
    ap.add_argument("--mosquitto", default=shutil.which("mosquitto") or "/usr/sbin/mosquitto")
    a = ap.parse_args()
    t_start = time.time()
    tmp = tempfile.mkdtemp(prefix="umqtt-bench-")
    try:
        md = bench(a, tmp)
    except BenchError as e:
        sys.exit("bench/run.py: FAILED: %s" % e)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(md)
    with open(a.out, "w") as f:
        f.write(md)
    log("written to %s (%.0f s)" % (a.out, time.time() - t_start))


def bench(a, tmp):
    for tool, path in (("mosquitto", a.mosquitto), ("valgrind", shutil.which("valgrind"))):
        if not path or not os.path.exists(path):
            raise BenchError("%s not found (Debian: apt-get install %s)" % (tool, tool))
    mp_path = os.path.abspath(a.micropython)
    mp, mp_id = snapshot_firmware(mp_path, tmp)
    if a.quick:
        n_qos0, n_qos1, n_heap, n_cg = 500, 10, 100, (100, 300)
    else:
        n_qos0, n_qos1, n_heap, n_cg = 20000, 100, 1000, (1000, 3000)
    params = ("heapsize %s for timed and callgrind runs, %s for heap figures; QoS0 N=%d (after 100 "
              "warm-up), QoS1 N=%d (timed and heap), QoS0 heap N=%d, callgrind N=%d and %d; %d trials%s"
              % (a.run_heapsize, HEAP_MEASURE, n_qos0, n_qos1, n_heap, n_cg[0], n_cg[1], a.trials,
                 ", QUICK" if a.quick else ""))
    try:
        install_pure()
    except (OSError, urllib.error.URLError) as e:
        raise BenchError("cannot get %s %s from PyPI: %s" % (PKG, VER, e))
    clients = [c for c in CLIENTS if c in a.clients.split(",")]
    skipped = {c: "not selected (--clients)" for c in CLIENTS if c not in clients}
    data = {c: {} for c in CLIENTS}
    info = machine_info(mp, mp_path, mp_id, a.mosquitto)
    if info["load_start"] > 0.5:
        log("warning: load average %.2f: other work will skew the timed rows" % info["load_start"])

    broker, port = start_broker(tmp, a.mosquitto)
    try:
        runner = Runner(mp, port, a.run_heapsize)
        if "native" in clients and not has_native(runner):
            skipped["native"] = "this firmware has no built-in `_umqtt` (stock MicroPython?)"
            clients.remove("native")
        for c in skipped:
            log("skipping", c + ":", skipped[c])

        def add(c, res):
            for k, v in res.items():
                data[c].setdefault(k, []).append(v)

        for c in clients:
            log("heap:", c)
            add(c, runner.results(c, "heap", n_heap, n_qos1, want=[k for k, *_ in FIGURES
                                                                   if k.startswith("heap_")]))
            if c in CALL_CLIENTS:
                add(c, runner.results(c, "calls", N_CALLS, want=[k for k, _ in CALLS]))
        for c in clients:
            log("callgrind:", c)
            i1, i2 = (runner.callgrind(c, n, tmp) for n in n_cg)
            add(c, {"cg_instr_per_msg": (i2 - i1) / (n_cg[1] - n_cg[0])})
        for t in range(a.trials):  # clients interleaved, so slow drifts hit all of them
            for c in clients:
                log("speed: trial %d/%d %s" % (t + 1, a.trials, c))
                add(c, runner.results(c, "speed", n_qos0, n_qos1, want=sorted(TIMED)))
    finally:
        stop_broker(broker)
    return report(data, info, params, skipped)


if __name__ == "__main__":
    main()
