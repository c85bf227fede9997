# publish() QoS1: returns the pid (int); the PUBACK produces the status
# callback (pid, 1) and check_msg() returns 0x40 for it; pids increase by
# one; the pid is removed from rcv_pids; a QoS1 subscriber receives it and
# the client acks incoming QoS1 messages (the broker would redeliver
# otherwise -- checked by reconnecting a persistent session).
import testenv
from mqttutil import (check, eq, connected, topic, uid, Recorder, wait_until,
                      subscribe_sync, drain, close_quietly)
from umqtt.simple2 import MQTTClient

rec = Recorder()
c = connected("q1", rec)
t = topic("q1")
p1 = c.publish(t, b"one", qos=1)
check(type(p1) is int and 1 <= p1 <= 65535, "pid %r" % (p1,))
check(p1 in c.rcv_pids, "pid not tracked in rcv_pids")
p2 = c.publish(t, b"two", False, 1)
eq(p2, p1 + 1, "consecutive pids")
rets = []
check(wait_until(c, lambda: (p1, 1) in rec.stats and (p2, 1) in rec.stats, returns=rets),
      "no PUBACK status: %r" % rec.stats)
check(0x40 in rets, "check_msg did not return 0x40 for a PUBACK: %r" % rets)
check(p1 not in c.rcv_pids and p2 not in c.rcv_pids, "acked pids still in rcv_pids")
eq(len(rec.stats), 2, "exactly two status callbacks")

# QoS1 subscription end to end
srec = Recorder()
cid = uid("q1sub")
s = MQTTClient(cid, testenv.HOST, port=testenv.PORT)
srec.install(s)
s.connect(clean_session=False)
subscribe_sync(s, srec, t, qos=1)
p3 = c.publish(t, b"three", qos=1)
check(wait_until([c, s], lambda: srec.msgs and (p3, 1) in rec.stats), "QoS1 message not delivered")
eq(srec.msgs[0], (t, b"three", False, False), "QoS1 message")
drain([s], 0.3)  # the PUBACK for the incoming message is sent after the callback
s.disconnect()
# reconnect the persistent session: an un-acked message would be resent
srec.msgs.clear()
eq(s.connect(clean_session=False), 1, "session present")
drain([s], 1.0)
eq(srec.msgs, [], "message redelivered, so the client did not PUBACK it")
s.connect(clean_session=True)
close_quietly(s, c)
print("OK")
