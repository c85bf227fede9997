#!/usr/bin/env python3
"""Outage soak: N QoS 1 messages through a façade across injected faults.

    python3 tests/soak.py --micropython build/unix/micropython \\
        [--facade robust2|mqtt_as|all] [--messages 100000] [--rate 500]
        [--interval 3] [--restarts 2] [--keep]

Not part of CI (several minutes per façade). For each façade:

1. starts its own mosquitto on a free 127.0.0.1 port (config in a temporary
   directory: persistence on, no limit on queued messages) and stops it by
   PID at the end;
2. starts a subscriber, ``mosquitto_sub -q 1 -c -i <id>`` (persistent
   session, QoS 1) straight on the broker, and waits until a marker
   published with ``mosquitto_pub`` comes back, so the session exists
   before the first message;
3. starts a fault-injecting proxy in front of the broker (``tests/proxy.py``'s
   ``Proxy``, in this process) and the publisher
   ``tests/soak_mp/<facade>_pub.py`` under the firmware, connected through
   the proxy, paced at --rate new messages per second (a backlog after an
   outage goes out as fast as the acks allow);
4. every --interval seconds injects the next fault of the rotation (each
   followed by ``pass``): reset (RST to every connection), stall 2.5 s
   (shorter than the keepalive: PUBACK timeouts, republication), drop
   (FIN), delay 200 ms for 2 s, stall 6 s (longer than the keepalive: a
   dead link the client must detect), blackhole 3 s (existing connections
   stall, new ones are accepted and never answered); and restarts the
   broker (SIGTERM: mosquitto saves the sessions and queued messages; then
   the same configuration and port again) --restarts times, spread evenly
   over the acknowledged count. Before each restart the subscriber is
   frozen (SIGSTOP) for --freeze seconds, so the broker goes down holding a
   backlog of acknowledged messages for the subscriber's session (reported
   as "backlog at restart": acknowledged, not yet printed by the
   subscriber); it is resumed (SIGCONT) once the broker is back;
5. once the publisher reports every message acknowledged, waits until the
   subscriber has received all of them (or nothing new arrives for
   --drain seconds) and prints the figures.

A message is *sent* once the publisher hands it to the façade, and
*acknowledged* once the façade reports it complete (robust2: the status
callback's ``(pid, 1)``; mqtt_as: ``publish()`` returned). *Lost* =
acknowledged but never received by the subscriber; it must be 0. The exit
status is non-zero if anything was lost, the publisher failed, or fewer
messages were acknowledged than sent.
"""

import argparse
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from proxy import Proxy  # noqa: E402

HOST = "127.0.0.1"
MOSQUITTO = os.environ.get("MOSQUITTO", "/usr/sbin/mosquitto")
MOSQUITTO_SUB = os.environ.get("MOSQUITTO_SUB", "mosquitto_sub")
MOSQUITTO_PUB = os.environ.get("MOSQUITTO_PUB", "mosquitto_pub")
FACADES = ("robust2", "mqtt_as")


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("port %d did not open" % port)


def stop_process(p, sig=signal.SIGTERM, timeout=10):
    """Stops one child by PID: sig, then SIGKILL."""
    if p is None or p.poll() is not None:
        return
    p.send_signal(sig)
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)


class Broker:
    """A private mosquitto with persistence; restartable on the same port."""

    def __init__(self, workdir):
        self.dir = workdir
        self.port = free_port()
        self.proc = None
        self.conf = os.path.join(workdir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write("user %s\n"
                    "persistence true\npersistence_location %s/\nautosave_interval 0\n"
                    "max_queued_messages 0\nmax_queued_bytes 0\n"
                    "log_dest file %s/mosquitto.log\n"
                    "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
                    "listener %d %s\nallow_anonymous true\n"
                    % (pwd.getpwuid(os.geteuid()).pw_name, workdir, workdir, self.port, HOST))

    def start(self):
        out = open(os.path.join(self.dir, "mosquitto.stdout"), "a")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.conf], stdout=out,
                                     stderr=subprocess.STDOUT, cwd=self.dir,
                                     start_new_session=True)
        out.close()
        wait_port(self.port)

    def stop(self):
        p, self.proc = self.proc, None
        stop_process(p)

    def restart(self, down=1.0, kill=False):
        if kill:  # SIGKILL: nothing saved since the start (autosave is off)
            p, self.proc = self.proc, None
            p.kill()
            p.wait(5)
        else:
            self.stop()
        time.sleep(down)
        self.start()


