# Scripted: a PUBLISH with a zero-length topic name is a protocol error in
# MQTT 3.1.1 (a server never sends one; topic aliases do not exist in 3.1.1).
# It must never reach the callback.  check_msg() may raise MQTTException or
# drop it (printed).  Upstream simple2 calls the callback with topic b''
# (upstream bug).  A following valid PUBLISH is asserted only when
# check_msg did not raise.
from mqttutil import check, eq, Recorder, mqtt_code
from fakesock import scripted, finish, publish_pkt
from umqtt.simple2 import MQTTException

pkt = b"\x30\x04\x00\x00hi"
rec = Recorder()
c, fake, real = scripted("emptytopic", pkt + publish_pkt(b"ok/t", b"next"), rec=rec,
                         socket_timeout=1)
raised = False
try:
    r = c.check_msg()
    print("empty topic -> returned", r)
except MQTTException as e:
    raised = True
    print("empty topic -> MQTTException", e.args, "code", mqtt_code(e))
check(all(m[0] != b"" for m in rec.msgs), "callback got an empty topic: %r" % rec.msgs)
if not raised:
    c.check_msg()
    eq(rec.msgs, [(b"ok/t", b"next", False, False)], "next packet after a dropped one")
finish(c, real)
print("OK")
