# Scripted: Python code a call runs (a user-property iterable of MQTT 5
# properties, a socket_timeout property) runs before the call borrows the
# caller's buffers for the engine. A topic or payload that code resizes is
# sent as it is then, never from the memory it was moved out of (the
# properties used to be built after the topic and payload were borrowed).
# needs: mqtt5 nonblocking
from mqttutil import eq, skip
from fakesock import FakeSock, owner_settings

try:
    from _umqtt import Client
except ImportError:
    skip("native client only")

topic = bytearray(b"a/b")
payload = bytearray(b"start")


class Grower:
    # A user property (0x26) given as an iterable of pairs: iterating it
    # runs Python code, which here moves the topic and the payload.
    def __iter__(self):
        topic.extend(b"x" * 300)
        payload.extend(b"+" * 2000)
        junk = [bytearray(b"ZZZZZZZZ") for i in range(64)]  # reuse freed blocks
        yield ("k", "v")


class Owner(Client):
    def __init__(self):
        super().__init__(self, max_qos=2)
        owner_settings(self, b"borrow")
        self.cb = lambda *a: None
        self.cbstat = None
        self.grow = None
        self._timeout = 1

    @property
    def socket_timeout(self):
        if self.grow is not None:  # _write's buffer moves while it reads this
            self.grow.extend(b"-" * 3000)
            [bytearray(b"ZZZZZZZZ") for i in range(64)]
        return self._timeout


def vbi(data, i):
    n = shift = 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def parse(pkt, publish):
    # -> (first byte, topic or filter, what follows it): PUBLISH is topic,
    # pid (QoS > 0), properties, payload; (UN)SUBSCRIBE pid, properties, filter.
    n, i = vbi(pkt, 1)
    eq(len(pkt), i + n, "one packet written")
    if not publish:
        pl, i = vbi(pkt, i + 2)
        i += pl
    tl = int.from_bytes(pkt[i:i + 2], "big")
    t = pkt[i + 2:i + 2 + tl]
    i += 2 + tl
    if publish:
        pl, i = vbi(pkt, i)
        i += pl
    return pkt[0], t, pkt[i:]


def client():
    c = Owner()
    fake = FakeSock(b"\x20\x03\x00\x00\x00", eof=True)  # CONNACK, MQTT 5
    c._attach(fake)
    c._connect(True, 5)
    fake.take_tx()
    return c, fake


c, fake = client()
c.publish(topic, payload, properties={0x26: Grower()})
first, t, rest = parse(fake.take_tx(), True)
eq((first, len(t), len(rest)), (0x30, len(topic), len(payload)), "PUBLISH topic and payload lengths")
eq((t, rest), (bytes(topic), bytes(payload)), "PUBLISH sends the resized topic and payload")

topic[:] = b"s/t"
pid = c.subscribe(topic, 1, {0x26: Grower()})
first, t, rest = parse(fake.take_tx(), False)
eq((first, t, rest), (0x82, bytes(topic), b"\x01"), "SUBSCRIBE sends the resized filter")

topic[:] = b"s/t"
c.unsubscribe(topic, {0x26: Grower()})
first, t, rest = parse(fake.take_tx(), False)
eq((first, t), (0xA2, bytes(topic)), "UNSUBSCRIBE sends the resized filter")

for nb in ("_nb_publish", "_nb_subscribe", "_nb_unsubscribe"):
    topic[:] = b"n/b"
    payload[:] = b"start"
    if nb == "_nb_publish":
        c._nb_publish(topic, payload, False, 0, False, 0, {0x26: Grower()})
    elif nb == "_nb_subscribe":
        c._nb_subscribe(topic, 1, 50, {0x26: Grower()})
    else:
        c._nb_unsubscribe(topic, 51, {0x26: Grower()})
    eq(c._nb_flush(), 0, nb + ": flushed")
    first, t, rest = parse(fake.take_tx(), nb == "_nb_publish")
    eq(t, bytes(topic), nb + " sends the resized topic")
    if nb == "_nb_publish":
        eq(rest, bytes(payload), nb + " sends the resized payload")

# _write(buf): socket_timeout (a property here) is read before buf is borrowed.
buf = bytearray(b"hello")
c.grow = buf
n = c._write(buf)
c.grow = None
eq((n, fake.take_tx()), (len(buf), bytes(buf)), "_write writes the buffer as it is after socket_timeout")
print("OK")
