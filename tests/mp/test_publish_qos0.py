# publish() QoS0: returns None; the subscriber's 4-argument callback gets
# (topic: bytes, msg: bytes, retained: False, dup: False); str and bytes
# topic/payload both work (simple2 writes them as they are).
from mqttutil import (check, eq, connected, topic, Recorder, wait_until,
                      subscribe_sync, close_quietly)

rec = Recorder()
sub = connected("sub", rec)
t = topic("q0")
subscribe_sync(sub, rec, t)
pub = connected("pub")
r = pub.publish(t, b"hello")
eq(r, None, "publish QoS0 return value")
r = pub.publish(t, b"")  # empty payload
eq(r, None, "publish QoS0 empty payload")
r = pub.publish(t, bytearray(b"ba"), False, 0)
eq(r, None, "publish positional args")
check(wait_until(sub, lambda: len(rec.msgs) >= 3), "messages not received: %r" % rec.msgs)
eq(rec.msgs[0], (t, b"hello", False, False), "callback args")
for tp, m, ret, dup in rec.msgs:
    eq(type(tp), bytes, "topic type")
    eq(type(m), bytes, "msg type")
    eq(type(ret), bool, "retained type")
    eq(type(dup), bool, "dup type")
eq(rec.msgs[1][1], b"", "empty payload")
eq(rec.msgs[2][1], b"ba", "bytearray payload")

# wildcard subscription; str topic on publish
rec2 = Recorder()
sub2 = connected("sub2", rec2)
base = topic("wild")
subscribe_sync(sub2, rec2, base + b"/#")
pub.publish((base + b"/a/b").decode(), "text")
check(wait_until(sub2, lambda: rec2.msgs), "wildcard message not received")
eq(rec2.msgs[0][:2], (base + b"/a/b", b"text"), "str topic/payload arrive as bytes")
eq(rec.stats, [(rec.stats[0][0], 1)], "only the SUBACK status")
close_quietly(sub, sub2, pub)
print("OK")
