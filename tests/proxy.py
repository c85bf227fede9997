"""A fault-injecting TCP proxy on loopback, for the mqtt_as outage tests.

One ``Proxy`` listens on a free 127.0.0.1 port and forwards every
connection to a target port (a mosquitto). Its mode, set on command, decides
what happens to the traffic:

  pass        forward both ways (the default)
  stall       keep connections open, forward nothing (a dead link: bytes
              queue in the proxy's sockets); new connections are accepted
              and stalled too
  drop        close every connection (FIN) and close new ones at once
  reset       like drop, but with RST (SO_LINGER 0)
  blackhole   accept new connections and never answer; existing ones stall
  delay MS    forward both ways, each chunk held MS milliseconds

``tests/run.py``'s broker-control server exposes it to MicroPython tests
(``testenv.broker_ctl("proxy", TARGET_PORT)`` answers the proxy's port;
``testenv.broker_ctl("proxy", PORT, "stall")`` sets a mode, ``... "stats"``
answers the connection count). It can also be run alone:
``python3 tests/proxy.py TARGET_PORT`` (modes then come from stdin).
"""

import socket
import struct
import sys
import threading
import time

HOST = "127.0.0.1"
MODES = ("pass", "stall", "drop", "reset", "blackhole", "delay")


class Proxy:
    def __init__(self, target_port, host=HOST):
        self.target = (host, target_port)
        self.mode = "pass"
        self.delay = 0.0
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.conns = []  # [client socket, upstream socket or None]
        self.accepted = 0
        self.srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind((host, 0))
        self.srv.listen(16)
        self.port = self.srv.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    # --- control -------------------------------------------------------------

    def command(self, words):
        """words: ["pass"], ["delay", "200"], ["stats"]...; returns a reply."""
        if not words:
            return "err usage"
        cmd = words[0]
        if cmd == "stats":
            with self.lock:
                return "%d %d" % (self.accepted, len(self.conns))
        if cmd not in MODES:
            return "err unknown mode"
        with self.cond:
            self.mode = cmd
            self.delay = float(words[1]) / 1000 if cmd == "delay" and len(words) > 1 else 0.0
            victims = list(self.conns) if cmd in ("drop", "reset") else []
            if victims:
                self.conns = []
            self.cond.notify_all()
        for pair in victims:
            self._kill(pair, rst=cmd == "reset")
        return "ok"

    def close(self):
        self.closed = True
        try:
            self.srv.close()
        except OSError:
            pass
        with self.cond:
            victims, self.conns = self.conns, []
            self.cond.notify_all()
        for pair in victims:
            self._kill(pair, rst=False)

    # --- plumbing ------------------------------------------------------------

    @staticmethod
    def _kill(pair, rst):
        for s in pair:
            if s is None:
                continue
            try:
                if rst:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                else:
                    s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass

    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
                mode = self.mode
            if mode in ("drop", "reset"):
                self._kill((c, None), rst=mode == "reset")
                continue
            pair = [c, None]
            with self.lock:
                self.conns.append(pair)
            threading.Thread(target=self._start, args=(pair,), daemon=True).start()

    def _start(self, pair):
        # Connect upstream only once traffic may flow (blackhole/stall: later).
        with self.cond:
            while self.mode in ("stall", "blackhole") and pair in self.conns:
                self.cond.wait(0.5)
            if pair not in self.conns:
                return
        try:
            u = socket.create_connection(self.target, timeout=5)
        except OSError:
            with self.lock:
                if pair in self.conns:
                    self.conns.remove(pair)
            self._kill(pair, rst=False)
            return
        u.settimeout(None)
        with self.lock:
            if pair not in self.conns:
                self._kill((u, None), rst=False)
                return
            pair[1] = u
        threading.Thread(target=self._pump, args=(pair, 0, 1), daemon=True).start()
        self._pump(pair, 1, 0)

    def _pump(self, pair, src_i, dst_i):
        src, dst = pair[src_i], pair[dst_i]
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self.cond:
                    while self.mode in ("stall", "blackhole") and pair in self.conns:
                        self.cond.wait(0.5)
                    if pair not in self.conns:
                        return
                    delay = self.delay if self.mode == "delay" else 0.0
                if delay:
                    time.sleep(delay)
                dst.sendall(data)
        except OSError:
            pass
        with self.lock:
            alive = pair in self.conns
            if alive:
                self.conns.remove(pair)
        if alive:
            self._kill(pair, rst=False)


if __name__ == "__main__":
    p = Proxy(int(sys.argv[1]))
    print("proxy on port", p.port, "->", p.target[1], flush=True)
    for line in sys.stdin:
        print(p.command(line.split()), flush=True)
