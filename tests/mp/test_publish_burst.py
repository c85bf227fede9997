# A burst of QoS 1 publishes before any check_msg() (simple2 2.2.0 accepts
# any number): when every slot of the in-flight table awaits its PUBACK,
# publish() handles incoming packets as check_msg() would until one frees,
# instead of raising MQTTException(EINFLIGHT). Meanwhile the callbacks run:
# the status callback for each PUBACK, the message callback for each message
# of a subscription, in order. subscribe() waits the same way.
import testenv
from mqttutil import check, eq, connected, topic, Recorder, wait_until, close_quietly

N = 200
rec = Recorder()
c = connected("burst", rec)
t = topic("burst")
c.subscribe(t, 1)  # our own messages come back while publish() waits
pids = [c.publish(t, b"%d" % i, qos=1) for i in range(N)]
eq(len(set(pids)), N, "distinct pids")
check(wait_until(c, lambda: not c.rcv_pids and len(rec.msgs) == N, 10),
      "acks %d, messages %d, still in flight %d" % (len(rec.stats), len(rec.msgs), len(c.rcv_pids)))
acked = [p for p, s in rec.stats if s == 1]
check(set(pids) <= set(acked), "a publish was never acknowledged")
eq([m[1] for m in rec.msgs], [b"%d" % i for i in range(N)], "messages, in order")
check(not [s for s in rec.stats if s[1] != 1], "only acks reported: %r" % rec.stats[:5])

# More subscribes than slots, again before any check_msg().
subs = [c.subscribe(topic("burst-sub"), 0) for _ in range(40)]
check(wait_until(c, lambda: not c.rcv_pids, 10), "SUBACKs missing: %r" % list(c.rcv_pids))
check(set(subs) <= set(p for p, s in rec.stats if s == 1), "a subscribe was never acknowledged")
close_quietly(c)
print("OK")
