# Scripted: a PUBLISH whose topic length (16) runs beyond its remaining
# length (4).  It must never reach the callback with bytes from the next
# packet, must not raise anything but MQTTException (no MemoryError /
# IndexError), and must finish within socket_timeout (+slack).
import time
from mqttutil import check, eq, Recorder, mqtt_code, elapsed_ms
from fakesock import scripted, finish, publish_pkt
from umqtt.simple2 import MQTTException

nxt = publish_pkt(b"x/y", b"zz")
pkt = b"\x30\x04\x00\x10ab" + nxt + publish_pkt(b"x/y", b"padding-padding")
rec = Recorder()
c, fake, real = scripted("overrun", pkt, rec=rec, socket_timeout=1)
t0 = time.ticks_ms()
try:
    r = c.check_msg()
    print("overrun -> returned", r)
except MQTTException as e:
    print("overrun -> MQTTException", e.args, "code", mqtt_code(e))
check(elapsed_ms(t0) < 3000, "took %d ms" % elapsed_ms(t0))
for m in rec.msgs:
    check(not m[0].startswith(b"ab"), "callback got the overrun topic %r" % (m,))
finish(c, real)
print("OK")
