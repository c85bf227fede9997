# Scripted: the MQTTException codes umqtt-rs documents for broker traffic it
# refuses (umqtt.errno), and the state after one: the stream is out of step,
# so every call raises ECONCLOSE (1) until connect() opens a new connection.
from mqttutil import eq, Recorder, mqtt_code, raises, skip, drain
from fakesock import scripted, finish, publish_pkt
from umqtt.simple2 import MQTTException

try:
    import _umqtt  # noqa: F401
    from umqtt import errno as E
except ImportError:
    skip("umqtt-rs error codes: pure-Python simple2 has none of them")

cases = [
    ("5-byte remaining length", b"\x30\x80\x80\x80\x80\x01", E.EMALFORMED),
    ("PINGRESP with a body", b"\xd0\x01\x00", E.EMALFORMED),
    ("empty topic", publish_pkt(b"", b"x"), E.EMALFORMED),
    ("topic longer than the packet", b"\x30\x04\x00\x09ab", E.EMALFORMED),
    ("QoS 3 PUBLISH", b"\x36\x05\x00\x01a\x00\x01", E.EUNKNOWN),
    ("packet above max_packet_size", b"\x30\xff\xff\xff\x7f", E.EPACKETSIZE),
    ("PINGREQ from the broker", b"\xc0\x00", E.EPROTOCOL),
    ("CONNACK after connect", b"\x20\x02\x00\x00", E.EPROTOCOL),
]
for what, data, code in cases:
    rec = Recorder()
    c, fake, real = scripted("err", data, rec=rec, socket_timeout=1)
    e = raises(MQTTException, c.check_msg)
    eq(mqtt_code(e), code, what)
    eq(rec.msgs, [], what + ": callback called")
    fake.feed(publish_pkt(b"later", b"x"))
    eq(mqtt_code(raises(MQTTException, c.check_msg)), E.ECONCLOSE, what + ": then check_msg")
    eq(mqtt_code(raises(MQTTException, c.publish, b"t", b"x")), E.ECONCLOSE, what + ": then publish")
    finish(c, real)

# A PUBACK for a pid that awaits a SUBACK is an ack of the wrong kind.
rec = Recorder()
c, fake, real = scripted("wrongack", rec=rec, socket_timeout=1)
pid = c.subscribe(b"w/1")
fake.take_tx()
fake.feed(b"\x40\x02" + pid.to_bytes(2, "big"))
eq(mqtt_code(raises(MQTTException, c.check_msg)), E.EPROTOCOL, "PUBACK for a SUBSCRIBE")

# connect() recovers: a new socket, a new session with the real broker.
eq(c.connect(), 0, "connect after a protocol error")
c.ping()
drain(c, 0.3)  # the PINGRESP is read here; any error would raise
eq(c.check_msg(), None, "idle after reconnect")
c.disconnect()
finish(c, real)
print("OK")
