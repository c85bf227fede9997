# Scripted MQTT 5 broker traffic (no network: runs on QEMU too) through
# `umqtt.MQTTClient(version=5)`: what a real broker rarely or never does.
# - CONNACK properties: assigned client id, server keep alive, the broker's
#   limits (Receive Maximum, Maximum QoS, Topic Alias Maximum, Retain
#   Available, Maximum Packet Size), enforced before anything is sent;
# - inbound topic aliases (mosquitto 2.0 never sends them), resolved for
#   the callback; an alias used before it is set, or above our maximum, is
#   a protocol error;
# - message properties reach the callback (repeated user properties and
#   subscription identifiers in order);
# - malformed properties (unknown id, duplicate, not allowed in PUBLISH,
#   length beyond the block) are MQTTException(EMALFORMED), never a callback;
# - PUBACK / SUBACK / UNSUBACK reason codes >= 0x80 raise MQTTException(code);
# - a broker DISCONNECT with a reason: OSError(-1, its name), the reason and
#   properties in disconnect_reason; AUTH (not supported): EPROTOCOL.
# needs: simple client mqtt5
from mqttutil import check, eq, raises, uid
from fakesock import FakeSock
from umqtt import MQTTClient
from umqtt import errno as E
from _umqtt import MQTTException
from umqtt import simple

T = b"v5/t"


