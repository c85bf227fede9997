# Native methods called the ordinary Python ways find their native object:
# explicit base-class calls (MQTTClient.publish(self, ...)) work as with pure
# simple2; anything that is not an initialised client gets TypeError (these
# used to read an int or a half-built instance as the engine and crash).
# Values user code hands over are checked where they are used: NaN timeouts
# (they meant "wait forever"), newpid that resizes the payload (it was
# borrowed before newpid ran), pids no dict would hold in rcv_pids.
import time
import testenv
from mqttutil import check, eq, raises, uid, topic, wait_until, Recorder, close_quietly
from umqtt.simple2 import MQTTClient
import _umqtt


class Explicit(MQTTClient):
    def publish(self, *a, **kw):
        return MQTTClient.publish(self, *a, **kw)

    def check_msg(self):
        return MQTTClient.check_msg(self)


rec = Recorder()
c = Explicit(uid("expl"), testenv.HOST, port=testenv.PORT)
rec.install(c)
c.connect()
t = topic("expl")
MQTTClient.subscribe(c, t, 1)
pid = c.publish(t, b"via the base class", qos=1)
check(wait_until(c, lambda: (pid, 1) in rec.stats and rec.msgs), "round trip through explicit calls")
eq(rec.msgs[0][1], b"via the base class", "message")
check(MQTTClient._sock(c) is c.sock, "_sock through the class")

# Not a client: TypeError, never a crash.
for bad in (5, "x", object(), None):
    raises(TypeError, MQTTClient._sock, bad)
    raises(TypeError, MQTTClient._attach, bad, None)
    raises(TypeError, MQTTClient.publish, bad, t, b"m")
    raises(TypeError, MQTTClient.check_msg, bad)
    raises(TypeError, _umqtt.Simple2.ping, bad)  # (Client's own, where it exists)
raises(TypeError, type(c.rcv_pids).get, 5, 1)
raises(TypeError, type(c.rcv_pids).clear, c)


# NaN timeouts: ValueError naming the attribute, not an endless wait.
c.socket_timeout = float("nan")
e = raises(ValueError, c.check_msg)
check("socket_timeout" in str(e), "names the attribute: %r" % e)
c.socket_timeout = 5
c.message_timeout = float("nan")
raises(ValueError, c.publish, t, b"m", False, 1)
c.message_timeout = 10
eq(c.publish(t, b"still fine"), None, "usable after the ValueError")
check(wait_until(c, lambda: any(m[1] == b"still fine" for m in rec.msgs)), "still fine")

# newpid runs before the payload is borrowed: a payload it resizes is sent
# as it is then, not from freed memory.
payload = bytearray(b"start")


def growing():
    pid = 100
    while True:
        payload.extend(b"+" * 4000)
        pid += 1
        yield pid


c.newpid = growing()
rec.msgs.clear()
pid = c.publish(t, payload, qos=1)
check(wait_until(c, lambda: rec.msgs and (pid, 1) in rec.stats), "resized payload round trip")
got = rec.msgs[0][1]
check(got == bytes(payload), "sent %d bytes %r..., newpid left %d" % (len(got), got[:8], len(payload)))

# rcv_pids answers like a dict for keys that are no pid.
big = 1 << 70
eq(big in c.rcv_pids, False, "huge int in rcv_pids")
eq(c.rcv_pids.get(big, "d"), "d", "get(huge int)")
eq(c.rcv_pids.pop(big, "d"), "d", "pop(huge int)")
raises(KeyError, lambda: c.rcv_pids[big])
eq("x" in c.rcv_pids, False, "str in rcv_pids")

# ... and like a dict for pids, present or not: get, pop, [] and del.
def delitem(d, k):
    del d[k]


deadline = time.ticks_add(time.ticks_ms(), 60000)
c.rcv_pids[900] = deadline
eq(c.rcv_pids.get(900), deadline, "get(present)")
eq(c.rcv_pids[900], deadline, "[present]")
eq(c.rcv_pids.get(901), None, "get(absent)")
eq(c.rcv_pids.get(901, "d"), "d", "get(absent, default)")
raises(KeyError, lambda: c.rcv_pids[901])
raises(KeyError, lambda: c.rcv_pids.pop(901))
raises(KeyError, lambda: delitem(c.rcv_pids, 901))
raises(KeyError, lambda: delitem(c.rcv_pids, "x"))
eq(c.rcv_pids.pop(900), deadline, "pop(present)")
eq(c.rcv_pids.pop(900, "d"), "d", "pop(absent, default)")
c.rcv_pids[902] = deadline
delitem(c.rcv_pids, 902)
eq(902 in c.rcv_pids, False, "del removed it")

# Iteration, ==, keys(), values() and items() see the table as it is, as a dict's.
c.rcv_pids[903] = deadline
eq(list(c.rcv_pids), [903], "iteration")
eq(c.rcv_pids == {903: deadline}, True, "== the same dict")
eq(c.rcv_pids == {903: time.ticks_add(deadline, 1)}, False, "== another deadline")
eq(c.rcv_pids == {903: deadline, 904: deadline}, False, "== more pids")
eq((list(c.rcv_pids.keys()), list(c.rcv_pids.values()), list(c.rcv_pids.items())),
   ([903], [deadline], [(903, deadline)]), "keys, values, items")
c.rcv_pids.clear()
eq((len(c.rcv_pids), bool(c.rcv_pids), c.rcv_pids == {}), (0, False, True), "clear")
close_quietly(c)
print("OK")
