# ping() then check_msg() returns None (the PINGRESP is consumed);
# check_msg() returns None quickly when idle; wait_msg() blocks until a
# packet arrives and returns None for a PINGRESP / PUBLISH.
import time
from mqttutil import (check, eq, connected, topic, Recorder, wait_until,
                      subscribe_sync, elapsed_ms, close_quietly)

rec = Recorder()
c = connected("ping", rec)

# idle check_msg: None, and fast (no socket_timeout wait)
t0 = time.ticks_ms()
for _ in range(20):
    eq(c.check_msg(), None, "idle check_msg")
check(elapsed_ms(t0) < 1000, "20 idle check_msg() took %d ms" % elapsed_ms(t0))

eq(c.ping(), None, "ping() return value")
time.sleep_ms(200)
rets = [c.check_msg() for _ in range(5)]
eq(rets, [None] * 5, "check_msg after ping")
check(c.sock is not None, "still connected")

# wait_msg consumes a PINGRESP and returns None
c.ping()
t0 = time.ticks_ms()
eq(c.wait_msg(), None, "wait_msg after ping")
check(elapsed_ms(t0) < 3000, "wait_msg took %d ms" % elapsed_ms(t0))
eq(c.socket_timeout, 5, "socket_timeout restored after wait_msg")

# wait_msg delivers a PUBLISH
t = topic("wm")
pid = c.subscribe(t)
eq(c.wait_msg(), 0x90, "wait_msg returns 0x90 for the SUBACK")
check((pid, 1) in rec.stats, "SUBACK status")
pub = connected("pub")
pub.publish(t, b"for-wait")
eq(c.wait_msg(), None, "wait_msg return for a PUBLISH")
eq(rec.msgs, [(t, b"for-wait", False, False)], "wait_msg delivered")

# keepalive: with keepalive=2 and pings, the broker keeps the connection
k = connected("ka", keepalive=2)
for _ in range(6):
    k.ping()
    time.sleep_ms(500)
    k.check_msg()
k.publish(t, b"still-alive")
check(wait_until(c, lambda: len(rec.msgs) >= 2), "keepalive client was dropped")
close_quietly(c, pub, k)
print("OK")
