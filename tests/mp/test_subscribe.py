# subscribe(): returns the pid; SUBACK -> status callback (pid, 1) and
# check_msg() returns 0x90; qos=2 and a missing callback raise
# AssertionError; subscribe pids share the generator with publish.
from mqttutil import (check, eq, connected, client, topic, Recorder,
                      wait_until, raises, close_quietly)

c = connected("sub")
t = topic("s")
# no callback set -> AssertionError
raises(AssertionError, c.subscribe, t)
rec = Recorder().install(c)
raises(AssertionError, c.subscribe, t, 2)
p0 = c.subscribe(t)
check(type(p0) is int and 1 <= p0 <= 65535, "pid %r" % (p0,))
p1 = c.subscribe(t + b"/q1", 1)
eq(p1, p0 + 1, "next subscribe pid")
p2 = c.publish(t + b"/other", b"x", qos=1)
eq(p2, p1 + 1, "publish shares the pid generator")
rets = []
check(wait_until(c, lambda: len(rec.stats) >= 3, returns=rets), "status: %r" % rec.stats)
check((p0, 1) in rec.stats and (p1, 1) in rec.stats and (p2, 1) in rec.stats,
      "statuses %r" % rec.stats)
check(0x90 in rets, "check_msg did not return 0x90 for a SUBACK: %r" % rets)
pub = connected("pub")
pub.publish(t, b"m0")
pub.publish(t + b"/q1", b"m1", qos=1)
check(wait_until([c, pub], lambda: len(rec.msgs) >= 2), "msgs %r" % rec.msgs)
eq(sorted(rec.msgs), sorted([(t, b"m0", False, False), (t + b"/q1", b"m1", False, False)]),
   "delivered")
close_quietly(c, pub)
print("OK")
