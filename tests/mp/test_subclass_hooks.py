# Private hooks that simple2's own tests.py and users override in a
# subclass (_write / _read, e.g. for hex dumps): the client must route its
# I/O through them, so an override sees the exact MQTT bytes.
import testenv
from mqttutil import check, eq, uid, topic, wait_until, Recorder, subscribe_sync, close_quietly
from umqtt.simple2 import MQTTClient


def raw(b):
    return b.encode() if isinstance(b, str) else bytes(b)


class Tap(MQTTClient):
    def _write(self, b, length=-1):
        self.out = getattr(self, "out", b"") + (raw(b) if length < 0 else raw(b)[:length])
        return super()._write(b, length)

    def _read(self, n):
        r = super()._read(n)
        self.inp = getattr(self, "inp", b"") + raw(r)
        return r


x = Tap(uid("tap"), testenv.HOST, port=testenv.PORT)
x.connect()
check(x.out.startswith(b"\x10"), "CONNECT went through _write: %r" % x.out[:8])
check(b"\x00\x04MQTT\x04\x02" in x.out, "CONNECT variable header: %r" % x.out[:16])
check(x.out.endswith(x.client_id.encode()), "client id at the end of CONNECT")
eq(x.inp, b"\x20\x02\x00\x00", "CONNACK read through _read")
x.out = b""
x.publish(b"a/b", b"hi")
eq(x.out, b"\x30\x07\x00\x03a/bhi", "PUBLISH bytes seen by _write")
x.out = b""
x.ping()
eq(x.out, b"\xc0\x00", "PINGREQ through _write")
rec = Recorder()
rec.install(x)
t = topic("tap")
x.out = b""
x.newpid = iter([0x0102])
x.subscribe(t, 1)
eq(x.out, b"\x82" + bytes([5 + len(t)]) + b"\x01\x02" + len(t).to_bytes(2, "big") + t + b"\x01",
   "SUBSCRIBE bytes")
x.inp = b""
check(wait_until(x, lambda: (0x0102, 1) in rec.stats), "no SUBACK")
# simple2 reads the first byte itself, the SUBACK body through _read
check(x.inp.endswith(b"\x03\x01\x02\x01"), "SUBACK body through _read: %r" % x.inp)
x.out = b""
x.disconnect()
eq(x.out, b"\xe0\x00", "DISCONNECT through _write")
print("OK")