def vbi(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def s(text):
    text = text.encode() if isinstance(text, str) else text
    return len(text).to_bytes(2, "big") + text


def block(*parts):
    body = b"".join(parts)
    return vbi(len(body)) + body


def packet(first, body):
    return bytes([first]) + vbi(len(body)) + body


def connack(props=b""):
    return packet(0x20, b"\x00\x00" + block(props))


def publish(topic, payload, props=b"", qos=0, pid=1):
    pidb = pid.to_bytes(2, "big") if qos else b""
    return packet(0x30 | (qos << 1), s(topic) + pidb + block(props) + payload)


def client(script, connack_props=b"", props=None):
    c = MQTTClient(uid("v5s"), "offline.invalid", keepalive=60, version=5, reconn=False,
                   thread=False, socket_timeout=1, message_timeout=1)
    got = []
    c.set_callback(lambda t, m, p: got.append((t, m, p)))
    fake = FakeSock(connack(connack_props) + script)
    c._attach(fake)
    c._connect(True, 5, props)
    fake.connect_tx = fake.take_tx()
    return c, fake, got


def code(e):
    check(isinstance(e, MQTTException), "not an MQTTException: %r" % (e,))
    return e.args[0]


# CONNACK properties: the client id and keepalive the broker assigns, and
# its limits, enforced before anything is sent.
limits = (b"\x21\x00\x02" + b"\x22\x00\x01" + b"\x24\x01" + b"\x25\x00" + b"\x27\x00\x00\x00\x40"
          + b"\x12" + s("given-id") + b"\x13\x00\x07")
c, fake, got = client(b"", limits)
eq(c.connack_properties, {0x21: 2, 0x22: 1, 0x24: 1, 0x25: 0, 0x27: 64, 0x12: "given-id", 0x13: 7},
   "CONNACK properties")
eq(c.client_id, "given-id", "assigned client identifier")
eq(c.keepalive, 7, "server keep alive")
connect = fake.connect_tx
eq(connect[:1], b"\x10", "CONNECT sent")
check(b"MQTT\x05" in connect, "protocol level 5")
check(b"\x27\x00\x00\x40\x00" in connect, "our Maximum Packet Size (the receive buffer) announced")
e = raises(ValueError, c.publish, T, b"x", qos=2)
check("Maximum QoS" in str(e), "QoS 2 refused: %s" % e)
e = raises(ValueError, c.publish, T, b"x", True)
check("retain" in str(e), "retain refused: %s" % e)
e = raises(ValueError, c.publish, T, b"x" * 100)
check("Maximum Packet Size" in str(e), "large packet refused: %s" % e)
for call in (c.subscribe, c.unsubscribe):  # the refusal names the limit for both
    e = raises(ValueError, call, b"v5/" + b"f" * 80)
    check("Maximum Packet Size" in str(e), "large %s refused: %s" % (call, e))
e = raises(ValueError, c.publish, T, b"x", properties={0x23: 2})
check("Topic Alias" in str(e), "alias above the maximum refused: %s" % e)


def raw_publish(c, *args):
    # The native publish: no wait for the ack (umqtt.simple's waits).
    return super(simple.MQTTClient, c).publish(*args)


eq(raw_publish(c, T, b"1", False, 1) > 0, True, "first QoS 1 publish (no wait)")
eq(raw_publish(c, T, b"2", False, 1) > 0, True, "second QoS 1 publish")
e = raises(ValueError, raw_publish, c, T, b"3", False, 1)
check("Receive Maximum" in str(e), "third in flight refused: %s" % e)
eq(raw_publish(c, T, b"0", False, 0), None, "QoS 0 is not flow-controlled")
eq(fake.take_tx().count(b"v5/t"), 3, "only the allowed publishes went out")
e = raises(ValueError, c.publish, T, b"x", properties={0x11: 5})
check("property" in str(e), "a CONNECT property in PUBLISH refused: %s" % e)
e = raises(ValueError, c.publish, T, b"x", properties={0x0B: 1})
check("propert" in str(e), "a Subscription Identifier in our PUBLISH refused: %s" % e)

# Inbound topic aliases (we announce 2): set, then used by alias alone.
script = (publish(T, b"a", b"\x23\x00\x01") + publish(b"", b"b", b"\x23\x00\x01")
          + publish(b"v5/u", b"c", b"\x23\x00\x02") + publish(b"", b"d", b"\x23\x00\x01")
          + publish(b"", b"e", b"\x23\x00\x02"))
c, fake, got = client(script, props={0x22: 2})
for _ in range(5):
    c.check_msg()
eq([(t, m) for t, m, _ in got], [(T, b"a"), (T, b"b"), (b"v5/u", b"c"), (T, b"d"), (b"v5/u", b"e")],
   "aliases resolved")
for bad, err, why in ((publish(b"", b"x", b"\x23\x00\x02"), E.EPROTOCOL, "alias used before it is set"),
                      (publish(T, b"x", b"\x23\x00\x03"), E.EPROTOCOL, "alias above our maximum"),
                      (publish(b"", b"x"), E.EMALFORMED, "empty topic without alias")):
    c, fake, got = client(bad, props={0x22: 2})
    eq(code(raises(MQTTException, c.check_msg)), err, why)
    eq(got, [], why + ": no callback")
c, fake, got = client(publish(T, b"x", b"\x23\x00\x01"))
eq(code(raises(MQTTException, c.check_msg)), E.EPROTOCOL, "an alias when we announced none")

# Message properties reach the callback; repeated ones in order.
mprops = (b"\x26" + s("k") + s("1") + b"\x26" + s("k") + s("2") + b"\x0b\x01" + b"\x0b\x82\x01"
          + b"\x03" + s("text/plain") + b"\x09" + s(b"\x00\xff") + b"\x02\x00\x00\x00\x3c")
c, fake, got = client(publish(T, b"p", mprops, qos=1, pid=9))
c.check_msg()
eq(got, [(T, b"p", {0x26: [("k", "1"), ("k", "2")], 0x0B: [1, 130], 0x03: "text/plain",
                    0x09: b"\x00\xff", 0x02: 60})], "message properties")
eq(fake.take_tx(), b"\x40\x02\x00\x09", "PUBACK (short form)")

# Malformed properties: never a callback, always EMALFORMED.
for props, why in ((b"\x7f\x00", "unknown property id"),
                   (b"\x03" + s("a") + b"\x03" + s("b"), "duplicate content type"),
                   (b"\x11\x00\x00\x00\x01", "Session Expiry Interval in PUBLISH"),
                   (b"\x03\x00\x09ab", "string beyond the block"),
                   (b"\x01\x02", "payload format indicator 2"),
                   (b"\x03" + s(b"\xff"), "invalid UTF-8"),
                   (b"\x0b\x00", "subscription identifier 0")):
    c, fake, got = client(publish(T, b"x", props))
    eq(code(raises(MQTTException, c.check_msg)), E.EMALFORMED, why)
    eq(got, [], why + ": no callback")
# A property length that runs past the packet.
bad = packet(0x30, s(T) + b"\x05\x01\x00")
c, fake, got = client(bad)
eq(code(raises(MQTTException, c.check_msg)), E.EMALFORMED, "property length beyond the packet")

# Reason codes: a refused publish, subscribe and unsubscribe.
c, fake, got = client(packet(0x40, b"\x00\x01\x87\x00"))
fake.rx, script = bytearray(), fake.rx
pid = raw_publish(c, T, b"x", False, 1)
eq(pid, 1, "pid")
fake.feed(script)
eq(code(raises(MQTTException, c.check_msg)), 0x87, "PUBACK 0x87 (Not authorized)")
eq(len(c._pending()), 0, "the refused pid is free")
c, fake, got = client(packet(0x90, b"\x00\x01\x00\x87"))
eq(code(raises(MQTTException, c.subscribe, T, 1)), 0x87, "SUBACK 0x87")
c, fake, got = client(packet(0xB0, b"\x00\x01\x00\x11"))
c.unsubscribe(T)  # 0x11 No subscription existed: not an error
c, fake, got = client(packet(0xB0, b"\x00\x01\x00\x87"))
eq(code(raises(MQTTException, c.unsubscribe, T)), 0x87, "UNSUBACK 0x87")

# The broker's DISCONNECT says why; AUTH is not supported.
c, fake, got = client(packet(0xE0, b"\x8e" + block(b"\x1f" + s("bye"))))
e = raises(OSError, c.check_msg)
eq(e.args, (-1, "Session taken over"), "DISCONNECT 0x8E")
eq(c.disconnect_reason, (0x8E, {0x1F: "bye"}), "disconnect_reason")
c, fake, got = client(packet(0xF0, b"\x18\x00"))
eq(code(raises(MQTTException, c.check_msg)), E.EPROTOCOL, "AUTH")

# Shared subscriptions must be well formed; No Local on one is refused.
c, fake, got = client(b"")
for bad in (b"$share//a", b"$share/g+/a", b"$share/g"):
    raises(ValueError, c.subscribe, bad)
raises(ValueError, c.subscribe, b"$share/g/a", no_local=True)
eq(fake.take_tx(), b"", "nothing sent")

# CONNECT properties are checked before anything is sent.
c = MQTTClient(uid("v5s"), "offline.invalid", version=5, thread=False, reconn=False)
c._attach(FakeSock(connack()))
raises(ValueError, c._connect, True, 5, {0x23: 1})  # Topic Alias is not a CONNECT property
raises(ValueError, c._connect, True, 5, {0x11: -1})
raises(ValueError, c._connect, True, 5, {0x26: [("a",)]})
raises(TypeError, c._connect, True, 5, [(0x11, 1)])
print("OK")
