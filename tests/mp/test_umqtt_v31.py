# `from umqtt import MQTTClient` with version=3 (QuecPython): MQTT 3.1 on
# the wire. Offline, the exact CONNECT bytes (protocol name "MQIsdp", level
# 3; version=4 gives "MQTT", level 4). Against mosquitto: the CONNECT seen by
# an overridden _write, then QoS 1 (and 2) round trips between 3.1 clients
# and a 3.1.1 one, received through the background thread and wait_msg().
# timeout: 30
# needs: client mqtt31
import time
import testenv
from fakesock import CONNACK, FakeSock
from mqttutil import check, eq, topic, uid
from umqtt import MQTTClient


def connect_bytes(**kw):
    # CONNECT as the native client writes it, on a FakeSock holding a CONNACK.
    c = MQTTClient("v31-offline", "offline.invalid", keepalive=60, **kw)
    fake = FakeSock(CONNACK)
    c._attach(fake)
    eq(c._connect(True, c._VERSION), 0, "CONNACK accepted")
    c._attach(None)
    return fake.take_tx()


cid = b"v31-offline"
tail = b"\x00\x3c" + len(cid).to_bytes(2, "big") + cid  # keepalive 60, client id
vh = b"\x00\x06MQIsdp\x03\x02"  # protocol name, level 3, clean session
eq(connect_bytes(version=3), b"\x10" + bytes([len(vh + tail)]) + vh + tail, "MQTT 3.1 CONNECT")
vh4 = b"\x00\x04MQTT\x04\x02"
eq(connect_bytes(), b"\x10" + bytes([len(vh4 + tail)]) + vh4 + tail, "MQTT 3.1.1 CONNECT (default)")
# user and password flags, same layout otherwise
up = b"\x00\x01u\x00\x01p"
vh_up = b"\x00\x06MQIsdp\x03\xc2"
eq(connect_bytes(version=3, user="u", password="p"),
   b"\x10" + bytes([len(vh_up + tail + up)]) + vh_up + tail + up, "MQTT 3.1 CONNECT with user/password")


class Tap(MQTTClient):
    def _write(self, b, length=-1):
        b = bytes(b) if length < 0 else bytes(b)[:length]
        self.out = getattr(self, "out", b"") + b
        return super()._write(b)


t = topic("v31")
got = []
# A 3.1 subscriber whose background thread receives (keepalive > 0).
sub = MQTTClient(uid("v31sub"), testenv.HOST, testenv.PORT, keepalive=30, version=3)
sub.set_callback(lambda tp, m: got.append((tp, m)))
eq(sub.connect(), 0, "3.1 connect")
sub.subscribe(t, 1)

# A 3.1 publisher without the thread, its bytes tapped.
own = []
pub = Tap(uid("v31pub"), testenv.HOST, testenv.PORT, keepalive=10, version=3, thread=False)
pub.set_callback(lambda tp, m: own.append(m))
eq(pub.connect(), 0, "3.1 connect (tapped)")
check(pub.out.startswith(b"\x10") and pub.out[2:11] == b"\x00\x06MQIsdp\x03",
      "MQIsdp level 3 on the wire: %r" % pub.out[:12])
pub.subscribe(t, 1)
pub.out = b""
eq(pub.publish(t, b"v31-qos1", qos=1), True, "QoS 1 publish acknowledged (PUBACK)")
check(pub.out.startswith(b"\x32"), "PUBLISH QoS 1 sent: %r" % pub.out[:4])
eq(pub.publish(t, b"v31-qos2", qos=2), True, "QoS 2 publish completed (PUBCOMP)")

# A 3.1.1 client on the same topic.
p4 = MQTTClient(uid("v311"), testenv.HOST, testenv.PORT, keepalive=0)
p4.connect()
eq(p4.publish(t, b"v311-qos1", qos=1), True, "3.1.1 publish")
p4.disconnect()

want = [b"v31-qos1", b"v31-qos2", b"v311-qos1"]
deadline = time.ticks_add(time.ticks_ms(), 5000)
while len(own) < 3 and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    pub.wait_msg()  # the publisher's own subscription
eq(own, want, "3.1 client: its own QoS 1 subscription (wait_msg)")
while len(got) < 3 and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    time.sleep_ms(10)  # sub's thread needs nothing from us
time.sleep_ms(100)
eq(got, [(t, m) for m in want], "3.1 subscriber: background thread")
sub.disconnect()
pub.disconnect()
check(not sub._alive, "thread ended")
print("OK")
