# Scripted: a packet delivered only partly (header says 10 bytes, 3 arrive)
# makes check_msg() raise MQTTException(30) (ECONTIMEOUT, the documented
# poll-timeout code) within socket_timeout instead of hanging; EOF at the
# start of or inside a packet raises MQTTException(1) (ECONCLOSE).
import time
from mqttutil import check, eq, Recorder, mqtt_code, elapsed_ms, raises
from fakesock import scripted, finish, FakeSock, attach
from umqtt.simple2 import MQTTException

rec = Recorder()
c, fake, real = scripted("half", b"\x30\x0a\x00\x03a", rec=rec, socket_timeout=1)
t0 = time.ticks_ms()
e = raises(MQTTException, c.check_msg)
dt = elapsed_ms(t0)
print("half packet ->", e.args, "after", dt, "ms")
eq(mqtt_code(e), 30, "half packet code")
check(700 <= dt <= 3000, "raised after %d ms with socket_timeout=1" % dt)
eq(rec.msgs, [], "callback called")
finish(c, real)

# EOF before any packet
c, fake, real = scripted("eof0", b"", eof=True, rec=rec, socket_timeout=1)
e = raises(MQTTException, c.check_msg)
eq(mqtt_code(e), 1, "EOF code")
finish(c, real)

# EOF inside a packet
c, fake, real = scripted("eof1", b"\x30\x0a\x00\x03a", eof=True, rec=rec, socket_timeout=1)
e = raises(MQTTException, c.check_msg)
eq(mqtt_code(e), 1, "EOF inside a packet code")
eq(rec.msgs, [], "callback called")
finish(c, real)
print("OK")
