# umqtt.robust2 (fizista 2.2.0): class attributes, the Python-visible queues
# and their exact shapes, methods that never raise connection errors, the
# queue limit, cbstat re-queueing, and CONFIRM_QUEUE_MAX (2.2.0 raised
# KeyError from dict.pop(0); here the oldest pid of the entry is dropped);
# a full in-flight table waits for room, EINFLIGHT queues without a connection issue.
# needs: robust2
import time
import testenv
from mqttutil import check, eq, raises, topic, uid, wait_until
from umqtt.robust2 import MQTTClient
from umqtt.simple2 import MQTTException
import umqtt.simple2

check(issubclass(MQTTClient, umqtt.simple2.MQTTClient), "robust2 subclasses simple2")
for name, value in (("DEBUG", False), ("KEEP_QOS0", True), ("NO_QUEUE_DUPS", True),
                    ("MSG_QUEUE_MAX", 5), ("CONFIRM_QUEUE_MAX", 10), ("RESUBSCRIBE", True)):
    eq(getattr(MQTTClient, name), value, name)


def new(tag="r2", **kw):
    c = MQTTClient(uid(tag), testenv.HOST, port=testenv.PORT, **kw)
    c.set_callback(lambda *a: None)
    return c


# Not connected: nothing raises, everything is recorded and queued.
c = new()
eq((c.subs, c.msg_to_send, c.sub_to_send, c.msg_to_confirm, c.sub_to_confirm, c.conn_issue),
   ([], [], [], {}, {}, None), "initial state")
eq(c.publish(b"t/a", b"m0"), None, "publish offline")
e, place = c.conn_issue
check(isinstance(e, MQTTException) and e.args[0] == 28 and place == 2, "conn_issue %r" % (c.conn_issue,))
c.publish(b"t/a", b"m1", qos=1)
c.publish(b"t/a", b"m1", qos=1)  # NO_QUEUE_DUPS
eq(c.msg_to_send, [(b"t/a", b"m0", False, 0), (b"t/a", b"m1", False, 1)], "msg_to_send")
c.publish(b"t/r", b"old", retain=True)
c.publish(b"t/r", b"new", retain=True)  # replaces the queued retained message
eq(c.msg_to_send[-1:], [(b"t/r", b"new", True, 0)], "retained replaced")
eq(len(c.msg_to_send), 3, "queue length")
eq(c.subscribe(b"t/s", 1), None, "subscribe offline")
c.subscribe(b"t/s", 1)
eq(c.conn_issue[1], 3, "place: subscribe")
eq(c.subs, [(b"t/s", 1)], "subs")
eq(c.sub_to_send, [(b"t/s", 1)], "sub_to_send")
eq(c.things_to_do(), 4, "things_to_do")
eq(c.check_msg(), None, "check_msg offline")
eq(c.conn_issue[1], 10, "place: check_msg")
eq(c.wait_msg(), None, "wait_msg offline")
eq(c.conn_issue[1], 8, "place: wait_msg")
c.ping()
eq(c.conn_issue[1], 7, "place: ping")
c.disconnect()
check(c.is_conn_issue(), "is_conn_issue")
eq(c.send_queue(), False, "send_queue offline")
eq(c.conn_issue[1], 5, "place: sendqueue")
eq(len(c.msg_to_send), 3, "nothing lost by a failed send_queue")
# Connected (keeping the queue: clean_session=False), send_queue() sends
# it all, messages first, with new pids; only the QoS1 message and the
# subscription wait for their acks.
c.connect(False)
eq(c.conn_issue, None, "reconnected")
eq(c.send_queue(), True, "send_queue connected")
eq((c.msg_to_send, c.sub_to_send), ([], []), "queues sent")
eq(list(c.msg_to_confirm), [(b"t/a", b"m1", False, 1)], "QoS1 message awaiting its PUBACK")
eq(list(c.sub_to_confirm), [(b"t/s", 1)], "subscription awaiting its SUBACK")
check(all(len(p) == 1 and p[0] for p in c.msg_to_confirm.values()), "one pid each")
check(c.sub_to_confirm[(b"t/s", 1)][0] != c.msg_to_confirm[(b"t/a", b"m1", False, 1)][0], "new pids")
check(wait_until(c, lambda: not c.msg_to_confirm and not c.sub_to_confirm, 5), "acks processed")
c.disconnect()

# KEEP_QOS0 = False: QoS0 is dropped offline; the instance attribute overrides
d = new()
d.KEEP_QOS0 = False
d.publish(b"t", b"x")
d.publish(b"t", b"y", qos=1)
eq(d.msg_to_send, [(b"t", b"y", False, 1)], "KEEP_QOS0 False")

