# umqtt.simple with no broker: `c.sock` assigned to a duck-typed object (as
# micropython-lib's own test_umqtt_simple.py does), the `socket` module
# global replaced, and FakeSock scripts for the bounded waits and the
# packets whose bodies must be consumed.
# needs: simple
import io
import time

import umqtt.simple as umqtt_simple
from umqtt.simple import MQTTClient, MQTTException
from mqttutil import check, eq, raises, elapsed_ms, has_qos2, EPROTOCOL
from fakesock import FakeSock, publish_pkt


class Duck:
    # Only what micropython-lib's mock has: write(buf, length=None) returning
    # None, read(n), setblocking/settimeout/connect/close.
    def __init__(self, data=b""):
        self.out = io.BytesIO()
        self.inp = io.BytesIO(data)

    def write(self, buf, length=None):
        self.out.write(buf[:len(buf) if length is None else length])

    def read(self, n):
        return self.inp.read(n)

    def settimeout(self, t):
        pass

    def setblocking(self, b):
        pass

    def connect(self, addr):
        pass

    def close(self):
        pass


def duck_client(data):
    c = MQTTClient(b"cid", "127.0.0.1")
    c.sock = Duck(data)
    c.set_callback(lambda t, m: None)
    return c


# SUBSCRIBE, short topic: remaining length 9, pid 1
c = duck_client(b"\x90\x03\x00\x01\x00")
c.subscribe(b"abcd", qos=0)
eq(c.sock.out.getvalue(), b"\x82\x09\x00\x01\x00\x04abcd\x00", "SUBSCRIBE bytes")

# 123-byte topic: remaining length 128 -> VBI 80 01
c = duck_client(b"\x90\x03\x00\x01\x00")
c.subscribe(b"a" * 123, qos=0)
out = c.sock.out.getvalue()
eq(out[:7], b"\x82\x80\x01\x00\x01\x00\x7b", "long SUBSCRIBE header")
eq(out[7:130], b"a" * 123, "topic")
eq(out[130:], b"\x00", "qos byte")

# UNSUBSCRIBE, 124-byte topic
c = duck_client(b"\xb0\x02\x00\x01")
c.unsubscribe(b"a" * 124)
out = c.sock.out.getvalue()
eq(out[:7], b"\xa2\x80\x01\x00\x01\x00\x7c", "long UNSUBSCRIBE header")
eq(out[7:], b"a" * 124, "unsubscribe topic")


class FakeSocketMod:
    def __init__(self, sock):
        self.sock = sock

    def socket(self, *a, **k):
        return self.sock

    def getaddrinfo(self, *a, **k):
        return [(None, None, None, None, ("127.0.0.1", 1883))]


orig = umqtt_simple.socket
try:
    umqtt_simple.socket = FakeSocketMod(Duck(b"\x20\x02\x00\x00"))
    c = MQTTClient(b"cid", "127.0.0.1")
    eq(c.connect(), 0, "connect through the replaced socket module")
    check(c.sock.out.getvalue().startswith(b"\x10"), "CONNECT written")
    umqtt_simple.socket = FakeSocketMod(Duck(b""))
    e = raises(MQTTException, MQTTClient(b"cid", "127.0.0.1").connect)
    eq(e.args, (-1,), "no CONNACK (EOF)")
    umqtt_simple.socket = FakeSocketMod(Duck(b"\x20\x03\x00\x00\x00"))
    e = raises(MQTTException, MQTTClient(b"cid", "127.0.0.1").connect)
    eq(e.args, (-1,), "bad CONNACK")
    umqtt_simple.socket = FakeSocketMod(Duck(b"\x20\x02\x00\x05"))
    e = raises(MQTTException, MQTTClient(b"cid", "127.0.0.1").connect)
    eq(e.args, (5,), "refused CONNACK: MQTTException(rc)")
finally:
    umqtt_simple.socket = orig


def fake_client(data=b"", **kw):
    c = MQTTClient(b"cid", "127.0.0.1", **kw)
    msgs = []
    c.set_callback(lambda t, m: msgs.append((t, m)))
    c.sock = FakeSock(data)
    return c, msgs


# A QoS1 publish whose PUBACK never comes: OSError(ETIMEDOUT) after
# message_timeout, not a hang.
c, msgs = fake_client(message_timeout=1)
t0 = time.ticks_ms()
e = raises(OSError, c.publish, b"t", b"m", False, 1)
eq(e.args[0], 110, "ETIMEDOUT")
check(900 <= elapsed_ms(t0) < 3000, "bounded wait: %d ms" % elapsed_ms(t0))
eq(bytes(c.sock.tx), b"\x32\x06\x00\x01t\x00\x01m", "QoS1 PUBLISH bytes")

# The same for subscribe.
c, msgs = fake_client(message_timeout=1)
raises(OSError, c.subscribe, b"t")

# While waiting: a PUBLISH goes to the callback (and is PUBACKed), a PUBACK
# for another pid is consumed, then ours ends the wait.
data = publish_pkt(b"in", b"x", qos=1, pid=7) + b"\x40\x02\x00\x09" + b"\x40\x02\x00\x01"
c, msgs = fake_client(data)
eq(c.publish(b"t", b"m", qos=1), None, "publish")
eq(msgs, [(b"in", b"x")], "message during the wait")
check(b"\x40\x02\x00\x07" in c.sock.tx, "incoming QoS1 acked")
eq(c.sock.rx, bytearray(), "everything consumed")

# The pid wraps 65535 -> 1 on the wire.
c, msgs = fake_client(b"\x40\x02\xff\xff\x40\x02\x00\x01")
c.pid = 65534
c.publish(b"t", b"m", qos=1)
c.publish(b"t", b"m", qos=1)
eq(bytes(c.sock.tx), b"\x32\x06\x00\x01t\xff\xffm\x32\x06\x00\x01t\x00\x01m", "pids 65535, 1")

# Bodies are never left unread: an UNSUBACK / PUBREC returned by check_msg
# has been consumed, so the next PUBLISH parses. (Without the QoS 2 flows,
# UMQTT_QOS2=0, a PUBREC is a packet the broker must not send.)
data = b"\xb0\x02\x00\x05" + b"\x50\x02\x00\x06" + publish_pkt(b"a/b", b"hi", retain=True)
c, msgs = fake_client(data)
if has_qos2():
    got = [c.check_msg(), c.check_msg(), c.check_msg(), c.check_msg()]
    eq(got, [0xB0, 0x50, 0x31, None], "check_msg returns")
    eq(msgs, [(b"a/b", b"hi")], "message after unexpected acks")
else:
    eq(c.check_msg(), 0xB0, "check_msg return for UNSUBACK")
    e = raises(MQTTException, c.check_msg)
    eq(e.args, (EPROTOCOL,), "PUBREC without the QoS 2 flows")

# A refused SUBACK: MQTTException(0x80).
c, msgs = fake_client(b"\x90\x03\x00\x01\x80")
e = raises(MQTTException, c.subscribe, b"t", 1)
eq(e.args, (0x80,), "SUBACK failure")

# EOF while waiting: OSError(-1), as micropython-lib.
c = MQTTClient(b"cid", "127.0.0.1")
c.set_callback(lambda t, m: None)
c.sock = FakeSock(b"", eof=True)
e = raises(OSError, c.wait_msg)
eq(e.args[0], -1, "EOF")
print("OK")
