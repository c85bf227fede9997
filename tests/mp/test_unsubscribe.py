# unsubscribe(topic) (an umqtt-rs addition; simple2 2.2.0 has none): returns
# a pid from newpid; the UNSUBACK makes check_msg return 0xB0 and the pid
# leaves rcv_pids; messages on the topic stop.
from mqttutil import (check, eq, connected, topic, Recorder, wait_until,
                      subscribe_sync, drain, close_quietly, skip)

rec = Recorder()
c = connected("unsub", rec)
if not hasattr(c, "unsubscribe"):
    skip("this client has no unsubscribe()")
t = topic("u")
subscribe_sync(c, rec, t)
p = connected("unsub-pub")
p.publish(t, b"before")
check(wait_until([c, p], lambda: rec.msgs), "message before unsubscribe")

pid = c.unsubscribe(t)
check(type(pid) is int and 1 <= pid <= 65535, "pid %r" % (pid,))
check(pid in c.rcv_pids, "unsubscribe pid awaits its UNSUBACK")
rets = []
check(wait_until(c, lambda: 0xB0 in rets, returns=rets), "no UNSUBACK: %r" % rets)
check(pid not in c.rcv_pids, "pid left in rcv_pids after UNSUBACK")

rec.msgs.clear()
p.publish(t, b"after")
drain([c, p], 0.5)
eq(rec.msgs, [], "message after unsubscribe")
close_quietly(c, p)
print("OK")