class Subscriber:
    """mosquitto_sub with a persistent session; counts the payloads."""

    def __init__(self, port, topic, client_id):
        self.counts = {}
        self.other = []
        self.lines = 0
        self.last_rx = time.monotonic()
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            [MOSQUITTO_SUB, "-h", HOST, "-p", str(port), "-t", topic, "-q", "1", "-c",
             "-i", client_id, "-k", "10"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=1, text=True,
            start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.strip()
            with self.lock:
                self.lines += 1
                self.last_rx = time.monotonic()
                if line.isdigit():
                    k = int(line)
                    self.counts[k] = self.counts.get(k, 0) + 1
                else:
                    self.other.append(line)

    def has_other(self, text):
        with self.lock:
            return text in self.other

    def stop(self):
        stop_process(self.proc)


class Publisher:
    """The MicroPython publisher; parses its output (see soak_mp/*_pub.py)."""

    def __init__(self, micropython, facade, port, topic, count, rate, client_id, workdir, log):
        env = dict(os.environ, MICROPYPATH=".frozen")
        self.acked = set()
        self.reconnects = 0
        self.done = None
        self.log = log
        self.notes = []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            [os.path.abspath(micropython), os.path.join(HERE, "soak_mp", facade + "_pub.py"),
             HOST, str(port), topic, str(count), client_id, str(rate)],
            cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            bufsize=1, text=True, start_new_session=True)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            self.log.write(line)
            parts = line.split()
            if not parts:
                continue
            with self.lock:
                if parts[0] == "A":
                    self.acked.update(int(x) for x in parts[1:])
                elif parts[0] == "R":
                    self.reconnects = int(parts[1])
                elif parts[0] == "DONE":
                    self.done = dict(kv.split("=", 1) for kv in parts[1:])
                elif parts[0] in ("W", "I", "D"):
                    if parts[0] == "W":
                        self.notes.append(line.strip())
                else:
                    self.notes.append(line.strip())

    def n_acked(self):
        with self.lock:
            return len(self.acked)


# (name, proxy command, seconds held before "pass")
ROTATION = [("reset", ("reset",), 0.3), ("stall 2.5 s", ("stall",), 2.5),
            ("drop", ("drop",), 0.5), ("delay 200 ms", ("delay", "200"), 2.0),
            ("stall 6 s", ("stall",), 6.0), ("blackhole", ("blackhole",), 3.0)]


