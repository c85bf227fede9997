#!/usr/bin/env python3
"""Test runner for umqtt-rs (a drop-in replacement for umqtt.simple2).

Starts a private mosquitto broker on free loopback ports, generates TLS
material, writes a ``testenv.py`` module for the MicroPython side and runs
every ``tests/mp/test_*.py`` script in its own ``micropython`` process.

Usage:
    python3 tests/run.py --micropython PATH [--mpypath DIR] [-k PATTERN]
                         [--verbose] [-j N] [--timeout S] [--heapsize SIZE]

Script protocol (see tests/README.md):
  * a header line ``# needs: robust mqtt5 ...`` (tests/needs.py) names what
    the test needs beyond umqtt.simple2: when the firmware (probed once)
    lacks it, the test is reported skipped with the reason, without running;
  * a line ``SKIP <reason>`` (with exit code 0) marks the test skipped;
  * the test passes when the exit code is 0 and the last line is ``OK``
    (or, if ``test_x.exp`` exists, when the output equals it exactly);
  * anything else is a failure and the output is printed.

The last line printed is ``N passed, N failed, N skipped``.  The exit code
is non-zero when a test failed or when no test ran.
"""

import argparse
import atexit
import concurrent.futures
import fnmatch
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import needs  # noqa: E402 (tests/needs.py, next to this file)

MP_DIR = os.path.join(HERE, "mp")
MOSQUITTO = os.environ.get("MOSQUITTO", "/usr/sbin/mosquitto")
MOSQUITTO_PASSWD = os.environ.get("MOSQUITTO_PASSWD", "mosquitto_passwd")
HOST = "127.0.0.1"
USER = "testuser"
PASSWORD = "testpass"
DEFAULT_TIMEOUT = 60
# --broker amqtt: a second, independent broker (PyPI amqtt, in a venv; see
# tests/second_broker.sh). It gets one anonymous listener; tests needing more
# are reported SKIP with the reason below, without running.
AMQTT = os.environ.get("AMQTT", os.path.join(HERE, "..", "build", "venv-amqtt", "bin", "amqtt"))
AMQTT_LACKS = {
    "test_auth": "no password listener on the amqtt run",
    "test_tls": "no TLS listener on the amqtt run",
    "test_mtls": "no TLS listener on the amqtt run",
    "test_simple_tls": "no TLS listener on the amqtt run",
    "test_mqtt_as_tls": "no TLS listener on the amqtt run",
    "test_simple_api": "needs the password listener (user without password)",
    "test_robust_reconnect": "broker control starts mosquitto only",
    "test_robust2_reconnect": "broker control starts mosquitto only",
    "test_umqtt_quec": "broker control starts mosquitto only",
    "test_connect": "amqtt 0.12.1 clears a persistent session's subscriptions on DISCONNECT",
}

_cleanups = []


def _run_cleanups():
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as e:  # never mask the real error
            print("cleanup error: %r" % (e,), file=sys.stderr)


atexit.register(_run_cleanups)


