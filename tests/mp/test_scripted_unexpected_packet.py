# Scripted: a packet the client does not handle (UNSUBACK B0 02 00 05)
# makes check_msg() return its first byte, 0xB0, as simple2 documents, AND
# its body must be consumed so that the following PUBLISH parses fine.
# Upstream simple2 leaves the body unread: the next check_msg() reads the
# length byte 0x02 as a packet type (upstream bug).
from mqttutil import eq, raises, mqtt_code, has_qos2, EPROTOCOL, MQTTException, Recorder
from fakesock import scripted, finish, publish_pkt

rec = Recorder()
data = b"\xb0\x02\x00\x05" + publish_pkt(b"after/unsuback", b"fine")
c, fake, real = scripted("unexp", data, rec=rec, socket_timeout=1)
eq(c.check_msg(), 0xB0, "check_msg return for UNSUBACK")
r = c.check_msg()
eq(r, None, "check_msg return for the following PUBLISH")
eq(rec.msgs, [(b"after/unsuback", b"fine", False, False)], "PUBLISH after UNSUBACK")
eq(bytes(fake.rx), b"", "all input consumed")
# PUBREC (0x50, QoS2 flow) with a body: also returned and consumed. A
# firmware without the QoS 2 flows (the minimal profile) never publishes at
# QoS 2: a PUBREC is a packet the broker must not send.
fake.feed(b"\x50\x02\x00\x07" + publish_pkt(b"after/pubrec", b"fine2"))
if has_qos2():
    eq(c.check_msg(), 0x50, "check_msg return for PUBREC")
    c.check_msg()
    eq(rec.msgs[-1], (b"after/pubrec", b"fine2", False, False), "PUBLISH after PUBREC")
else:
    e = raises(MQTTException, c.check_msg)
    eq(mqtt_code(e), EPROTOCOL, "PUBREC without the QoS 2 flows")
finish(c, real)
print("OK")
