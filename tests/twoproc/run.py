#!/usr/bin/env python3
"""Two-process test of mqtt_as (umqtt-rs), in the spirit of mqtt_as's own
tests/v3 and tests/v5 (a target device challenged by a second client).

    python3 tests/twoproc/run.py --micropython build/unix/micropython [-k PATTERN] [-v]

It starts a private mosquitto on 127.0.0.1 (tests/broker.py), then for each
of MQTT 3.1.1 and 5 and each of mqtt_as's interfaces (event queue, subs_cb)
runs `micropython tests/twoproc/target.py` (our firmware, MICROPYPATH=.frozen)
and challenges it from here with tests/twoproc/wire.py, a raw-socket MQTT
client of its own speaking the target's protocol version: the target
publishes on command (the properties are checked on the wire), echoes what it
receives as JSON (topic, message, retained, the types of the values mqtt_as
handed out, and the properties: None when the PUBLISH carried none, as
mqtt_as does), subscribes and unsubscribes on command. One line per check,
then `N passed, N failed`; the exit code is non-zero on any failure. The
broker and the targets are stopped by PID.
"""

import argparse
import fnmatch
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from broker import read_logs, start_broker, stop_broker  # noqa: E402
from run import HOST, stop_process  # noqa: E402

import wire  # noqa: E402

READY_TIMEOUT = 20  # seconds for the target to connect and subscribe
WAIT = 10  # seconds for any one reply

LONG_TOPIC = "abcdefghij" * 20  # 200 characters, as mqtt_as's tests
LONG_MSG = "zyxwvutsrq" * 20
UTF8_TOPIC = "tëst/tòpïc/日本語"  # code points != bytes
UTF8_MSG = "Emoji test: 😀🚀 café naïve"
PROPS_OUT = {0x01: 1, 0x03: "text/plain", 0x08: "reply/to", 0x09: b"\x00\xffcorr", 0x26: {"k": "v"}}
PROPS_OUT_WIRE = {**PROPS_OUT, 0x26: [("k", "v")]}  # as wire.py decodes it


def as_json(props):
    # Properties in the JSON form the target writes and reads.
    if props is None:
        return None
    return {str(k): ["bytes", v.hex()] if isinstance(v, bytes) else v for k, v in props.items()}


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


