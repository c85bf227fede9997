# A message callback that receives again -- it publishes at QoS 1 (umqtt.simple,
# robust and umqtt.MQTTClient wait for the PUBACK by receiving) or calls
# check_msg() -- must not lose the ack of the message it is handling, at any
# depth. Checked against mosquitto with a persistent session: after a clean
# DISCONNECT and connect(clean_session=False), nothing is redelivered, and a
# QoS 2 message is delivered exactly once. Every blocking façade, and
# umqtt.MQTTClient's background thread.
# timeout: 60
# needs: simple robust robust2 client
import time
import testenv
from mqttutil import check, eq, topic, uid
import umqtt.simple2
import umqtt.simple
import umqtt.robust
import umqtt.robust2
import umqtt

pub = umqtt.MQTTClient(uid("pub"), testenv.HOST, testenv.PORT, keepalive=0)
pub.connect()


def pump(c, cond, ms=5000, thread=False):
    deadline = time.ticks_add(time.ticks_ms(), ms)
    while not cond() and time.ticks_diff(deadline, time.ticks_ms()) > 0:
        if thread:
            time.sleep_ms(5)
        else:
            c.check_msg()
    return cond()


def case(name, make, qos, nested, thread=False):
    t = topic(name)
    reply = topic(name + "-r")
    got = []

    def cb(tp, msg, *rest):
        got.append(msg)
        if msg == b"cmd" and len(got) == 1:
            nested(c, reply)

    cid = uid(name)
    c = make(cid)
    c.set_callback(cb)
    c.connect(clean_session=False)
    c.subscribe(t, qos)
    pump(c, lambda: False, 200, thread)  # the SUBACK (façades that do not wait for it)
    pub.publish(t, b"cmd", qos=qos)
    check(pump(c, lambda: got, thread=thread), "%s: message not delivered" % name)
    pump(c, lambda: False, 300, thread)  # the ack goes out after the callback
    c.disconnect()
    got.clear()
    c = make(cid)
    c.set_callback(cb)
    c.connect(clean_session=False)
    pump(c, lambda: False, 1000, thread)
    eq(got, [], "%s QoS %d: redelivered after a resumed connect, so its ack was lost" % (name, qos))
    c.connect(clean_session=True)  # drop the session
    c.disconnect()


def publish_q1(c, reply):
    c.publish(reply, b"reply", qos=1)


def check_msgs(c, reply):
    for _ in range(3):
        c.check_msg()


def deep(c, reply):
    # a receive inside a receive inside the callback: publish, whose wait
    # delivers another message, whose callback publishes again
    c.publish(reply, b"reply", qos=1)
    c.check_msg()


S = umqtt.simple2.MQTTClient
case("s2-check", lambda cid: S(cid, testenv.HOST, port=testenv.PORT), 1, check_msgs)
case("s2-pub", lambda cid: S(cid, testenv.HOST, port=testenv.PORT), 1, deep)
case("r2-check", lambda cid: umqtt.robust2.MQTTClient(cid, testenv.HOST, port=testenv.PORT), 1, check_msgs)
for mod in (umqtt.simple, umqtt.robust):
    case(mod.__name__, lambda cid: mod.MQTTClient(cid, testenv.HOST, port=testenv.PORT), 1, publish_q1)
U = umqtt.MQTTClient
for q in (1, 2):
    case("u-pub", lambda cid: U(cid, testenv.HOST, testenv.PORT, keepalive=0), q, publish_q1)
    case("u-check", lambda cid: U(cid, testenv.HOST, testenv.PORT, keepalive=0), q, check_msgs)
# The background thread runs the callbacks (where the port has threads).
try:
    import _thread  # noqa: F401

    for q in (1, 2):
        case("u-thread", lambda cid: U(cid, testenv.HOST, testenv.PORT, keepalive=30, thread=True),
             q, publish_q1, thread=True)
except ImportError:
    print("no _thread: the background-thread case is not run")
pub.disconnect()
print("OK")
