# publish() does not check a topic again when it is the very bytes or str
# object the previous publish sent (cmodule/umqtt_client.c, umqtt_topic_sent).
# Whatever the reuse, every topic sent is valid and is the one given:
# - bytes and str topics reused, alternated, and at QoS 1, arrive where sent;
# - a bytearray (or a memoryview of one) changed in place between two
#   publishes is checked again: ValueError once it is invalid;
# - a topic object freed after its publish cannot pass its check on to a new
#   object at the same address: the client keeps the last one it accepted.
import gc

from mqttutil import check, eq, connected, topic, raises, Recorder, wait_until, subscribe_sync, close_quietly

rec = Recorder()
sub = connected("sub", rec)
base = topic("reuse")
subscribe_sync(sub, rec, base + b"/#")
pub = connected("pub")

t1, t2 = base + b"/a", base + b"/b"
s1 = (base + b"/s").decode()
sent = []


def publish(t, msg, qos=0):
    pub.publish(t, msg, qos=qos)
    sent.append((bytes(t) if not isinstance(t, str) else t.encode(), msg))


for i in range(3):
    publish(t1, b"a%d" % i)
for t in (t1, t2, t1, s1, s1, t2):
    publish(t, b"x")
publish(t1, b"q1", 1)
publish(t1, b"q0")

# A bytearray topic changed in place: each publish checks it again.
ba = bytearray(base + b"/c")
publish(ba, b"c")
ba[-1] = ord("+")
e = raises(ValueError, pub.publish, ba, b"wild")
eq(str(e), "invalid MQTT topic", "a wildcard in a reused bytearray")
ba[-1] = 0
raises(ValueError, pub.publish, ba, b"nul")
ba[-1] = ord("d")
publish(ba, b"d")
mv = memoryview(ba)
publish(mv, b"mv")
ba[-1] = ord("#")
raises(ValueError, pub.publish, mv, b"wild")
ba[-1] = ord("e")
publish(mv, b"e")
# An invalid str or bytes is refused every time (it is never remembered).
for bad in (base + b"/#", (base + b"/+").decode(), b""):
    for _ in range(2):
        raises(ValueError, pub.publish, bad, b"bad")
publish(t1, b"again")


# A topic object freed by the program after its publish: a new, invalid
# topic object may take its address, and the memory of the accepted topic
# must not vouch for it. The client keeps the last topic it accepted, so
# the address stays taken while it is remembered (`keep`: the last publish
# sent it); once another topic replaced it, the address is free again (the
# allocator takes a freed block first, which shows this loop can catch a
# client that does not keep it). Each object is made and published inside
# a function, so no stale slot of this frame keeps it.
def publish_new(buf, last, msg, ids, k):
    buf[-1] = last
    t = bytes(buf)
    ids[k] = id(t)
    pub.publish(t, msg)


def clear_stack(n=20):
    if n:
        clear_stack(n - 1)


def free_all():
    clear_stack()
    gc.collect()


buf = bytearray(base + b"/g0")
ids = [0, 0]
reused = [0, 0]
for i in range(40):
    keep = i % 2
    c = ord("0") + i % 10
    sent.append((base + b"/g" + bytes([c]), b"g"))
    free_all()
    publish_new(buf, c, b"g", ids, 0)
    if not keep:
        publish(t1, b"t1")
    free_all()
    try:  # (not raises(): its argument tuple would take the freed block)
        publish_new(buf, ord("#"), b"freed", ids, 1)
        raise AssertionError("a wildcard topic was sent (%s the freed topic's address)"
                             % ("at" if ids[0] == ids[1] else "not at"))
    except ValueError:
        pass
    reused[keep] += ids[0] == ids[1]
eq(reused[1], 0, "objects at the address of the topic the client keeps")
check(reused[0] > 0, "no new topic took a freed topic's address: %r" % reused)

check(wait_until(sub, lambda: len(rec.msgs) >= len(sent), 10),
      "got %d of %d messages" % (len(rec.msgs), len(sent)))
eq([(m[0], m[1]) for m in rec.msgs], sent, "messages, in order")
close_quietly(sub, pub)
print("OK")
