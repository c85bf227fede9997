# User code that runs inside the client's own I/O -- a _read/_write override,
# a duck-typed socket, over plain TCP and over TLS -- and calls back into the
# client (disconnect(), _attach(None), check_msg(), publish()) gets
# RuntimeError: the stream and the buffers a running call uses cannot change
# under it (this used to dereference a detached stream). Afterwards the
# client works again after connect(). A client cannot be a client's socket
# (its stream ioctl would forward to itself forever).
import testenv
from mqttutil import check, eq, raises, uid, topic, wait_until, Recorder, close_quietly
from umqtt.simple2 import MQTTClient


class Hooked(MQTTClient):
    action = None  # what the next _write/_read does to the client, once

    def _fire(self):
        act, self.action = self.action, None
        if act is not None:
            act(self)

    def _write(self, buf, length=-1):
        n = super()._write(buf, length)
        self._fire()
        return n

    def _read(self, n):
        r = super()._read(n)
        self._fire()
        return r


def setitem(d, k, v):
    d[k] = v


ACTIONS = (
    ("disconnect", lambda c: c.disconnect()),
    ("_attach(None)", lambda c: c._attach(None)),
    ("check_msg", lambda c: c.check_msg()),
    ("publish", lambda c: c.publish(b"x/y", b"nested")),
    ("_nb_publish", lambda c: c._nb_publish(b"x/y", b"nested", False, 0, False, 0)),
    ("rcv_pids[7] = 0", lambda c: setitem(c.rcv_pids, 7, 0)),
)
if not hasattr(MQTTClient, "_nb_publish"):  # a firmware without mqtt_as
    ACTIONS = tuple(a for a in ACTIONS if not a[0].startswith("_nb_"))


def new(tls):
    if not tls:
        return Hooked(uid("re"), testenv.HOST, port=testenv.PORT)
    # An SSLContext as ssl (every firmware; ssl=True needs umqtt._net).
    import tls

    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = tls.CERT_REQUIRED
    ctx.load_verify_locations(testenv.read(testenv.CA_DER))  # (positional only on 1.26)
    return Hooked(uid("re"), testenv.HOST, port=testenv.PORT_TLS, ssl=ctx,
                  ssl_params={"server_hostname": testenv.SERVER_HOSTNAME})


for tls in (False, True):
    c = new(tls)
    rec = Recorder().install(c)
    c.connect()
    t = topic("re")
    for name, act in ACTIONS:
        what = "%s in _write%s" % (name, " (TLS)" if tls else "")
        c.action = act
        e = raises(RuntimeError, c.publish, t, b"payload")
        check("socket I/O" in str(e), "%s: %r" % (what, e))
        # The call's own stream is intact: the client still works, or
        # reconnects, as the hook left it.
        if c.sock is None:
            c.connect()
        c.connect()  # the publish stopped half way: start in step again
        c.publish(t, b"after")
    # In _read: a message arrives, the hook calls back in while reading it.
    c.subscribe(t, 0)
    check(wait_until(c, lambda: rec.stats), "SUBACK")
    for name, act in ACTIONS:
        c.publish(t, b"in")
        c.action = act
        e = raises(RuntimeError, lambda: [c.check_msg() for _ in range(200)])
        check("socket I/O" in str(e), "%s in _read: %r" % (name, e))
        c.connect()
        c.subscribe(t, 0)
    close_quietly(c)


# A duck-typed socket whose write() detaches the client, or re-enters it.
class Duck:
    def __init__(self, client, act):
        self.client, self.act = client, act

    def read(self, n):
        return None

    def write(self, buf):
        self.act(self.client)
        return len(buf)


c = MQTTClient(uid("duck"), testenv.HOST, port=testenv.PORT)
for name, act in ACTIONS:
    c._attach(Duck(c, act))
    e = raises(RuntimeError, c.publish, b"x/y", b"m")
    check("socket I/O" in str(e), "duck %s: %r" % (name, e))
    c._attach(None)

# A client is not a socket: neither itself nor another client.
a = MQTTClient(uid("a"), testenv.HOST, port=testenv.PORT)
b = MQTTClient(uid("b"), testenv.HOST, port=testenv.PORT)
raises(ValueError, a._attach, a)
raises(ValueError, a._attach, b)
eq(a.sock, None, "nothing attached")
print("OK")
