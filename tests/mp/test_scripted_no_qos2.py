# A firmware without the engine's QoS 2 flows (UMQTT_QOS2=0: the minimal
# profile, or any facade list without umqtt.MQTTClient and mqtt_as). Its
# clients never publish or subscribe at QoS 2 (simple2 asserts qos in
# (0, 1)), so a broker never sends it a QoS 2 PUBLISH (MQTT 3.1.1 §3.8.4),
# nor PUBREC/PUBREL/PUBCOMP. One that does breaks the protocol:
#  - check_msg() raises MQTTException(EPROTOCOL): no callback, no ack
#    written, and every call raises MQTTException(1) until connect();
#  - the native client refuses max_qos=2 (ValueError; a TypeError where it
#    has no max_qos keyword at all: no micropython-lib façade either);
#  - a last will keeps its QoS 2 (two bits of CONNECT).
# (With the QoS 2 flows: test_scripted_qos2_inbound.)
import _umqtt
from mqttutil import (eq, raises, mqtt_code, has_qos2, skip, client, EPROTOCOL, MQTTException,
                      NETWORK, Recorder)
from fakesock import FakeSock, CONNACK, over_fake_socket, scripted, finish, publish_pkt

if has_qos2():
    skip("the QoS 2 flows are built into this firmware")

raises(ValueError if hasattr(_umqtt, "Client") else TypeError, _umqtt.Simple2, None, "c", "h", max_qos=2)

for name, packet in (
    ("QoS 2 PUBLISH", publish_pkt(b"q2/a", b"x", qos=2, pid=0x0102)),
    ("PUBREC", b"\x50\x02\x01\x02"),
    ("PUBREL", b"\x62\x02\x01\x02"),
    ("PUBCOMP", b"\x70\x02\x01\x02"),
):
    rec = Recorder()
    c, fake, real = scripted("noq2", rec=rec, socket_timeout=1)
    fake.feed(packet)
    eq(mqtt_code(raises(MQTTException, c.check_msg)), EPROTOCOL, name)
    eq(rec.msgs, [], name + ": not delivered")
    eq(fake.take_tx(), b"", name + ": nothing written")
    eq(mqtt_code(raises(MQTTException, c.check_msg)), 1, name + ": closed until connect()")
    finish(c, real)

# The will's QoS 2 in CONNECT: will flag, will QoS 2, clean session.
from umqtt.simple2 import MQTTClient

c = MQTTClient("willq2", "offline.invalid")
c.set_last_will(b"w/q2", b"bye", qos=2)
fake = FakeSock(CONNACK)
eq(over_fake_socket(fake, c.connect), 0, "session present")
eq(fake.take_tx()[9], 0x16, "CONNECT flags")
if NETWORK:  # and the broker takes it
    c = client("willq2")
    c.set_last_will(b"w/q2", b"bye", qos=2)
    eq(c.connect(), 0, "connect with a will at QoS 2")
    c.disconnect()
print("OK")