def stop_process(p):
    """Stops a child by PID: SIGTERM, then SIGKILL after 5 s."""
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def free_ports(n):
    """Reserve n distinct free TCP ports on 127.0.0.1."""
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def sh(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RuntimeError("command failed: %s\n%s" % (" ".join(cmd), r.stdout))
    return r.stdout


def make_certs(d):
    """CA, server cert (CN/SAN localhost + IP 127.0.0.1), client cert, and an
    unrelated second CA (for negative verification tests).  PEM and DER."""
    ext_server = os.path.join(d, "server.ext")
    with open(ext_server, "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    ext_client = os.path.join(d, "client.ext")
    with open(ext_client, "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=clientAuth\n")
    for ca in ("ca", "otherca"):
        sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "3650",
            "-subj", "/CN=umqtt-rs test %s" % ca], d)
    for name, cn, ext in (("server", "localhost", ext_server),
                          ("client", "umqtt-rs-client", ext_client)):
        sh(["openssl", "req", "-newkey", "rsa:2048", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr",
            "-subj", "/CN=" + cn], d)
        sh(["openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
            "-CAkey", "ca.key", "-CAcreateserial", "-out", name + ".pem",
            "-days", "3650", "-extfile", ext], d)
    for name in ("ca", "otherca", "server", "client"):
        sh(["openssl", "x509", "-in", name + ".pem", "-outform", "DER",
            "-out", name + ".der"], d)
    # An expired server certificate (same CA, key and names) for the
    # expired-certificate listener: `openssl ca` is the OpenSSL 3.0 command
    # that takes validity dates in the past.
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca = testca\n[testca]\ndatabase = index.txt\n"
                "new_certs_dir = .\nserial = serial.txt\ndefault_md = sha256\n"
                "policy = any\nx509_extensions = server_ext\n[any]\ncommonName = supplied\n"
                "[server_ext]\nbasicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
                "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial.txt"), "w") as f:
        f.write("1000\n")
    sh(["openssl", "ca", "-batch", "-notext", "-config", "ca.cnf", "-cert", "ca.pem",
        "-keyfile", "ca.key", "-in", "server.csr", "-out", "expired.pem",
        "-startdate", "20200101000000Z", "-enddate", "20200201000000Z"], d)
    # PEM key (PKCS#8 from OpenSSL 3) plus a DER key (traditional PKCS#1).
    sh(["openssl", "rsa", "-in", "client.key", "-outform", "DER",
        "-traditional", "-out", "client.key.der"], d)
    files = {
        "CA_PEM": "ca.pem", "CA_DER": "ca.der",
        "OTHER_CA_PEM": "otherca.pem", "OTHER_CA_DER": "otherca.der",
        "CLIENT_CERT_PEM": "client.pem", "CLIENT_CERT_DER": "client.der",
        "CLIENT_KEY_PEM": "client.key", "CLIENT_KEY_DER": "client.key.der",
    }
    return {k: os.path.join(d, v) for k, v in files.items()}


class Broker:
    def __init__(self, workdir, verbose=False):
        self.dir = workdir
        self.verbose = verbose
        self.proc = None
        self.log = os.path.join(workdir, "mosquitto.log")

    def start(self):
        d = self.dir
        certdir = os.path.join(d, "certs")
        os.mkdir(certdir)
        self.certs = make_certs(certdir)
        pwfile = os.path.join(d, "passwd")
        sh([MOSQUITTO_PASSWD, "-b", "-c", pwfile, USER, PASSWORD], d)
        os.chmod(pwfile, 0o600)
        (self.port, self.port_auth, self.port_tls,
         self.port_mtls, self.port_tls_expired) = free_ports(5)
        user = pwd.getpwuid(os.geteuid()).pw_name
        conf = os.path.join(d, "mosquitto.conf")
        c = os.path.join(certdir, "")
        with open(conf, "w") as f:
            f.write(
                "user %s\n"
                "per_listener_settings true\n"
                "persistence false\n"
                "log_dest file %s\n"
                "log_type all\n"
                "connection_messages true\n"
                "\n# 1: anonymous, plain TCP\n"
                "listener %d %s\n"
                "allow_anonymous true\n"
                "\n# 2: username/password required, plain TCP\n"
                "listener %d %s\n"
                "allow_anonymous false\n"
                "password_file %s\n"
                "\n# 3: TLS, server authentication only\n"
                "listener %d %s\n"
                "allow_anonymous true\n"
                "cafile %sca.pem\ncertfile %sserver.pem\nkeyfile %sserver.key\n"
                "require_certificate false\n"
                "\n# 4: mutual TLS, a client certificate signed by the CA is required\n"
                "listener %d %s\n"
                "allow_anonymous true\n"
                "cafile %sca.pem\ncertfile %sserver.pem\nkeyfile %sserver.key\n"
                "require_certificate true\n"
                "\n# 5: TLS with an expired server certificate (otherwise like 3)\n"
                "listener %d %s\n"
                "allow_anonymous true\n"
                "cafile %sca.pem\ncertfile %sexpired.pem\nkeyfile %sserver.key\n"
                % (user, self.log,
                   self.port, HOST,
                   self.port_auth, HOST, pwfile,
                   self.port_tls, HOST, c, c, c,
                   self.port_mtls, HOST, c, c, c,
                   self.port_tls_expired, HOST, c, c, c))
        self.out = open(os.path.join(d, "mosquitto.stdout"), "w")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", conf], stdout=self.out,
                                     stderr=subprocess.STDOUT, cwd=d,
                                     start_new_session=True)
        _cleanups.append(self.stop)
        deadline = time.monotonic() + 10
        pending = [self.port, self.port_auth, self.port_tls, self.port_mtls,
                   self.port_tls_expired]
        while pending:
            if self.proc.poll() is not None:
                raise RuntimeError("mosquitto exited with %s:\n%s" %
                                   (self.proc.returncode, self.logtext()))
            if time.monotonic() > deadline:
                raise RuntimeError("mosquitto did not open its ports:\n"
                                   + self.logtext())
            p = pending[0]
            try:
                socket.create_connection((HOST, p), timeout=0.5).close()
                pending.pop(0)
            except OSError:
                time.sleep(0.05)

    def logtext(self):
        out = []
        for p in (os.path.join(self.dir, "mosquitto.stdout"), self.log):
            try:
                with open(p) as f:
                    out.append(f.read())
            except OSError:
                pass
        return "\n".join(out)

    def stop(self):
        p, self.proc = self.proc, None
        if p is None:
            return
        stop_process(p)
        self.out.close()


