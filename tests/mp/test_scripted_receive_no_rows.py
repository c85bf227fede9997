# offline
# Without the QoS 2 flows and the non-blocking calls (the minimal profile)
# nothing received takes a row of the session's tables: an incoming QoS 1
# message is acked at once, so a client that only receives holds no rows
# and check_msg() allocates none (the glue asks for room only before what
# may take a row: QoS 1 publish, subscribe, unsubscribe).
import gc
import _umqtt
from mqttutil import eq, has_qos2, skip
from fakesock import scripted, finish, publish_pkt

if has_qos2() or hasattr(_umqtt.Simple2, "_nb_flush"):
    skip("the QoS 2 flows or the non-blocking calls are built into this firmware")

got = [0, 0]  # messages, bytes: counted without allocating
c, fake, real = scripted("norows", socket_timeout=1)


def count(topic, msg, retained, dup):
    got[0] += 1
    got[1] += len(msg)


c.set_callback(count)
msgs = [publish_pkt(b"r/q1", b"x" * 8, qos=1, pid=n) for n in (1, 2, 3)]
acks = [b"\x40\x02\x00" + bytes([n]) for n in (1, 2, 3)]


def receive_all():  # locals only: no global dict to grow
    for i in range(len(msgs)):
        c.check_msg()
        eq(fake.take_tx(), acks[i], "PUBACK")


fake.rx = bytearray(b"".join(msgs))
rx = fake.rx  # FakeSock reads by slicing anew: its buffer put back below
gc.collect()
before = gc.mem_alloc()
receive_all()
fake.rx = rx
gc.collect()
held = gc.mem_alloc() - before
eq(got, [3, 24], "delivered")
eq(held, 0, "heap held after receiving (bytes)")
finish(c, real)
print("OK")
