# simple2's attributes kept in the native client (cmodule/umqtt_simple2.c):
# read and replaced exactly as simple2's instance attributes -- an
# instance's own value wins, a subclass's class attribute, method or
# property wins over the client's value -- and what the client updates
# itself (last_ping, last_cpacket, sock_raw) is seen by the program. The
# instance dict stays empty until the program assigns something.
import time

import testenv
from mqttutil import check, eq, raises, uid, topic, wait_until, Recorder, close_quietly, connected, mqtt_code
from umqtt.simple2 import MQTTClient

# Nothing per client in the instance dict: the settings live in the native client.
c = connected("settings")
eq(c.__dict__, {}, "instance dict after create + connect")
check(c.sock_raw is not None, "sock_raw after connect")
eq((c.client_id[:0], c.server, c.port), (c.client_id[:0], testenv.HOST, testenv.PORT), "settings")

# What the client updates itself: last_ping on ping(), last_cpacket on a packet.
c.last_cpacket = 0  # the instance's own value: the client then updates that one
before = c.last_ping
time.sleep_ms(5)
c.ping()
check(c.last_ping != before, "last_ping not updated by ping()")
check(wait_until(c, lambda: c.last_cpacket != 0, 3), "last_cpacket (the instance's own) not updated")
eq(sorted(c.__dict__.keys()), ["last_cpacket"], "only what the program assigned is in the instance")

# An instance value wins over the client's (read by the native code too).
c.keepalive = 70000
raises(AssertionError, c.connect)  # simple2's assert keepalive < 65536, from the instance's value
check(c.sock is None and c.sock_raw is None, "a failed connect leaves no socket")
del c.keepalive
eq(c.keepalive, 0, "the client's value again after del")
c.connect()
c.socket_timeout = float("nan")
raises(ValueError, c.publish, topic("s"), b"x")
c.socket_timeout = 5
c.disconnect()
check(c.sock is None and c.sock_raw is None, "disconnect clears sock and sock_raw")


# A subclass's class attributes, methods and properties win over the client's values.
class Sub(MQTTClient):
    keepalive = 70000  # umqtt-rs: wins over the constructor's value (simple2's __init__ would
    # have stored 0 on the instance; docs/compat.md)
    got = None

    def cb(self, t, m, r, d):  # a method as the message callback
        Sub.got = (t, m)

    @property
    def message_timeout(self):
        return 7


s = Sub(uid("sub"), testenv.HOST, port=testenv.PORT)
eq(s.message_timeout, 7, "a property of the subclass")
eq(s.keepalive, 70000, "a class attribute of the subclass")
s.keepalive = 0  # (as a program would after finding it)
s.connect()
t = topic("sub")
s.subscribe(t)
s.publish(t, b"to the method")
check(wait_until(s, lambda: Sub.got is not None, 3), "the subclass's cb method got no message")
eq(Sub.got, (t, b"to the method"), "message to the subclass's cb method")
# set_callback on such a subclass stores on the instance (as simple2's self.cb = f)
got = []
s.set_callback(lambda t, m, r, d: got.append(m))
check("cb" in s.__dict__, "set_callback over a class-level cb stores on the instance")
s.publish(t, b"to the instance's")
check(wait_until(s, lambda: got, 3), "the instance's cb got no message")
eq(got, [b"to the instance's"], "message to the instance's cb")
close_quietly(s)

# Status callbacks: a method cbstat (robust2's way) receives the acks.
class Stat(MQTTClient):
    stats = []

    def cbstat(self, pid, status):
        Stat.stats.append((pid, status))


st = Stat(uid("stat"), testenv.HOST, port=testenv.PORT)
st.connect()
pid = st.publish(topic("q1"), b"x", qos=1)
check(wait_until(st, lambda: (pid, 1) in Stat.stats, 3), "cbstat method: %r" % Stat.stats)
close_quietly(st)

# Arguments.
raises(TypeError, MQTTClient, "only-an-id")
raises(TypeError, MQTTClient(uid("p"), testenv.HOST, port=testenv.PORT, ssl=True, ssl_params=[1]).connect)  # not a dict
try:
    MQTTClient(uid("r"), testenv.HOST, port=1, socket_timeout=2).connect()  # nothing listens on 1
    check(False, "connect to a closed port")
except OSError:
    pass
print("OK")
