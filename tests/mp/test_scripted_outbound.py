# Scripted: exact bytes written for each outgoing packet (golden bytes),
# captured by the fake socket.
from mqttutil import check, eq, Recorder, raises
from fakesock import scripted, finish, vbi
from umqtt.simple2 import pid_gen

rec = Recorder()
c, fake, real = scripted("out", rec=rec, socket_timeout=1)

c.publish(b"t/1", b"hello")
eq(fake.take_tx(), b"\x30\x0a\x00\x03t/1hello", "QoS0 PUBLISH")
c.publish(b"t/1", b"r", retain=True)
eq(fake.take_tx(), b"\x31\x06\x00\x03t/1r", "retained PUBLISH")
c.publish(b"t/1", b"", False, 0)
eq(fake.take_tx(), b"\x30\x05\x00\x03t/1", "empty payload")
c.newpid = pid_gen(0x1233)
eq(c.publish(b"t/1", b"q1", qos=1), 0x1234, "pid")
eq(fake.take_tx(), b"\x32\x09\x00\x03t/1\x12\x34q1", "QoS1 PUBLISH")
eq(c.publish(b"t/1", b"d", qos=1, dup=True), 0x1235, "pid")
eq(fake.take_tx(), b"\x3a\x08\x00\x03t/1\x12\x35d", "QoS1 DUP PUBLISH")
eq(c.publish(b"t/1", b"rd", True, 1, True), 0x1236, "pid")
eq(fake.take_tx(), b"\x3b\x09\x00\x03t/1\x12\x36rd", "retain+dup+QoS1")

raises(AssertionError, c.publish, b"t/1", b"x", qos=2)
eq(fake.take_tx(), b"", "nothing written for a QoS2 publish")

# remaining length boundaries: 127 (1 byte), 128 (2 bytes), 16384 (3 bytes)
for total in (127, 128, 16383, 16384):
    msg = b"m" * (total - 5)
    c.publish(b"t/1", msg)
    out = fake.take_tx()
    eq(out[1:1 + len(vbi(total))], vbi(total), "remaining length %d" % total)
    eq(len(out), 1 + len(vbi(total)) + total, "packet size for %d" % total)

eq(c.subscribe(b"s/#", 1), 0x1237, "subscribe pid")
eq(fake.take_tx(), b"\x82\x08\x12\x37\x00\x03s/#\x01", "SUBSCRIBE")
c.subscribe(b"s/0")
eq(fake.take_tx(), b"\x82\x08\x12\x38\x00\x03s/0\x00", "SUBSCRIBE QoS0")
long_t = b"L" * 200
c.subscribe(long_t, 0)
eq(fake.take_tx(), b"\x82" + vbi(205) + b"\x12\x39\x00\xc8" + long_t + b"\x00",
   "SUBSCRIBE with a 2-byte remaining length")
raises(AssertionError, c.subscribe, b"s/2", 2)
eq(fake.take_tx(), b"", "nothing written for a QoS2 subscribe")

c.ping()
eq(fake.take_tx(), b"\xc0\x00", "PINGREQ")
c.disconnect()
eq(fake.take_tx(), b"\xe0\x00", "DISCONNECT")
check(fake.closed, "socket closed by disconnect")
eq(c.sock, None, "sock after disconnect")
finish(c, real)
print("OK")