class AmqttBroker(Broker):
    """amqtt (PyPI) with one anonymous TCP listener; PORT_AUTH/TLS/MTLS are 0."""

    def start(self):
        d = self.dir
        certdir = os.path.join(d, "certs")
        os.mkdir(certdir)
        self.certs = make_certs(certdir)  # testenv names them; nothing uses them here
        (self.port,) = free_ports(1)
        self.port_auth = self.port_tls = self.port_mtls = self.port_tls_expired = 0
        conf = os.path.join(d, "amqtt.yaml")
        with open(conf, "w") as f:
            f.write("listeners:\n  default:\n    type: tcp\n    bind: %s:%d\n"
                    "plugins:\n  amqtt.plugins.authentication.AnonymousAuthPlugin:\n"
                    "    allow_anonymous: true\n" % (HOST, self.port))
        self.log = os.path.join(d, "amqtt.log")
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen([AMQTT, "-c", conf], stdout=self.out,
                                     stderr=subprocess.STDOUT, cwd=d, start_new_session=True)
        _cleanups.append(self.stop)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("amqtt exited with %s:\n%s" % (self.proc.returncode, self.logtext()))
            try:
                socket.create_connection((HOST, self.port), timeout=0.5).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("amqtt did not open its port:\n" + self.logtext())
                time.sleep(0.1)


