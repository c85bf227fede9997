# connect(): return value is the session-present bit as an int; connecting
# twice works (the old socket is disconnected first); clean_session=False
# gives session-present 1 on the next connect and keeps subscriptions and
# queued QoS1 messages.
import testenv
from mqttutil import (check, eq, client, connected, topic, uid, Recorder,
                      wait_until, subscribe_sync, close_quietly)
from umqtt.simple2 import MQTTClient

c = client("conn")
r = c.connect()
check(type(r) is int, "connect() must return an int, got %r" % (r,))
eq(r, 0, "session present on a clean connect")
check(c.sock is not None, "sock after connect")
c.publish(topic("x"), b"1")

# connect twice on the same object: still works, returns 0 again
r = c.connect()
eq(r, 0, "second connect")
rec = Recorder().install(c)
t = topic("twice")
subscribe_sync(c, rec, t)
c.publish(t, b"again")
check(wait_until(c, lambda: rec.msgs), "no message after reconnect")
eq(rec.msgs[0][:2], (t, b"again"), "message after reconnect")
c.disconnect()
eq(c.sock, None, "sock after disconnect")

# persistent session
cid = uid("persist")
t = topic("persist")
rec = Recorder()
p = MQTTClient(cid, testenv.HOST, port=testenv.PORT)
rec.install(p)
r = p.connect(clean_session=False)
check(type(r) is int, "connect(False) must return an int")
eq(r, 0, "first persistent connect (no session yet)")
subscribe_sync(p, rec, t, qos=1)
p.disconnect()

# while p is offline, a QoS1 message is queued by the broker for it
pub = connected("pub")
prec = Recorder().install(pub)
pid = pub.publish(t, b"queued", qos=1)
check(wait_until(pub, lambda: (pid, 1) in prec.stats), "publisher got no PUBACK")
pub.disconnect()

r = p.connect(clean_session=False)
eq(r, 1, "session present on reconnect with clean_session=False")
check(wait_until(p, lambda: rec.msgs), "queued message not delivered")
eq(rec.msgs[0][:2], (t, b"queued"), "queued message")

# a clean connect drops the session; session present is 0
r = p.connect(clean_session=True)
eq(r, 0, "clean connect after persistent session")
p.disconnect()
r = p.connect(clean_session=False)
eq(r, 0, "persistent connect after the session was cleaned")
p.connect(clean_session=True)
close_quietly(p)

# unreachable port -> connect raises (OSError or MQTTException), not hang
free = MQTTClient(uid("refused"), testenv.HOST, port=1, socket_timeout=2)
try:
    free.connect()
    raise AssertionError("connect to a closed port did not fail")
except AssertionError:
    raise
except Exception as e:
    print("refused:", repr(e))
print("OK")
