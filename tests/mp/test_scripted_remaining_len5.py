# Scripted: a remaining length encoded in 5 bytes (80 80 80 80 01) is
# malformed (MQTT allows at most 4).  check_msg() must raise MQTTException
# (code printed) -- not MemoryError, and must not call the callback.
# Upstream simple2 decodes it without a limit (2**28) and then tries to
# read a 256 MB payload: MemoryError (upstream bug).
from mqttutil import check, eq, Recorder, mqtt_code
from fakesock import scripted, finish

pkt = b"\x30\x80\x80\x80\x80\x01\x00\x01a" + b"payload"
rec = Recorder()
c, fake, real = scripted("len5", pkt, rec=rec, socket_timeout=1)
try:
    r = c.check_msg()
    raise AssertionError("5-byte remaining length accepted, returned %r" % (r,))
except MemoryError:
    raise AssertionError("MemoryError instead of MQTTException")
except AssertionError:
    raise
except Exception as e:
    print("5-byte remaining length ->", repr(e), "code", mqtt_code(e))
eq(rec.msgs, [], "callback called")
finish(c, real)
print("OK")