def soak(args, facade):
    tmp = tempfile.mkdtemp(prefix="umqtt-soak-%s-" % facade)
    stamp = "%d-%d" % (os.getpid(), int(time.time()))
    topic = "umqtt-rs/soak/%s/%s" % (facade, stamp)
    log = open(os.path.join(tmp, "publisher.log"), "w")
    broker = Broker(tmp)
    sub = proxy = pub = None
    outages = dict.fromkeys([r[0] for r in ROTATION] + ["broker restart"], 0)
    backlogs = []  # acknowledged, not yet received, when the broker went down
    t_start = time.monotonic()
    try:
        broker.start()
        sub = Subscriber(broker.port, topic, "soak-sub-" + stamp)
        deadline = time.monotonic() + 15
        while not sub.has_other("ready"):
            if time.monotonic() > deadline:
                raise RuntimeError("subscriber not ready")
            subprocess.run([MOSQUITTO_PUB, "-h", HOST, "-p", str(broker.port), "-t", topic,
                            "-q", "1", "-m", "ready"], check=True)
            time.sleep(0.3)
        proxy = Proxy(broker.port)
        pub = Publisher(args.micropython, facade, proxy.port, topic, args.messages, args.rate,
                        "soak-pub-" + stamp, tmp, log)
        restarts_at = [args.messages * (i + 1) // (args.restarts + 1) for i in range(args.restarts)]
        next_fault = time.monotonic() + args.interval
        fault_end = None  # while a proxy fault is on: when it ends
        rot = 0
        last_report = time.monotonic()
        while pub.proc.poll() is None and pub.done is None:
            time.sleep(0.02)
            now = time.monotonic()
            n = pub.n_acked()
            if restarts_at and n >= restarts_at[0]:
                restarts_at.pop(0)
                if fault_end is not None:  # one outage at a time
                    proxy.command(["pass"])
                    fault_end = None
                # Freeze the subscriber first so the broker holds a backlog
                # for its session when it goes down.
                sub.proc.send_signal(signal.SIGSTOP)
                time.sleep(args.freeze)
                with pub.lock, sub.lock:
                    behind = len(pub.acked - sub.counts.keys())
                print("  [%6.1f s] broker restart at %d acknowledged (%d of them not yet at the "
                      "subscriber)" % (time.monotonic() - t_start, pub.n_acked(), behind), flush=True)
                backlogs.append(behind)
                try:
                    broker.restart(kill=args.kill)
                finally:
                    sub.proc.send_signal(signal.SIGCONT)
                outages["broker restart"] += 1
                next_fault = time.monotonic() + args.interval
                continue
            if fault_end is not None and now >= fault_end:
                proxy.command(["pass"])
                fault_end = None
                next_fault = now + args.interval
            elif fault_end is None and now >= next_fault:
                name, cmd, hold = ROTATION[rot % len(ROTATION)]
                rot += 1
                proxy.command(list(cmd))
                outages[name] += 1
                fault_end = now + hold
            if now - last_report >= 15:
                last_report = now
                print("  [%6.1f s] acknowledged %d, received %d, reconnects %d"
                      % (now - t_start, n, len(sub.counts), pub.reconnects), flush=True)
        proxy.command(["pass"])
        pub.proc.wait(30)
        pub.thread.join(10)
        wall_pub = time.monotonic() - t_start
        # Drain: wait until every acknowledged message arrived, or nothing new
        # arrives for args.drain seconds.
        while True:
            with sub.lock:
                missing = len(pub.acked - sub.counts.keys())
                idle = time.monotonic() - sub.last_rx
            if not missing or idle > args.drain:
                break
            time.sleep(0.2)
        wall = time.monotonic() - t_start
    finally:
        for stop in (lambda: pub and stop_process(pub.proc), lambda: sub and sub.stop(),
                     lambda: proxy and proxy.close(), broker.stop):
            try:
                stop()
            except Exception as e:
                print("cleanup:", e)
        log.close()

    done = pub.done or {}
    with sub.lock:
        counts = dict(sub.counts)
    received = len(counts)
    dups = sum(v - 1 for v in counts.values())
    lost = sorted(pub.acked - counts.keys())
    stray = sorted(k for k in counts if k >= args.messages)
    sent = int(done.get("sent", -1))
    res = {
        "facade": facade,
        "sent": sent,
        "acknowledged": len(pub.acked),
        "received distinct": received,
        "duplicates": dups,
        "lost": len(lost),
        "outages": sum(outages.values()),
        "outage detail": ", ".join("%s %d" % kv for kv in outages.items()),
        "backlog at restart": ", ".join(map(str, backlogs)),
        "reconnects": pub.reconnects - (1 if facade == "mqtt_as" else 0),
        "publisher": " ".join("%s=%s" % kv for kv in done.items()),
        "wall s": "%.1f (publishing %.1f)" % (wall, wall_pub),
    }
    print("%s:" % facade)
    for k, v in res.items():
        print("  %-18s %s" % (k, v))
    if lost:
        print("  lost sequence numbers (first 50):", lost[:50])
    if stray:
        print("  unexpected payloads:", stray[:20])
    if pub.notes:
        print("  publisher notes (first 20):")
        for n in pub.notes[:20]:
            print("    " + n)
    ok = (pub.proc.returncode == 0 and done and not lost and not stray
          and sent == len(pub.acked) == args.messages)
    print("  result: %s" % ("PASS" if ok else "FAIL"))
    if args.keep or not ok:
        print("  logs kept in %s" % tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--micropython", required=True)
    ap.add_argument("--facade", choices=FACADES + ("all",), default="all")
    ap.add_argument("--messages", type=int, default=100000)
    ap.add_argument("--rate", type=int, default=500,
                    help="new messages per second, 0 for no pacing (default 500)")
    ap.add_argument("--interval", type=float, default=3.0,
                    help="seconds of normal traffic between two faults (default 3)")
    ap.add_argument("--restarts", type=int, default=2, help="broker restarts (default 2)")
    ap.add_argument("--drain", type=float, default=30.0,
                    help="give up waiting for the subscriber after this many idle seconds")
    ap.add_argument("--freeze", type=float, default=1.0,
                    help="seconds the subscriber is stopped (SIGSTOP) before each broker restart, "
                    "so the broker holds a backlog for its session (default 1)")
    ap.add_argument("--kill", action="store_true",
                    help="restart the broker with SIGKILL: it loses what it held, so the soak "
                    "must report lost messages (a check of the counting itself)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    for tool in (MOSQUITTO, MOSQUITTO_SUB, MOSQUITTO_PUB):
        if not shutil.which(tool):
            sys.exit("missing %s (apt-get install mosquitto mosquitto-clients)" % tool)
    facades = FACADES if args.facade == "all" else (args.facade,)
    print("soak: %d QoS 1 messages per façade at %s/s, a fault every %.1f s, %d broker restart(s); %s"
          % (args.messages, args.rate or "unpaced", args.interval, args.restarts,
             time.strftime("%Y-%m-%d %H:%M:%S")),
          flush=True)
    results = [soak(args, f) for f in facades]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
