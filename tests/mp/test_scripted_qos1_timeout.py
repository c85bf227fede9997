# Scripted: a QoS1 PUBLISH and a SUBSCRIBE whose acks never come produce
# status (pid, 0) after message_timeout (checked from check_msg), once
# each, and the pids leave rcv_pids.  Nothing is retransmitted.
import time
from mqttutil import check, eq, Recorder, elapsed_ms
from fakesock import scripted, finish

rec = Recorder()
c, fake, real = scripted("q1to", rec=rec, socket_timeout=1, message_timeout=2)
t0 = time.ticks_ms()
pid = c.publish(b"t/1", b"x", qos=1)
sp = c.subscribe(b"t/2", 1)
fake.take_tx()
while elapsed_ms(t0) < 4500 and len(rec.stats) < 2:
    eq(c.check_msg(), None, "idle check_msg")
    time.sleep_ms(10)
dt = elapsed_ms(t0)
eq(sorted(rec.stats), sorted([(pid, 0), (sp, 0)]), "timeout statuses")
check(1800 <= dt <= 4500, "timed out after %d ms, message_timeout=2 s" % dt)
check(pid not in c.rcv_pids and sp not in c.rcv_pids, "rcv_pids %r" % (c.rcv_pids,))
for _ in range(20):
    c.check_msg()
eq(len(rec.stats), 2, "reported once")
eq(fake.take_tx(), b"", "retransmitted")
finish(c, real)
print("OK")
