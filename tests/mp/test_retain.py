# Retained messages: a late subscriber gets retained=True; live messages
# arrive with retained=False; an empty retained publish clears it.
from mqttutil import (check, eq, connected, topic, Recorder, wait_until,
                      subscribe_sync, drain, close_quietly)

t = topic("ret")
prec = Recorder()
pub = connected("pub", prec)
pid = pub.publish(t, b"kept", retain=True, qos=1)
check(wait_until(pub, lambda: (pid, 1) in prec.stats), "no PUBACK")

rec = Recorder()
s = connected("late", rec)
subscribe_sync(s, rec, t)
check(wait_until(s, lambda: rec.msgs), "retained message not received")
eq(rec.msgs[0], (t, b"kept", True, False), "retained delivery")

pub.publish(t, b"live", True)  # retain=True, but a live delivery
check(wait_until(s, lambda: len(rec.msgs) >= 2), "live message not received")
eq(rec.msgs[1], (t, b"live", False, False), "live delivery of a retained publish")

pid = pub.publish(t, b"", retain=True, qos=1)  # clear
check(wait_until([pub, s], lambda: (pid, 1) in prec.stats), "no PUBACK for the clear")
rec2 = Recorder()
s2 = connected("late2", rec2)
subscribe_sync(s2, rec2, t)
drain([s2], 0.5)
eq(rec2.msgs, [], "retained message not cleared")
close_quietly(pub, s, s2)
print("OK")
