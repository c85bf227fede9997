# Fields no fixed transmit buffer holds, against mosquitto: a 60 KB client id,
# a 2 KB will topic with a 2 KB will message (a CONNECT of ~64 KB), and a
# 2 KB topic subscribed to, published to and received. umqtt-rs 0.x sent
# none of them (ValueError: packet too large for the transmit buffer).
import testenv
from umqtt.simple2 import MQTTClient
from mqttutil import (check, eq, uid, connected, topic, Recorder, wait_until,
                      subscribe_sync, drain)

rec = Recorder()
watcher = connected("watch", rec)
base = topic("big")
will_t = base + b"/will/" + b"w" * 2048
will_m = bytes(i & 0xFF for i in range(2048))
long_t = base + b"/t/" + b"t" * 2048
subscribe_sync(watcher, rec, base + b"/#")

cid = uid("long") + "-" + "c" * (60 * 1024)
a = MQTTClient(cid, testenv.HOST, port=testenv.PORT)
a.set_last_will(will_t, will_m, qos=1)
eq(a.connect(), 0, "CONNECT with a 60 KB client id and a 2 KB will")
a.publish(long_t, b"long topic", qos=1)
check(wait_until([watcher, a], lambda: rec.msgs), "message on the 2 KB topic not received")
eq(rec.msgs[0][:2], (long_t, b"long topic"), "message on the 2 KB topic")

# The 2 KB topic as a subscription of the client with the long id.
arec = Recorder().install(a)
subscribe_sync(a, arec, long_t)
watcher.publish(long_t, b"back")
check(wait_until(a, lambda: arec.msgs), "message to the long-id client not received")
eq(arec.msgs[0][:2], (long_t, b"back"), "received on the 2 KB subscription")

# The will, when the socket closes without DISCONNECT.
rec.msgs.clear()
a.sock.close()
check(wait_until(watcher, lambda: any(m[0] == will_t for m in rec.msgs), 5), "2 KB last will not delivered")
check([m[1] for m in rec.msgs if m[0] == will_t] == [will_m], "2 KB will message")
watcher.disconnect()
print("OK")
