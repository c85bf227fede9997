# pid handling: replacing client.newpid = pid_gen(65534) makes the next pid
# 65535 and then 1 (wrap), for both publish and subscribe, and the status
# callbacks report those pids.
import time
from mqttutil import check, eq, connected, topic, Recorder, wait_until, close_quietly
from umqtt.simple2 import pid_gen

rec = Recorder()
c = connected("pid", rec)
c.newpid = pid_gen(65534)
t = topic("pid")
p1 = c.subscribe(t, 1)
eq(p1, 65535, "first pid after newpid = pid_gen(65534)")
p2 = c.publish(t, b"a", qos=1)
eq(p2, 1, "pid wraps to 1")
p3 = c.publish(t, b"b", qos=1)
eq(p3, 2, "then 2")
eq(c.publish(t, b"q0"), None, "QoS0 takes no pid")
p4 = c.publish(t, b"c", qos=1)
eq(p4, 3, "QoS0 did not consume a pid")
check(wait_until(c, lambda: len(rec.stats) >= 4 and len(rec.msgs) >= 4),
      "stats=%r msgs=%r" % (rec.stats, rec.msgs))
eq(sorted(rec.stats), sorted([(65535, 1), (1, 1), (2, 1), (3, 1)]), "status callbacks")

# a generator object of our own works too
def mine():
    yield 4242
    yield 4243
c.newpid = mine()
eq(c.publish(t, b"d", qos=1), 4242, "custom generator pid")
check(wait_until(c, lambda: (4242, 1) in rec.stats), "status for custom pid")
close_quietly(c)

# The default newpid is the engine's allocator: it skips ids still awaiting
# an ack (simple2's own generator handed them out again: "packet id already
# in flight" once the counter came round).
c = connected("pid2", rec)
c.rcv_pids[2] = time.ticks_add(time.ticks_ms(), 60000)  # 2 is in flight
p = [c.publish(t, b"s", qos=1) for _ in range(3)]
eq(p, [1, 3, 4], "2 skipped")
c.rcv_pids.pop(2)
close_quietly(c)
print("OK")