class BrokerControl:
    """Extra brokers that tests stop, kill and restart (reconnect tests).

    A line-based TCP server on 127.0.0.1 (its port is testenv.CTL_PORT):
      start        -> starts a new mosquitto with one anonymous listener on a
                      free port (persistence on, in its own directory);
                      answers the port
      start v5limits -> the same with the MQTT 5 limits of V5_LIMITS (the
                      CONNACK announces them) and an ACL that allows only
                      umqtt-test/# (so SUBACK/PUBACK refuse anything else)
      start PORT   -> starts that broker again, same port and configuration
      stop PORT    -> SIGTERM (mosquitto saves its sessions), waits
      kill PORT    -> SIGKILL, waits
      proxy TARGET -> starts a fault-injecting TCP proxy to 127.0.0.1:TARGET
                      (tests/proxy.py); answers its port
      proxy PORT MODE [ARG] -> sets its mode (pass, stall, drop, reset,
                      blackhole, delay MS) or answers "stats"
    Answers "ok" / the port, or "err <reason>". Each test gets its own
    broker, so tests can run in parallel. All are stopped at the end.
    """

    # mosquitto options for `start v5limits` (global options: a broker of its own).
    V5_LIMITS = ("max_qos 1\nretain_available false\nmax_keepalive 10\n"
                 "max_packet_size 2000\nmax_inflight_messages 2\n")

    def __init__(self, workdir):
        self.dir = workdir
        self.procs = {}  # port -> Popen (None when stopped)
        self.extra = {}  # port -> extra configuration lines
        self.proxies = {}  # port -> proxy.Proxy
        self.lock = threading.Lock()
        self.srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.srv.bind((HOST, 0))
        self.srv.listen(16)
        self.port = self.srv.getsockname()[1]
        _cleanups.append(self.close)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        with conn:
            f = conn.makefile("rwb")
            for line in f:
                try:
                    reply = self.command(line.decode().split())
                except Exception as e:
                    reply = "err %s" % (e,)
                f.write((reply + "\n").encode())
                f.flush()

    def command(self, words):
        if words and words[0] == "proxy":
            return self.proxy(words[1:])
        with self.lock:
            if words == ["start"] or words == ["start", "v5limits"]:
                port = free_ports(1)[0]
                if len(words) == 2:
                    acl = os.path.join(self.dir, "v5limits-%d.acl" % port)
                    with open(acl, "w") as f:
                        f.write("topic readwrite umqtt-test/#\n")
                    self.extra[port] = self.V5_LIMITS + "acl_file %s\n" % acl
                self._start(port)
                return str(port)
            if len(words) != 2:
                return "err usage"
            cmd, port = words[0], int(words[1])
            if port not in self.procs:
                return "err unknown port"
            if cmd == "start":
                self._start(port)
            elif cmd in ("stop", "kill"):
                p, self.procs[port] = self.procs[port], None
                if p is not None:
                    if cmd == "kill":
                        p.kill()
                        p.wait(5)
                    else:
                        stop_process(p)
            else:
                return "err unknown command"
            return "ok"

    def _start(self, port):
        if self.procs.get(port) is not None:
            raise RuntimeError("already running")
        d = os.path.join(self.dir, "ctl-%d" % port)
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("user %s\npersistence true\npersistence_location %s/\n"
                    "log_dest file %s/mosquitto.log\nlog_type all\n"
                    "listener %d %s\nallow_anonymous true\n%s"
                    % (pwd.getpwuid(os.geteuid()).pw_name, d, d, port, HOST,
                       self.extra.get(port, "")))
        out = open(os.path.join(d, "mosquitto.stdout"), "a")
        p = subprocess.Popen([MOSQUITTO, "-c", conf], stdout=out, stderr=subprocess.STDOUT,
                             cwd=d, start_new_session=True)
        out.close()
        self.procs[port] = p
        deadline = time.monotonic() + 10
        while True:
            if p.poll() is not None:
                raise RuntimeError("mosquitto exited with %s" % p.returncode)
            try:
                socket.create_connection((HOST, port), timeout=0.5).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("mosquitto did not open port %d" % port)
                time.sleep(0.05)

    def proxy(self, words):
        # tests/proxy.py, in this process (one thread per connection).
        if HERE not in sys.path:
            sys.path.insert(0, HERE)
        import proxy

        if len(words) == 1:
            p = proxy.Proxy(int(words[0]))
            with self.lock:
                self.proxies[p.port] = p
            return str(p.port)
        if len(words) < 2 or int(words[0]) not in self.proxies:
            return "err usage: proxy TARGET | proxy PORT MODE [ARG]"
        return self.proxies[int(words[0])].command(words[1:])

    def close(self):
        try:
            self.srv.close()
        except OSError:
            pass
        for p in list(self.proxies.values()):
            p.close()
        with self.lock:
            for port, p in list(self.procs.items()):
                if p is not None:
                    stop_process(p)
                self.procs[port] = None


def write_testenv(path, broker, run_id, workdir, ctl_port, slowdown=1):
    vals = {
        "CTL_PORT": ctl_port,
        "HOST": HOST,
        "PORT": broker.port,
        "PORT_AUTH": broker.port_auth,
        "PORT_TLS": broker.port_tls,
        "PORT_MTLS": broker.port_mtls,
        "PORT_TLS_EXPIRED": broker.port_tls_expired,
        "USER": USER,
        "PASSWORD": PASSWORD,
        # name in the server certificate (CN and SAN); SAN also has the IP
        "SERVER_HOSTNAME": "localhost",
        "RUN_ID": run_id,
        "WORKDIR": workdir,
        # Time limits on latency (scheduler starvation) are multiplied by
        # this: 20 under --wrapper (valgrind runs MicroPython ~20x slower).
        "SLOWDOWN": slowdown,
    }
    vals.update(broker.certs)
    with open(path, "w") as f:
        f.write("# generated by tests/run.py -- do not edit\n")
        for k in sorted(vals):
            f.write("%s = %r\n" % (k, vals[k]))
        f.write(
            "\n\ndef read(path):\n"
            "    with open(path, 'rb') as f:\n"
            "        return f.read()\n"
            "\n\ndef broker_ctl(*words):\n"
            "    # Asks the runner to start/stop/kill a private broker (see BrokerControl).\n"
            "    import socket\n"
            "    s = socket.socket()\n"
            "    try:\n"
            "        s.connect(socket.getaddrinfo(HOST, CTL_PORT)[0][-1])\n"
            "        s.write((' '.join(str(w) for w in words) + '\\n').encode())\n"
            "        r = b''\n"
            "        while not r.endswith(b'\\n'):\n"
            "            c = s.read(1)\n"
            "            if not c:\n"
            "                break\n"
            "            r += c\n"
            "    finally:\n"
            "        s.close()\n"
            "    r = r.decode().strip()\n"
            "    if r.startswith('err'):\n"
            "        raise OSError(r)\n"
            "    return int(r) if r.isdigit() else r\n")


