# Long topic (~500 bytes, a 2-byte remaining length in SUBSCRIBE) and large
# payloads (10 KB and 100 KB: 2- and 3-byte remaining lengths), QoS0/QoS1.
from mqttutil import (check, eq, connected, topic, Recorder, wait_until,
                      subscribe_sync, close_quietly, big_packets)

rec = Recorder()
s = connected("big", rec, **big_packets(128 * 1024))
base = topic("long")
long_t = base + b"/" + b"x" * (500 - len(base) - 1)
eq(len(long_t), 500, "topic length")
subscribe_sync(s, rec, long_t, qos=1)
prec = Recorder()
p = connected("pub", prec)
p.publish(long_t, b"long-topic")
check(wait_until(s, lambda: rec.msgs), "long-topic message not received")
eq(rec.msgs[0], (long_t, b"long-topic", False, False), "long topic message")

t = topic("payload")
subscribe_sync(s, rec, t, qos=1)
for size, qos in ((10 * 1024, 0), (10 * 1024, 1), (100 * 1024, 1), (127, 0), (128, 0), (16384, 0)):
    payload = bytes((i * 7 + size) & 0xFF for i in range(size))
    rec.msgs.clear()
    pid = p.publish(t, payload, qos=qos)
    if qos:
        check(wait_until(p, lambda: (pid, 1) in prec.stats), "PUBACK for %d" % size)
    check(wait_until(s, lambda: rec.msgs, 10), "payload %d not received" % size)
    eq(len(rec.msgs[0][1]), size, "payload length")
    check(rec.msgs[0][1] == payload, "payload %d corrupted" % size)
    eq(rec.msgs[0][0], t, "topic")
close_quietly(s, p)
print("OK")
