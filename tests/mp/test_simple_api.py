# umqtt.simple (micropython-lib 1.8.0 API) against mosquitto: connect()
# returns the session-present int; 2-argument callback; blocking subscribe,
# QoS1 publish (returns None once PUBACKed) and unsubscribe; check_msg()/
# wait_msg() return values; pid wraps 65535 -> 1; user without password;
# connect(timeout=); refused CONNACK -> MQTTException(rc); EOF -> OSError.
# needs: simple
import time
import testenv
from mqttutil import check, eq, raises, topic, uid
from umqtt.simple import MQTTClient, MQTTException


def new(tag, **kw):
    return MQTTClient(uid(tag), testenv.HOST, port=testenv.PORT, **kw)


msgs = []
c = new("s")
c.set_callback(lambda t, m: msgs.append((t, m)))
r = c.connect()
check(type(r) is int, "connect() returns an int")
eq(r, 0, "session present")
eq(c.port, testenv.PORT, "port")
eq(new("x").port, testenv.PORT, "explicit port kept")
eq(MQTTClient("d", "h").port, 1883, "port 0 -> 1883")
eq(MQTTClient("d", "h", ssl=True).port, 8883, "port 0 with ssl -> 8883")

t = topic("simple")
eq(c.subscribe(t), None, "subscribe returns None once the SUBACK is in")
eq(len(c._pending()), 0, "nothing in flight after a blocking subscribe")
eq(c.publish(t, b"q0"), None, "QoS0 publish")
eq(c.publish(t, b"q1", qos=1), None, "QoS1 publish returns None")
eq(len(c._pending()), 0, "QoS1 publish returned after its PUBACK")
eq(c.pid, 2, "pid counts SUBSCRIBE and QoS1 PUBLISH")

# Messages that arrive while publish() waits for its PUBACK go to the
# callback, as in micropython-lib.
deadline = time.ticks_add(time.ticks_ms(), 5000)
while len(msgs) < 2 and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    c.check_msg()
eq(msgs, [(t, b"q0"), (t, b"q1")], "2-argument callback, in order")

# check_msg returns the PUBLISH's first byte; None when idle
pub = new("pub")
pub.connect()
pub.publish(t, b"a")
pub.publish(t, b"b", qos=1)
ops = []
deadline = time.ticks_add(time.ticks_ms(), 5000)
while len(msgs) < 4 and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    op = c.check_msg()
    if op is not None:
        ops.append(op)
eq(msgs[2:], [(t, b"a"), (t, b"b")], "messages from another client")
eq(ops, [0x30, 0x30], "check_msg returns the PUBLISH op (subscribed at QoS0)")
eq(c.check_msg(), None, "idle check_msg")
pub.disconnect()

# retained message: op has the retain bit; QoS1 subscription: qos bits
t2 = topic("ret")
c.publish(t2, b"kept", retain=True, qos=1)
c.subscribe(t2, qos=1)
op = c.wait_msg()
eq(op, 0x33, "wait_msg returns the op of a retained QoS1 PUBLISH")
eq(msgs[-1], (t2, b"kept"), "retained message")
c.publish(t2, b"", retain=True)  # clear it
c.wait_msg()

# ping then check_msg -> None (PINGRESP consumed)
c.ping()
time.sleep_ms(100)
eq(c.check_msg(), None, "PINGRESP")

# unsubscribe blocks for UNSUBACK; no more messages afterwards
eq(c.unsubscribe(t), None, "unsubscribe")
n = len(msgs)
c.publish(t, b"after", qos=1)
time.sleep_ms(200)
while c.check_msg() is not None:
    pass
eq(len(msgs), n, "no message after unsubscribe")

# pid wraps 65535 -> 1, never 0
c.pid = 65534
c.publish(t, b"w1", qos=1)
eq(c.pid, 65535, "pid 65535")
c.publish(t, b"w2", qos=1)
eq(c.pid, 1, "pid wraps to 1")

# qos 2 is refused before anything is sent
raises(AssertionError, c.publish, t, b"x", False, 2)
# subscribe without a callback asserts
c2 = new("nocb")
c2.connect()
raises(AssertionError, c2.subscribe, t)
c2.disconnect()
eq(c2.sock, None, "sock None after disconnect")
c2.disconnect()  # twice is harmless
e = raises(OSError, c2.publish, t, b"x")  # not connected: OSError (robust reconnects)
print("not connected:", e)

# persistent session: connect(False) again gives 1
cid = uid("persist")
p = MQTTClient(cid, testenv.HOST, port=testenv.PORT)
eq(p.connect(clean_session=False), 0, "first persistent connect")
eq(p.connect(clean_session=False, timeout=5), 1, "session present (connect twice closes the old socket)")
p.connect(clean_session=True)
p.disconnect()

# user without a password works (anonymous listener accepts any user)
u = MQTTClient(uid("user"), testenv.HOST, port=testenv.PORT, user="someone")
eq(u.connect(), 0, "user without password")
u.disconnect()

# refused CONNACK: MQTTException(rc)
bad = MQTTClient(uid("auth"), testenv.HOST, port=testenv.PORT_AUTH, user=testenv.USER, password="wrong")
e = raises(MQTTException, bad.connect)
check(e.args[0] in (4, 5), "CONNACK rc: %r" % (e.args,))
good = MQTTClient(uid("auth"), testenv.HOST, port=testenv.PORT_AUTH, user=testenv.USER,
                  password=testenv.PASSWORD)
eq(good.connect(), 0, "user+password")
good.disconnect()

# connection refused: OSError from connect
e = raises(OSError, MQTTClient(uid("refused"), testenv.HOST, port=1).connect, True, 2)
print("refused:", e)

# EOF: the broker closes on a second CONNECT on the same connection -> OSError
c.sock.write(b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x00\x00\x00")
e = raises(OSError, c.wait_msg)
eq(e.args[0], -1, "EOF is OSError(-1)")
c.disconnect()
print("OK")