def discover(patterns):
    names = sorted(n[:-3] for n in os.listdir(MP_DIR)
                   if n.startswith("test_") and n.endswith(".py"))
    if not patterns:
        return names
    out = []
    for n in names:
        for p in patterns:
            if (any(ch in p for ch in "*?[") and fnmatch.fnmatch(n, p)) or p in n:
                out.append(n)
                break
    return out


TIMEOUT_RE = re.compile(rb"^#\s*timeout:\s*(\d+)", re.M | re.I)


def test_timeout(path, default):
    with open(path, "rb") as f:
        head = f.read(2000)
    m = TIMEOUT_RE.search(head)
    return int(m.group(1)) if m else default


def probe(args):
    """What the firmware has of tests/needs.py's FEATURES (frozen modules only)."""
    env = dict(os.environ)
    env["MICROPYPATH"] = ":".join([".frozen"] + [os.path.abspath(p) for p in args.mpypath])
    env.pop("MICROPYINSPECT", None)
    # From an empty directory: `-c` imports from the current one first, and a
    # stray mqtt_as.mpy in /tmp would pass for a frozen module.
    with tempfile.TemporaryDirectory(prefix="umqtt-probe-") as empty:
        r = subprocess.run([args.micropython, "-c", needs.PROBE], env=env, cwd=empty,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    return needs.parse_probe(r.stdout.decode("utf-8", "replace"))


def run_one(name, args, env, tmproot):
    if args.broker == "amqtt" and name in AMQTT_LACKS:
        return name, "SKIP", AMQTT_LACKS[name], "", 0.0
    path = os.path.join(MP_DIR, name + ".py")
    with open(path, "rb") as f:
        try:
            why = needs.skip_reason(f.read(), args.have)
        except ValueError as e:
            return name, "FAIL", "its '# needs:' line: %s" % (e,), "", 0.0
    if why:
        return name, "SKIP", why, "", 0.0
    timeout = min(args.timeout, test_timeout(path, args.timeout))
    cwd = tempfile.mkdtemp(prefix=name + "-", dir=tmproot)
    cmd = shlex.split(args.wrapper) + [args.micropython]
    if args.heapsize:
        cmd += ["-X", "heapsize=" + args.heapsize]
    cmd.append(path)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    timed_out = False
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            p.kill()
        out, _ = p.communicate()
    except BaseException:
        p.kill()
        p.wait()
        raise
    dt = time.monotonic() - t0
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    lines = [l for l in text.split("\n") if l.strip()]
    exp_path = os.path.join(MP_DIR, name + ".exp")
    if timed_out:
        return name, "FAIL", "timeout after %ds" % timeout, text, dt
    skip = [l for l in lines if l == "SKIP" or l.startswith("SKIP ")]
    if skip and p.returncode == 0:
        return name, "SKIP", skip[0][5:].strip(), text, dt
    if os.path.exists(exp_path):
        with open(exp_path, "rb") as f:
            exp = f.read().decode("utf-8", "replace").replace("\r\n", "\n")
        if p.returncode == 0 and text == exp:
            return name, "PASS", "", text, dt
        return name, "FAIL", "output differs from %s.exp (exit %d)" % (
            name, p.returncode), text, dt
    if p.returncode == 0 and lines and lines[-1].strip() == "OK":
        return name, "PASS", "", text, dt
    why = "exit code %d" % p.returncode if p.returncode else "last line is not OK"
    return name, "FAIL", why, text, dt


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--micropython", required=True,
                    help="micropython unix binary to test")
    ap.add_argument("--mpypath", action="append", default=[],
                    help="extra dir appended to MICROPYPATH (e.g. the pure-Python "
                         "reference umqtt package); may repeat")
    ap.add_argument("-k", dest="patterns", action="append", default=[],
                    help="only tests whose name contains PATTERN (or matches "
                         "the glob); may repeat")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print the output of every test")
    ap.add_argument("-j", "--jobs", type=int, default=1,
                    help="tests run in parallel (default 1)")
    ap.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT,
                    help="per-test timeout in seconds (default %d; a script "
                         "may lower it with a '# timeout: N' line)" % DEFAULT_TIMEOUT)
    ap.add_argument("--wrapper", default="",
                    help="command line put before micropython, e.g. "
                         "'valgrind --error-exitcode=99 -q' (tests/memcheck.sh)")
    ap.add_argument("--heapsize", default=None,
                    help="passed as micropython -X heapsize=...")
    ap.add_argument("--broker", choices=("mosquitto", "amqtt"), default="mosquitto",
                    help="broker the tests talk to (default mosquitto; amqtt: %s)" % AMQTT)
    ap.add_argument("--keep", action="store_true",
                    help="keep the temp dir (broker log, certs) for debugging")
    args = ap.parse_args()

    args.micropython = os.path.abspath(args.micropython)
    if not os.access(args.micropython, os.X_OK):
        print("not executable: %s" % args.micropython)
        print("0 passed, 0 failed, 0 skipped")
        return 2

    names = discover(args.patterns)
    if not names:
        print("no tests selected")
        print("0 passed, 0 failed, 0 skipped")
        return 1
    try:
        args.have = probe(args)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        print("harness error: probing the firmware: %s" % (e,))
        print("0 passed, %d failed, 0 skipped" % len(names))
        return 1
    print("firmware: %s" % needs.describe(args.have), flush=True)

    tmproot = tempfile.mkdtemp(prefix="umqtt-tests-")
    if not args.keep:
        _cleanups.append(lambda: shutil.rmtree(tmproot, ignore_errors=True))
    else:
        print("temp dir: %s" % tmproot)

    # SIGTERM -> normal exit so that finally/atexit stop the broker.
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))

    broker = (AmqttBroker if args.broker == "amqtt" else Broker)(tmproot, args.verbose)
    ctl = None
    results = []
    try:
        broker.start()
        envdir = os.path.join(tmproot, "env")
        os.mkdir(envdir)
        run_id = uuid.uuid4().hex[:8]
        ctl = BrokerControl(tmproot)
        write_testenv(os.path.join(envdir, "testenv.py"), broker, run_id, tmproot, ctl.port,
                      20 if args.wrapper else 1)
        env = dict(os.environ)
        # .frozen first, as in the default sys.path, so firmware built-ins
        # win over files (that order is what the shadowing test checks).
        mpath = [".frozen", envdir, MP_DIR] + [os.path.abspath(p) for p in args.mpypath]
        env["MICROPYPATH"] = ":".join(mpath)
        env.pop("MICROPYINSPECT", None)
        if args.verbose:
            print("broker ports: anon=%d auth=%d tls=%d mtls=%d" % (
                broker.port, broker.port_auth, broker.port_tls, broker.port_mtls))
            print("MICROPYPATH=%s" % env["MICROPYPATH"])

        def report(res):
            name, status, why, text, dt = res
            results.append(res)
            line = "%-4s %s (%.1fs)" % (status, name, dt)
            if why:
                line += ": " + why
            print(line, flush=True)
            if status == "FAIL" or args.verbose:
                for l in text.rstrip("\n").split("\n"):
                    print("    | " + l)
                sys.stdout.flush()

        if args.jobs <= 1:
            for n in names:
                report(run_one(n, args, env, tmproot))
        else:
            with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
                futs = [ex.submit(run_one, n, args, env, tmproot) for n in names]
                for f in concurrent.futures.as_completed(futs):
                    report(f.result())
    except KeyboardInterrupt:
        print("interrupted")
    except Exception as e:
        print("harness error: %s" % (e,))
    finally:
        if ctl is not None:
            ctl.close()
        broker.stop()
        if args.keep:
            print("broker log: %s" % broker.log)
        _run_cleanups()

    npass = sum(1 for r in results if r[1] == "PASS")
    nfail = sum(1 for r in results if r[1] == "FAIL")
    nskip = sum(1 for r in results if r[1] == "SKIP")
    nfail += len(names) - len(results)  # not run (interrupted / harness error)
    print("%d passed, %d failed, %d skipped" % (npass, nfail, nskip))
    return 1 if (nfail or npass + nskip == 0) else 0


if __name__ == "__main__":
    sys.exit(main())
