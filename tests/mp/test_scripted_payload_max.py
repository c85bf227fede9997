# Scripted: a PUBLISH announcing a payload above what the client accepts
# (remaining length 268435455, the largest 4-byte value, ~256 MB) must be
# refused with MQTTException (code printed) before allocating it -- not
# MemoryError -- and must not call the callback.  The fake socket, like a
# real MicroPython stream, allocates n bytes for read(n).  Upstream simple2
# tries read(268435452): MemoryError (upstream bug).
from mqttutil import check, eq, Recorder, mqtt_code
from fakesock import scripted, finish

pkt = b"\x30\xff\xff\xff\x7f\x00\x01a" + b"x" * 64
rec = Recorder()
c, fake, real = scripted("pmax", pkt, rec=rec, socket_timeout=1)
try:
    r = c.check_msg()
    raise AssertionError("oversized PUBLISH accepted, returned %r" % (r,))
except MemoryError:
    raise AssertionError("MemoryError instead of MQTTException")
except AssertionError:
    raise
except Exception as e:
    print("oversized payload ->", repr(e), "code", mqtt_code(e))
eq(rec.msgs, [], "callback called")
finish(c, real)
print("OK")
