# A connect() that fails after the TCP connect -- refused password, no
# CONNACK in time, an argument MQTT forbids -- closes its socket before
# raising (robust's reconnect loop used to leak one per attempt). Arguments
# get ValueError saying what is wrong: lw_qos outside 0..2 (256 used to
# become a QoS 0 will), U+0000 in the client id or user name (MQTT forbids
# it), a negative subscribe QoS (AssertionError, as simple2), a DISCONNECT
# reason code above 255 on MQTT 5. A status callback that puts an expired
# pid back into rcv_pids gets one report per check_msg(), not an endless loop.
# timeout: 30
# needs: simple client mqtt5
import socket
import time
import testenv
from mqttutil import check, eq, raises, uid, topic
from umqtt.simple2 import MQTTClient, MQTTException
import umqtt.simple
import umqtt


def tracked(cls):
    class Tracked(cls):
        def _attach(self, s):
            if s is not None:
                self.seen.append(s)
            return super()._attach(s)
    return Tracked


def closed(s):
    try:
        s.write(b"\xe0\x00")
    except OSError:
        return True
    return False


def failing_connect(cls, exc, port=testenv.PORT, setup=None, **kw):
    c = tracked(cls)(uid("cf"), testenv.HOST, port=port, **kw)
    c.seen = []
    if setup:
        setup(c)
    e = raises(exc, c.connect)
    eq(len(c.seen), 1, "one socket opened")
    check(closed(c.seen[0]), "%s: socket left open after %r" % (cls.__module__, e))
    eq(c._sock(), None, "detached")
    return e


for cls in (MQTTClient, umqtt.simple.MQTTClient, umqtt.MQTTClient):
    # refused password
    e = failing_connect(cls, MQTTException, testenv.PORT_AUTH, user="testuser", password="wrong")
    # arguments MQTT forbids, found after the TCP connect
    e = failing_connect(cls, ValueError, setup=lambda c: setattr(c, "client_id", "a\x00b"))
    check("U+0000" in str(e), "says what: %r" % e)
    e = failing_connect(cls, ValueError, user="u\x00", password="p")
    check("U+0000" in str(e), "says what: %r" % e)
    for q in (3, -1, 255, 256):
        e = failing_connect(cls, ValueError, setup=lambda c: c.set_last_will(b"w", b"m", qos=0) or setattr(c, "lw_qos", q))
        check("lw_qos" in str(e), "lw_qos %d: %r" % (q, e))

# A CONNACK that never comes: a private listener on loopback that accepts
# and says nothing (simple2: socket_timeout bounds the wait).
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
for silent_port in range(41000 + time.ticks_ms() % 5000, 47000):
    try:
        srv.bind(socket.getaddrinfo("127.0.0.1", silent_port)[0][-1])
        break
    except OSError:
        pass
srv.listen(1)
failing_connect(MQTTClient, MQTTException, silent_port, socket_timeout=0.3)
failing_connect(umqtt.simple.MQTTClient, OSError, silent_port, socket_timeout=0.3)
srv.close()

# Wrong errors, now saying what is wrong.
c = MQTTClient(uid("cf"), testenv.HOST, port=testenv.PORT)
c.set_callback(lambda *a: None)
c.connect()
raises(AssertionError, c.subscribe, topic("cf"), -1)
e = raises(ValueError, c.subscribe, topic("cf"), 4)
check("MQTT 5" in str(e), "options on 3.1.1: %r" % e)

# cbstat re-arming an expired pid: one report per check_msg().
calls = []


def rearm(pid, status):
    calls.append((pid, status))
    if status == 0:
        c.rcv_pids[pid] = time.ticks_add(time.ticks_ms(), -1)


c.set_callback_status(rearm)
c.rcv_pids[777] = time.ticks_add(time.ticks_ms(), -1)
c.check_msg()
check(1 <= len(calls) <= 2, "reports in one check_msg(): %d" % len(calls))
c.rcv_pids.pop(777, None)
c.disconnect()

v5 = umqtt.MQTTClient(uid("cf5"), testenv.HOST, testenv.PORT, keepalive=0, version=5)
v5.connect()
e = raises(ValueError, v5._send_disconnect, 256)
check("0..255" in str(e), "reason 256: %r" % e)
v5.disconnect()
print("OK")
