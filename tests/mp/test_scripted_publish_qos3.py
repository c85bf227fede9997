# Scripted: a PUBLISH with QoS bits 3 is malformed.  It must never reach
# the message callback; check_msg() may raise MQTTException (simple2
# documents -1 for bad QoS bits) or drop it -- either is fine, the code is
# printed.  Upstream simple2 calls the callback first and raises
# MQTTException(-1) afterwards (upstream bug).
from mqttutil import check, eq, Recorder, mqtt_code
from fakesock import scripted, finish
from umqtt.simple2 import MQTTException

pkt = b"\x36\x07\x00\x01a\x00\x01hi"  # QoS 3, topic "a", pid 1, payload "hi"
rec = Recorder()
c, fake, real = scripted("qos3", pkt, rec=rec, socket_timeout=1)
try:
    r = c.check_msg()
    print("QoS3 PUBLISH -> returned", r)
except MQTTException as e:
    print("QoS3 PUBLISH -> MQTTException", e.args, "code", mqtt_code(e))
eq(rec.msgs, [], "callback called for a QoS 3 PUBLISH")
check(b"\x40\x02" not in fake.tx, "PUBACK sent for a QoS 3 PUBLISH: %r" % fake.tx)
finish(c, real)
print("OK")
