# A PUBLISH larger than the transmit buffer goes out as its header, then its
# payload from the caller's object. A _write hook (or a duck-typed socket)
# runs Python code between the two: if it resizes the payload bytearray, the
# engine used to send freed memory. The payload it sends is the one publish()
# was given, whatever the hook does to the object meanwhile.
import testenv
from mqttutil import check, eq, uid, topic, wait_until, Recorder, close_quietly
from umqtt.simple2 import MQTTClient

payload = bytearray(b"P" * 6000)
original = bytes(payload)


class Resizer(MQTTClient):
    armed = False

    def _write(self, buf, length=-1):
        n = super()._write(buf, length)
        if self.armed:
            self.armed = False
            payload[:] = b"x" * 50000  # moves the bytearray's buffer
        return n


rec = Recorder()
sub = MQTTClient(uid("rsub"), testenv.HOST, port=testenv.PORT, max_packet_size=70000)
rec.install(sub)
sub.connect()
t = topic("resize")
sub.subscribe(t, 0)
check(wait_until(sub, lambda: rec.stats), "SUBACK")
c = Resizer(uid("rpub"), testenv.HOST, port=testenv.PORT)
c.connect()
c.armed = True
c.publish(t, payload)
check(wait_until(sub, lambda: rec.msgs, 5), "message")
got = rec.msgs[0][1]
check(got == original, "sent %d bytes %r..., expected the 6000 given" % (len(got), got[:8]))
close_quietly(c, sub)
print("OK")
