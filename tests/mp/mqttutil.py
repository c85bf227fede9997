# Shared helpers for the MicroPython test scripts (see tests/README.md).
import sys
import time

import testenv
from umqtt.simple2 import MQTTClient, MQTTException

_count = 0

# False on targets without a network (the QEMU firmware, tests/qemu.py):
# scripted tests then connect over a FakeSock (fakesock.scripted) and tests
# that need the broker skip.
NETWORK = getattr(testenv, "NETWORK", True)


def uid(tag="c"):
    """A client id unique to this run, test and call."""
    global _count
    _count += 1
    return "%s-%s-%d-%d" % (tag, testenv.RUN_ID, time.ticks_ms() & 0xFFFFFF, _count)


def topic(tag="t"):
    """A topic (bytes) unique to this run, test and call."""
    global _count
    _count += 1
    return ("umqtt-test/%s/%s/%d/%d" % (testenv.RUN_ID, tag,
                                        time.ticks_ms() & 0xFFFFFF, _count)).encode()


def check(cond, msg="check failed"):
    # Explicit raise (not `assert`) so that it also works under -O.
    if not cond:
        raise AssertionError(msg)


def eq(got, exp, what="value"):
    if got != exp:
        raise AssertionError("%s: got %r, expected %r" % (what, got, exp))


def raises(exc, fn, *args, **kw):
    """Call fn, require it to raise exc; return the exception instance."""
    try:
        r = fn(*args, **kw)
    except exc as e:
        return e
    raise AssertionError("%r did not raise %r (returned %r)" % (fn, exc, r))


def mqtt_code(e):
    check(isinstance(e, MQTTException), "not an MQTTException: %r" % (e,))
    check(len(e.args) >= 1, "MQTTException without args")
    check(isinstance(e.args[0], int), "MQTTException code is not an int: %r" % (e.args,))
    return e.args[0]


class Recorder:
    """Collects message and status callbacks."""

    def __init__(self):
        self.msgs = []
        self.stats = []

    def cb(self, topic, msg, retained, dup):
        self.msgs.append((topic, msg, retained, dup))

    def cbstat(self, pid, status):
        self.stats.append((pid, status))

    def install(self, client):
        client.set_callback(self.cb)
        client.set_callback_status(self.cbstat)
        return self


def client(tag="c", port=None, **kw):
    """An MQTTClient for the anonymous listener (not connected)."""
    if not NETWORK:
        skip("needs the broker: no network on this target")
    return MQTTClient(uid(tag), testenv.HOST,
                      port=testenv.PORT if port is None else port, **kw)


def big_packets(size):
    """Client keywords to receive packets of up to `size` bytes. umqtt-rs
    refuses larger ones (max_packet_size, default 16 KiB: a limit, not a
    buffer); pure-Python simple2 has no bound and no such keyword."""
    try:
        import _umqtt  # noqa: F401
        return {"max_packet_size": size}
    except ImportError:
        return {}


def has_qos2():
    """Whether the firmware has the engine's QoS 2 flows (UMQTT_QOS2, with
    umqtt.MQTTClient or mqtt_as): only then may a client take max_qos=2
    (tests/needs.py probes the same). Pure-Python simple2: True (it reads
    PUBREC & co. as before)."""
    try:
        import _umqtt
    except ImportError:
        return True
    try:
        _umqtt.Simple2(None, "c", "h", max_qos=2)
    except (ValueError, TypeError):  # (TypeError: no max_qos keyword at all)
        return False
    return True


EPROTOCOL = 52  # umqtt.errno: a packet the broker must not send


def connected(tag="c", rec=None, **kw):
    c = client(tag, **kw)
    if rec is not None:
        rec.install(c)
    c.connect()
    return c


def wait_until(clients, cond, timeout=5.0, returns=None):
    """Call check_msg() on each client until cond() is true or timeout (s).

    If `returns` is a list, each check_msg() return value is appended to it.
    Returns cond()'s final value.
    """
    if not isinstance(clients, (list, tuple)):
        clients = (clients,)
    deadline = time.ticks_add(time.ticks_ms(), int(timeout * 1000))
    while True:
        if cond():
            return True
        if time.ticks_diff(deadline, time.ticks_ms()) <= 0:
            return bool(cond())
        for c in clients:
            r = c.check_msg()
            if returns is not None:
                returns.append(r)
        time.sleep_ms(2)


def drain(clients, seconds):
    """Process incoming traffic for a fixed time."""
    wait_until(clients, lambda: False, seconds)


def subscribe_sync(c, rec, topic, qos=0, timeout=5):
    """Subscribe and wait for the SUBACK status callback; returns the pid."""
    pid = c.subscribe(topic, qos)
    check(wait_until(c, lambda: (pid, 1) in rec.stats, timeout),
          "no SUBACK status for pid %r, stats=%r" % (pid, rec.stats))
    return pid


def elapsed_ms(t0):
    return time.ticks_diff(time.ticks_ms(), t0)


def close_quietly(*clients):
    for c in clients:
        try:
            c.disconnect()
        except Exception:
            pass


def have(module):
    """Whether the firmware has `module` (frozen or not): an ImportError
    naming another module it needs (socket on the QEMU boards) still counts
    as there."""
    try:
        __import__(module)
        return True
    except ImportError as e:
        return repr(module) not in str(e)


def skip(reason):
    print("SKIP " + reason)
    sys.exit(0)


def ok():
    print("OK")
