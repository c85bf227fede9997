# Scripted inbound packets a broker can legitimately send:
#  - QoS1 PUBLISH: callback (topic, msg, retained, dup) with bytes/bools,
#    then a PUBACK 40 02 <pid> is written; check_msg returns None
#  - retain+dup flags on a QoS1 PUBLISH
#  - several packets in one read buffer are processed one per check_msg
#  - PUBACK for a known pid -> status (pid, 1), returns 0x40; for an
#    unknown pid -> status (pid, 2), returns 0x40
#  - SUBACK -> status (pid, 1), returns 0x90; SUBACK 0x80 (failure) ->
#    MQTTException(44)
#  - PINGRESP D0 00 -> None
#  - a payload with a 3-byte remaining length split across many reads
from mqttutil import check, eq, Recorder, mqtt_code, raises, big_packets
from fakesock import scripted, finish, publish_pkt
from umqtt.simple2 import MQTTException

rec = Recorder()
c, fake, real = scripted("inb", rec=rec, socket_timeout=1, **big_packets(32 * 1024))

fake.feed(publish_pkt(b"q/1", b"hello", qos=1, pid=0x1234))
eq(c.check_msg(), None, "QoS1 PUBLISH return")
eq(rec.msgs, [(b"q/1", b"hello", False, False)], "QoS1 callback")
eq(fake.take_tx(), b"\x40\x02\x12\x34", "PUBACK written")

fake.feed(publish_pkt(b"q/2", b"rd", qos=1, pid=7, retain=True, dup=True))
c.check_msg()
eq(rec.msgs[-1], (b"q/2", b"rd", True, True), "retain+dup flags")
eq(fake.take_tx(), b"\x40\x02\x00\x07", "PUBACK for pid 7")

fake.feed(publish_pkt(b"r/1", b"retained", retain=True) + publish_pkt(b"r/2", b"") +
          b"\xd0\x00" + publish_pkt(b"r/3", b"three"))
eq(c.check_msg(), None, "first of several")
eq(rec.msgs[-1], (b"r/1", b"retained", True, False), "retained QoS0")
eq(c.check_msg(), None, "second of several")
eq(rec.msgs[-1], (b"r/2", b"", False, False), "empty payload")
eq(c.check_msg(), None, "PINGRESP")
eq(c.check_msg(), None, "third PUBLISH")
eq(rec.msgs[-1], (b"r/3", b"three", False, False), "after PINGRESP")
eq(c.check_msg(), None, "idle")
eq(fake.take_tx(), b"", "nothing written for QoS0")

for m in rec.msgs:
    check(type(m[0]) is bytes and type(m[1]) is bytes, "bytes args %r" % (m,))
    check(type(m[2]) is bool and type(m[3]) is bool, "bool args %r" % (m,))

# PUBACK handling
pid = c.publish(b"p/1", b"x", qos=1)
fake.take_tx()
fake.feed(b"\x40\x02" + pid.to_bytes(2, "big"))
eq(c.check_msg(), 0x40, "PUBACK return")
eq(rec.stats[-1], (pid, 1), "PUBACK status")
check(pid not in c.rcv_pids, "pid still pending")
fake.feed(b"\x40\x02\x77\x77")
eq(c.check_msg(), 0x40, "unknown PUBACK return")
eq(rec.stats[-1], (0x7777, 2), "unknown pid status")

# SUBACK handling
sp = c.subscribe(b"s/1", 1)
fake.take_tx()
fake.feed(b"\x90\x03" + sp.to_bytes(2, "big") + b"\x01")
eq(c.check_msg(), 0x90, "SUBACK return")
eq(rec.stats[-1], (sp, 1), "SUBACK status")
sp = c.subscribe(b"s/2", 0)
fake.feed(b"\x90\x03" + sp.to_bytes(2, "big") + b"\x80")
e = raises(MQTTException, c.check_msg)
eq(mqtt_code(e), 44, "SUBACK failure code")

# big payload dribbled in small chunks: 3-byte remaining length
payload = bytes(i & 0xFF for i in range(20000))
pkt = publish_pkt(b"big", payload)
check(pkt[1] & 0x80 and pkt[2] & 0x80 and not pkt[3] & 0x80, "3-byte VBI")
fake.feed(pkt)
c.check_msg()
eq(rec.msgs[-1][0], b"big", "big topic")
check(rec.msgs[-1][1] == payload, "big payload")
finish(c, real)
print("OK")
