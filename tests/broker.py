#!/usr/bin/env python3
"""A private mosquitto broker on 127.0.0.1 (one anonymous listener, free port).

    python3 tests/broker.py --run FIRMWARE SCRIPT [ARGS...]
        start the broker, run `FIRMWARE SCRIPT ARGS...` with MQTT_PORT set to
        the broker's port and MICROPYPATH=.frozen (only the firmware's frozen
        modules, nothing from the file system), stop the broker and exit with
        the firmware's exit code.

    python3 tests/broker.py
        start the broker, print its port, and keep it running until Ctrl-C.

    --tls   also generate a CA and a server certificate (CN and SAN localhost,
            SAN IP 127.0.0.1) and open a TLS listener; --run then also sets
            MQTT_TLS_PORT, MQTT_CA (the CA certificate, DER), MQTT_CA_PEM and
            MQTT_SERVER_HOSTNAME (localhost).

MOSQUITTO overrides the broker binary (default /usr/sbin/mosquitto).
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
import time

from run import HOST, MOSQUITTO, free_ports, make_certs, stop_process

START_TIMEOUT = 10  # seconds for mosquitto to accept connections


def start_broker(workdir, tls=None):
    """Start mosquitto; return (process, port, log path) once it accepts connections.

    tls: None, or a dict that receives "port" and the certificate paths
    (make_certs' names) of an extra TLS listener."""
    (port,) = free_ports(1)
    log = os.path.join(workdir, "mosquitto.log")
    conf = os.path.join(workdir, "mosquitto.conf")
    ports = [port]
    with open(conf, "w") as f:
        # `user`: as root, mosquitto would otherwise switch to the user
        # "mosquitto", which may be unable to write the log here.
        f.write("user %s\n"
                "persistence false\n"
                "log_dest file %s\n"
                "listener %d %s\n"
                "allow_anonymous true\n"
                % (pwd.getpwuid(os.geteuid()).pw_name, log, port, HOST))
        if tls is not None:
            certdir = os.path.join(workdir, "certs")
            os.mkdir(certdir)
            tls.update(make_certs(certdir))
            tls["port"] = free_ports(1)[0]
            ports.append(tls["port"])
            c = os.path.join(certdir, "")
            f.write("listener %d %s\n"
                    "cafile %sca.pem\ncertfile %sserver.pem\nkeyfile %sserver.key\n"
                    "require_certificate false\n" % (tls["port"], HOST, c, c, c))
    out = open(os.path.join(workdir, "mosquitto.stdout"), "w")
    proc = subprocess.Popen([MOSQUITTO, "-c", conf], stdout=out, stderr=subprocess.STDOUT,
                            cwd=workdir, start_new_session=True)
    out.close()
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise RuntimeError("mosquitto exited with %s:\n%s" % (proc.returncode, read_logs(workdir)))
        try:
            socket.create_connection((HOST, ports[0]), timeout=0.5).close()
            ports.pop(0)
            if not ports:
                return proc, port, log
        except OSError:
            if time.monotonic() > deadline:
                stop_broker(proc)
                raise RuntimeError("mosquitto did not open port %d:\n%s" % (ports[0], read_logs(workdir)))
            time.sleep(0.05)


def stop_broker(proc):
    stop_process(proc)


def read_logs(workdir):
    text = []
    for name in ("mosquitto.stdout", "mosquitto.log"):
        try:
            with open(os.path.join(workdir, name)) as f:
                text.append(f.read())
        except OSError:
            pass
    return "".join(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", nargs=argparse.REMAINDER, metavar="FIRMWARE SCRIPT",
                    help="run FIRMWARE SCRIPT [ARGS...] against the broker")
    ap.add_argument("--tls", action="store_true",
                    help="also open a TLS listener (MQTT_TLS_PORT, MQTT_CA, MQTT_SERVER_HOSTNAME)")
    args = ap.parse_args()
    if args.run is not None and len(args.run) < 2:
        ap.error("--run needs FIRMWARE and SCRIPT")

    # SIGTERM -> SystemExit, so the finally below still stops the broker.
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    workdir = tempfile.mkdtemp(prefix="umqtt-broker-")
    proc = None
    try:
        tls = {} if args.tls else None
        proc, port, log = start_broker(workdir, tls)
        if args.run is None:
            print("mosquitto on %s:%d (log: %s); Ctrl-C stops it" % (HOST, port, log), flush=True)
            if tls:
                print("TLS listener on %s:%d, CA: %s" % (HOST, tls["port"], tls["CA_PEM"]), flush=True)
            proc.wait()
            print("mosquitto exited with %s" % proc.returncode)
            return 1
        env = dict(os.environ, MQTT_PORT=str(port), MICROPYPATH=".frozen")
        if tls:
            env.update(MQTT_TLS_PORT=str(tls["port"]), MQTT_CA=tls["CA_DER"],
                       MQTT_CA_PEM=tls["CA_PEM"], MQTT_SERVER_HOSTNAME="localhost")
        env.pop("MICROPYINSPECT", None)
        rc = subprocess.call(args.run, env=env)
        if rc < 0:
            rc = 128 - rc  # killed by signal -rc, as a shell reports it
        if rc != 0:
            print("broker.py: %s exited with %d; broker log:\n%s"
                  % (" ".join(args.run), rc, read_logs(workdir)), file=sys.stderr)
        return rc
    except KeyboardInterrupt:
        return 130
    finally:
        if proc is not None:
            stop_broker(proc)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
