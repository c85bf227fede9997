# timeout: 30
# Scripted: wait_msg() blocks (no timeout) only while waiting for the
# *first* byte of a packet.  Once a packet has started, a stall must raise
# MQTTException(30) within socket_timeout instead of hanging forever, and
# socket_timeout must be unchanged afterwards.  Upstream simple2's wait_msg
# sets socket_timeout=None for the whole packet, so it hangs (the fake
# socket's watchdog turns the hang into a Hang error here), and leaves
# socket_timeout=None behind on an exception (upstream bugs).
import time
from mqttutil import check, eq, Recorder, mqtt_code, elapsed_ms
from fakesock import scripted, finish, Hang
from umqtt.simple2 import MQTTException

rec = Recorder()
c, fake, real = scripted("halfw", b"\x30\x0a\x00\x03a", rec=rec, socket_timeout=1,
                         deadline_ms=6000)
t0 = time.ticks_ms()
try:
    c.wait_msg()
    raise AssertionError("wait_msg returned on a half packet")
except Hang as e:
    raise AssertionError("wait_msg hung on a half packet (%s)" % e)
except MQTTException as e:
    dt = elapsed_ms(t0)
    print("wait_msg half packet ->", e.args, "after", dt, "ms")
    eq(mqtt_code(e), 30, "code")
    check(dt <= 3000, "raised only after %d ms with socket_timeout=1" % dt)
eq(c.socket_timeout, 1, "socket_timeout after wait_msg raised")
eq(rec.msgs, [], "callback called")
finish(c, real)
print("OK")
