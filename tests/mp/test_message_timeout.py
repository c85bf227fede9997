# message_timeout: a pid inserted into rcv_pids (pid -> deadline in ticks)
# that is never acked produces the status callback (pid, 0) once the
# deadline passes (checked from check_msg), and is removed; real acks still
# give (pid, 1).
import time
from mqttutil import check, eq, connected, topic, Recorder, wait_until, elapsed_ms, close_quietly

rec = Recorder()
c = connected("mt", rec, message_timeout=2)
eq(c.message_timeout, 2, "message_timeout")
fake = 54321
t0 = time.ticks_ms()
c.rcv_pids[fake] = time.ticks_add(time.ticks_ms(), c.message_timeout * 1000)
pid = c.publish(topic("mt"), b"x", qos=1)
check(wait_until(c, lambda: (fake, 0) in rec.stats, 6), "no timeout status: %r" % rec.stats)
dt = elapsed_ms(t0)
print("timeout after", dt, "ms")
check(1800 <= dt <= 4000, "timeout status after %d ms (message_timeout=2 s)" % dt)
check(fake not in c.rcv_pids, "timed-out pid still in rcv_pids")
check((pid, 1) in rec.stats, "real publish not acked")
check((pid, 0) not in rec.stats, "acked pid reported as timed out")
eq(rec.stats.count((fake, 0)), 1, "timeout reported once")
close_quietly(c)
print("OK")
