# Scripted: an incoming QoS 2 PUBLISH (simple2 2.2.0 raises
# NotImplementedError after its callback). umqtt-rs runs the exchange:
#  - PUBLISH qos 2 -> callback once, then PUBREC 50 02 <pid>
#  - the same pid again (DUP, the broker did not see our PUBREC) -> no second
#    callback, PUBREC again
#  - PUBREL 62 02 <pid> -> PUBCOMP 70 02 <pid>; check_msg returns 0x60
#  - after the release the pid is free: a new QoS 2 PUBLISH with it is a new message
# (A firmware without the QoS 2 flows: test_scripted_no_qos2.)
# needs: qos2
from mqttutil import eq, Recorder, skip
from fakesock import scripted, finish, publish_pkt

try:
    import _umqtt  # noqa: F401
except ImportError:
    skip("incoming QoS 2 is not implemented by pure-Python simple2")

rec = Recorder()
c, fake, real = scripted("q2in", rec=rec, socket_timeout=1)

fake.feed(publish_pkt(b"q2/a", b"once", qos=2, pid=0x0102))
eq(c.check_msg(), None, "QoS 2 PUBLISH return")
eq(rec.msgs, [(b"q2/a", b"once", False, False)], "delivered")
eq(fake.take_tx(), b"\x50\x02\x01\x02", "PUBREC written")

fake.feed(publish_pkt(b"q2/a", b"once", qos=2, pid=0x0102, dup=True))
eq(c.check_msg(), None, "duplicate return")
eq(len(rec.msgs), 1, "duplicate delivered again")
eq(fake.take_tx(), b"\x50\x02\x01\x02", "PUBREC repeated")

fake.feed(b"\x62\x02\x01\x02")
eq(c.check_msg(), 0x60, "PUBREL return")
eq(fake.take_tx(), b"\x70\x02\x01\x02", "PUBCOMP written")

fake.feed(publish_pkt(b"q2/a", b"twice", qos=2, pid=0x0102))
c.check_msg()
eq(rec.msgs[-1], (b"q2/a", b"twice", False, False), "pid reused after release")
eq(fake.take_tx(), b"\x50\x02\x01\x02", "PUBREC for the new message")
finish(c, real)
print("OK")
