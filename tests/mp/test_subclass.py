# Subclassing: a Python subclass can wrap methods with super(); a subclass
# that defines cb/cbstat as methods keeps them (simple2's __init__ only sets
# cb/cbstat when they are not already defined, which robust2 relies on).
import testenv
from mqttutil import check, eq, uid, topic, wait_until, close_quietly
from umqtt.simple2 import MQTTClient


class Counting(MQTTClient):
    def __init__(self, *a, **kw):
        self.published = []
        super().__init__(*a, **kw)

    def publish(self, topic, msg, retain=False, qos=0, dup=False):
        pid = super().publish(topic, msg, retain, qos, dup)
        self.published.append((topic, msg, qos, pid))
        return pid

    def connect(self, clean_session=True):
        self.connects = getattr(self, "connects", 0) + 1
        return super().connect(clean_session)


class WithStatus(Counting):
    def __init__(self, *a, **kw):
        self.stat_calls = []
        self.msg_calls = []
        super().__init__(*a, **kw)

    def cbstat(self, pid, status):
        self.stat_calls.append((pid, status))

    def cb(self, topic, msg, retained, dup):
        self.msg_calls.append((topic, msg, retained, dup))


c = Counting(uid("sub1"), testenv.HOST, port=testenv.PORT)
check(isinstance(c, MQTTClient), "isinstance")
eq(c.connect(), 0, "subclass connect")
eq(c.connects, 1, "overridden connect called")
t0 = topic("sub0")
eq(c.publish(t0, b"a"), None, "wrapped QoS0 publish")
p = c.publish(t0, b"b", qos=1)
check(isinstance(p, int), "wrapped QoS1 publish returns pid")
eq(c.published, [(t0, b"a", 0, None), (t0, b"b", 1, p)], "wrapper saw the calls")

t = topic("sub")
w = WithStatus(uid("sub2"), testenv.HOST, port=testenv.PORT)
# the methods were not replaced by __init__ (checked by the calls below)
w.connect()
sp = w.subscribe(t, 1)  # cb is a method, so subscribe's assertion passes
check(wait_until(w, lambda: (sp, 1) in w.stat_calls), "method cbstat not called: %r" % w.stat_calls)
pp = w.publish(t, b"c", qos=1)
check(wait_until(w, lambda: (pp, 1) in w.stat_calls and w.msg_calls),
      "stat=%r msg=%r" % (w.stat_calls, w.msg_calls))
eq(w.msg_calls[0], (t, b"c", False, False), "method cb called")
eq(w.published[-1][3], pp, "wrapper around publish still active")

# set_callback_status still overrides a method cbstat
got = []
w.set_callback_status(lambda pid, st: got.append((pid, st)))
pp2 = w.publish(t, b"d", qos=1)
check(wait_until(w, lambda: (pp2, 1) in got), "set_callback_status did not override")
check((pp2, 1) not in w.stat_calls, "method cbstat still called")

close_quietly(c, w)
print("OK")