# MSG_QUEUE_MAX: the oldest queued message goes
q = new()
for i in range(7):
    q.publish(b"t", b"%d" % i)
eq([m[1] for m in q.msg_to_send], [b"2", b"3", b"4", b"5", b"6"], "queue limit")

# cbstat: a timeout (0) puts the message back at the front; 1 drops it
s = new()
stats = []
s.set_callback_status(lambda p, st: stats.append((p, st)))
k1 = (b"t", b"a", False, 1)
k2 = (b"t", b"b", False, 1)
s.msg_to_confirm = {k1: [11, 12], k2: [13]}
s.sub_to_confirm = {(b"s", 0): [14]}
s.msg_to_send = [(b"q", b"q", False, 0)]
s.cbstat(11, 0)
eq(s.msg_to_send, [k1, (b"q", b"q", False, 0)], "re-queued at the front")
eq(s.msg_to_confirm, {k1: [12], k2: [13]}, "pid removed")
s.cbstat(13, 1)
eq(s.msg_to_confirm, {k1: [12]}, "confirmed")
s.cbstat(14, 0)
eq(s.sub_to_send, [(b"s", 0)], "subscription re-queued")
eq(s.sub_to_confirm, {}, "subscription pid removed")
eq(stats, [(11, 0), (13, 1), (14, 0)], "user status callback")

# Queue eviction prefers the unconfirmed message with the lowest pid
s.msg_to_confirm = {k1: [21, 22], k2: [20]}
s.msg_to_send = [(b"q", b"1", False, 0), (b"q", b"2", False, 0)]
s.add_msg_to_send((b"q", b"3", False, 0))
eq(s.msg_to_confirm, {k1: [21, 22]}, "pid 20 evicted")
s.add_msg_to_send((b"q", b"4", False, 0))
eq(s.msg_to_confirm, {k1: [22]}, "pid 21 evicted")
eq(len(s.msg_to_send), 4, "queued")

# Connected: identical QoS1 publishes beyond CONFIRM_QUEUE_MAX (no PUBACK
# processed in between) keep the newest 10 pids, no KeyError.
c = new("cq")
eq(c.connect(), 0, "connect")
eq(c.conn_issue, None, "conn_issue cleared by connect")
t = topic("cq")
data = (t, b"same", False, 1)
pids = [c.publish(t, b"same", qos=1) for _ in range(12)]
eq(c.msg_to_confirm, {data: pids[2:]}, "CONFIRM_QUEUE_MAX")
spids = [c.subscribe(t, 1) for _ in range(11)]
eq(c.sub_to_confirm, {(t, 1): spids[1:]}, "CONFIRM_QUEUE_MAX for subscriptions")
eq(c.subs, [(t, 1)], "subscription remembered once")
check(wait_until(c, lambda: not c.msg_to_confirm and not c.sub_to_confirm, 5), "acks processed")
eq(c.things_to_do(), 0, "nothing left to do")
eq(c.conn_issue, None, "no issue")
c.disconnect()

# More unacknowledged QoS1 publishes than the engine tracks (32): as in
# 2.2.0, none is queued and no conn_issue is set: publish() handles PUBACKs
# until a slot is free (EINFLIGHT, queued without a conn_issue, only if
# none frees within socket_timeout); all 40 arrive.
got = set()
sub = new("r2sub")
sub.set_callback(lambda t, m, *f: got.add(m))
sub.connect()
t = topic("busy")
sub.subscribe(t, 1)
c = new("busy")
c.MSG_QUEUE_MAX = 100
c.connect()
for i in range(40):
    c.publish(t, b"%d" % i, qos=1)
eq(c.conn_issue, None, "EINFLIGHT is not a connection issue")
eq(len(c.msg_to_send), 0, "nothing queued: publish() waited for room")
deadline = time.ticks_add(time.ticks_ms(), 10000)
while (c.things_to_do() or len(got) < 40) and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    c.check_msg()
    c.send_queue()
    sub.check_msg()
eq((c.things_to_do(), c.conn_issue), (0, None), "queue drained, no issue")
eq(got, {b"%d" % i for i in range(40)}, "every message delivered")
c.disconnect()
sub.disconnect()

# keepalive: no packet from the broker for longer than keepalive -> issue 9
k = new("ka", keepalive=1)
k.connect()
time.sleep_ms(2200)
check(k.is_conn_issue(), "keepalive issue")
e, place = k.conn_issue
eq((type(e), e.args[0], place), (MQTTException, 7, 9), "MQTTException(7), keepalive")
k.ping()  # skipped, no raise
k.disconnect()

# bad input still raises
raises(AssertionError, new().publish, b"t", b"x", False, 2)
print("OK")