class Target:
    """One target.py process and the challenger connection talking to it."""

    def __init__(self, fw, port, version, iface, run_id, workdir):
        self.version = version
        self.port = port
        self.prefix = "twoproc/%s/v%d-%s" % (run_id, version, iface)
        self.lines = []
        self._q = queue.Queue()  # one item per line, "EOF" at the end
        self.ch = None
        env = dict(os.environ, MICROPYPATH=".frozen")
        env.pop("MICROPYINSPECT", None)
        self.proc = subprocess.Popen(
            [fw, os.path.join(HERE, "target.py"), HOST, str(port), self.prefix, str(version), iface],
            cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self._q.put(line)
        self._q.put("EOF")

    def start(self):
        """Waits for the target's READY, then connects the challenger."""
        deadline = time.monotonic() + READY_TIMEOUT
        while "READY" not in self.lines:
            try:
                item = self._q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise Failure("no READY from the target within %d s" % READY_TIMEOUT) from None
            if item == "EOF":
                raise Failure("the target ended its output without READY")
        self.ch = wire.Client(HOST, self.port, self.prefix.replace("/", "-") + "-ch", self.version, WAIT)
        self.ch.subscribe(self.topic("response"))

    def topic(self, name):
        return self.prefix + "/" + name

    def command(self, cmd, topic="", msg="", props=None):
        # Sends a control message; returns once the target's await returned.
        self.ch.publish(self.topic("control"),
                        json.dumps([cmd, topic, msg, as_json(props)], ensure_ascii=False))
        r = self.response()
        check(r == ["done", cmd, topic], "reply to %s %r: %r" % (cmd, topic, r))

    def response(self):
        return json.loads(self.ch.take(self.topic("response"))["payload"].decode("utf-8"))

    def expect_echo(self, topic, msg, retained=False, props=None):
        """The next reply must echo this message; props is what mqtt_as's 4th
        value must be with mqttv5 (None: the PUBLISH carried no properties)."""
        r = self.response()
        check(r[:1] == ["echo"], "expected an echo, got %r" % (r,))
        _, got_topic, got_msg, got_retained, types, got_props = r
        check((got_topic, got_msg) == (topic, msg),
              "echo of %r %r, got %r %r" % (topic, msg[:40], got_topic, got_msg[:40]))
        check(got_retained is retained, "retained %r, expected %r" % (got_retained, retained))
        if self.version == 5:
            want = ["bytes", "bytes", "bool", "NoneType" if props is None else "dict"]
            check(types == want, "mqtt_as handed out %r, expected %r" % (types, want))
            check(got_props == as_json(props), "properties %r, expected %r" % (got_props, as_json(props)))
        else:
            want = ["bytes", "bytes", "bool"]
            check(types == want, "mqtt_as handed out %r, expected %r (MQTT 3.1.1)" % (types, want))

    def expect_wire(self, topic, msg, props):
        """The target's PUBLISH on `topic` as it reached us: QoS 1, not
        retained, these properties (wire form; {} = an empty block)."""
        m = self.ch.take(topic)
        check(m["payload"] == msg.encode("utf-8"), "payload %r" % m["payload"][:40])
        check((m["qos"], m["retain"]) == (1, False), "qos %d retain %r" % (m["qos"], m["retain"]))
        want = props if self.version == 5 else None
        check(m["props"] == want, "properties on the wire %r, expected %r" % (m["props"], want))

    def finish(self):
        """quit: the target replies, disconnects and exits 0; nothing else was echoed."""
        self.command("quit")
        stray = [m for m in self.ch.inbox if m["topic"] == self.topic("response")]
        check(not stray, "unexpected replies: %r" % stray)
        self.ch.disconnect()
        try:
            rc = self.proc.wait(WAIT)
        except subprocess.TimeoutExpired:
            raise Failure("the target did not exit after quit") from None
        check(rc == 0, "the target exited with %d" % rc)
        check("BYE" in self.lines, "no BYE from the target")
        check("DOWN" not in self.lines, "the target lost its connection")

    def stop(self):
        if self.ch is not None:
            self.ch.sock.close()
        stop_process(self.proc)


# --- checks: fn(target) ---------------------------------------------------------


def remote_publish(t):
    # As mqtt_as's "Remote publication test": the target publishes on command.
    topic = t.topic("pub")
    t.ch.subscribe(topic)
    props = {0x03: "rats"} if t.version == 5 else None
    t.command("publish", topic, "hello", props)
    t.expect_wire(topic, "hello", {0x03: "rats"})


def remote_publish_no_props(t):
    topic = t.topic("pub0")
    t.ch.subscribe(topic)
    t.command("publish", topic, "plain")
    t.expect_wire(topic, "plain", {})


def remote_publish_props(t):
    topic = t.topic("pubp")
    t.ch.subscribe(topic)
    t.command("publish", topic, "with properties", PROPS_OUT)
    t.expect_wire(topic, "with properties", PROPS_OUT_WIRE)


def echo_no_props(t):
    # mqtt_as's "Remote subscription test" without properties: None, not {}.
    topic = t.topic("sub0")
    t.command("subscribe", topic)
    t.ch.publish(topic, "this is a message")
    t.expect_echo(topic, "this is a message")
    t.ch.publish(topic, "qos 0", qos=0)
    t.expect_echo(topic, "qos 0")


def echo_props(t):
    topic = t.topic("subp")
    t.command("subscribe", topic)
    t.ch.publish(topic, "this is a message", props={0x03: "property test"})
    t.expect_echo(topic, "this is a message", props={0x03: "property test"})
    # Several user properties reach mqtt_as as one {name: value} dict.
    sent = {0x01: 1, 0x03: "text/plain", 0x08: "reply/to", 0x09: b"\x01\x02",
            0x26: [("a", "1"), ("b", "2")]}
    t.ch.publish(topic, "all of them", props=sent)
    t.expect_echo(topic, "all of them", props={**sent, 0x26: {"a": "1", "b": "2"}})
    # And the next message without properties is None again.
    t.ch.publish(topic, "none again")
    t.expect_echo(topic, "none again")


def subscription_identifier(t):
    topic = t.topic("sid")
    t.command("subscribe", topic, props={0x0B: 7})
    t.ch.publish(topic, "sid only")
    t.expect_echo(topic, "sid only", props={0x0B: 7})
    t.ch.publish(topic, "sid and more", props={0x03: "x"})
    t.expect_echo(topic, "sid and more", props={0x03: "x", 0x0B: 7})


def retained(t):
    topic = t.topic("kept")
    props = {0x03: "kept"} if t.version == 5 else None
    t.ch.publish(topic, "kept", retain=True, props=props)
    t.command("subscribe", topic)
    t.expect_echo(topic, "kept", retained=True, props=props)
    t.ch.publish(topic, "live", retain=True)  # to a subscriber already there: not retained
    t.expect_echo(topic, "live", retained=False)


def unsubscribe(t):
    # Deterministic, no quiet period: after the unsubscribe, a message on the
    # old topic and then one on a subscribed fence topic; the next echo
    # (mosquitto keeps one publisher's order) must be the fence's.
    topic, fence = t.topic("unsub"), t.topic("fence")
    t.command("subscribe", topic)
    t.command("subscribe", fence)
    t.command("unsubscribe", topic)
    t.ch.publish(topic, "gone")
    t.ch.publish(fence, "fence")
    t.expect_echo(fence, "fence")
    t.command("unsubscribe", t.topic("never subscribed"))
    t.ch.publish(fence, "still there")
    t.expect_echo(fence, "still there")


def both_ways(t, name, msg):
    # The target publishes it, then receives it.
    topic = t.topic(name)
    t.ch.subscribe(topic)
    t.command("publish", topic, msg)
    t.expect_wire(topic, msg, {})
    t.command("subscribe", topic)
    t.ch.publish(topic, msg)
    t.ch.take(topic)  # our own copy (we are subscribed too)
    t.expect_echo(topic, msg)


def long_topic_message(t):
    both_ways(t, LONG_TOPIC, LONG_MSG)


def non_ascii(t):
    both_ways(t, UTF8_TOPIC, UTF8_MSG)


def v3_ignores_props(t):
    # An MQTT 5 publisher's properties do not reach an MQTT 3.1.1 target.
    topic = t.topic("from5")
    t.command("subscribe", topic)
    c5 = wire.Client(HOST, t.port, t.prefix.replace("/", "-") + "-v5", 5, WAIT)
    try:
        c5.publish(topic, "props dropped", props={0x03: "x", 0x26: [("a", "b")]})
    finally:
        c5.disconnect()
    t.expect_echo(topic, "props dropped")


CHECKS = [  # (name, fn, versions)
    ("remote_publish", remote_publish, (3, 5)),
    ("remote_publish_no_props", remote_publish_no_props, (5,)),
    ("remote_publish_props", remote_publish_props, (5,)),
    ("echo_no_props", echo_no_props, (3, 5)),
    ("echo_props", echo_props, (5,)),
    ("subscription_identifier", subscription_identifier, (5,)),
    ("retained", retained, (3, 5)),
    ("unsubscribe", unsubscribe, (3, 5)),
    ("long_topic_message", long_topic_message, (3, 5)),
    ("non_ascii", non_ascii, (3, 5)),
    ("v3_ignores_props", v3_ignores_props, (3,)),
]
PAIRS = [(3, "events"), (3, "callback"), (5, "events"), (5, "callback")]


def selected(name, patterns):
    return not patterns or any(p in name or fnmatch.fnmatch(name, p) for p in patterns)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--micropython", required=True, help="unix micropython binary with umqtt-rs")
    ap.add_argument("-k", action="append", default=[], metavar="PATTERN",
                    help="only checks whose name (e.g. 'v5/events echo_no_props') matches; may repeat")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each target's output")
    args = ap.parse_args()
    fw = os.path.abspath(args.micropython)

    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    workdir = tempfile.mkdtemp(prefix="umqtt-twoproc-")
    broker = None
    passed = failed = 0
    try:
        broker, port, _ = start_broker(workdir)
        for version, iface in PAIRS:
            pair = "v%d/%s" % (version, iface)
            checks = [(pair + " " + n, fn) for n, fn, vs in CHECKS
                      if version in vs and selected(pair + " " + n, args.k)]
            if not checks:
                continue
            t = None
            failed_before = failed
            try:
                t = Target(fw, port, version, iface, os.getpid(), workdir)
                t.start()
                for name, fn in checks + [(pair + " quit", Target.finish)]:
                    try:
                        if t.proc.poll() is not None and fn is not Target.finish:
                            raise Failure("the target exited with %s" % t.proc.returncode)
                        fn(t)
                        passed += 1
                        print("PASS %s" % name, flush=True)
                    except (Failure, wire.ProtocolError, TimeoutError, OSError, ValueError) as e:
                        failed += 1
                        print("FAIL %s: %s" % (name, e), flush=True)
            except (Failure, OSError, wire.ProtocolError) as e:
                failed += 1
                print("FAIL %s start: %s" % (pair, e), flush=True)
            finally:
                if t is not None:
                    t.stop()
                    if args.verbose or failed > failed_before:
                        print("--- %s target output:\n%s" % (pair, "\n".join(t.lines)), flush=True)
    except KeyboardInterrupt:
        failed += 1
    finally:
        if broker is not None:
            if failed:
                print("--- broker log:\n%s" % read_logs(workdir)[-4000:])
            stop_broker(broker)
        shutil.rmtree(workdir, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
