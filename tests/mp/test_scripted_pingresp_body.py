# Scripted: a PINGRESP must have remaining length 0.  D0 02 00 00 is
# malformed and check_msg() must raise MQTTException (code not fixed yet;
# printed).  Upstream simple2 builds MQTTException(-1) but forgets to
# raise it and returns None (upstream bug).
from mqttutil import check, Recorder, mqtt_code
from fakesock import scripted, finish
from umqtt.simple2 import MQTTException

rec = Recorder()
c, fake, real = scripted("pingbody", b"\xd0\x02\x00\x00", rec=rec, socket_timeout=1)
try:
    r = c.check_msg()
    raise AssertionError("PINGRESP with a body accepted, check_msg returned %r" % (r,))
except MQTTException as e:
    print("PINGRESP with body -> MQTTException", e.args, "code", mqtt_code(e))
finish(c, real)
print("OK")
