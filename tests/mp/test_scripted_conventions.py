# Scripted: the conventions of the native client's event dispatcher, pinned
# for every `api` / `props_dict` combination, blocking (check_msg) and
# non-blocking (_nb_receive, mqtt_as): what each packet the engine handles
# becomes -- callback arguments, cbstat statuses, the return value, the
# exception -- on MQTT 3.1.1 and MQTT 5, and how a refused or missing
# CONNACK is raised (cmodule/umqtt_events.c, umqtt_errors.c).
# needs: mqtt5 nonblocking
import errno
from mqttutil import eq, skip
from fakesock import FakeSock, owner_settings

try:
    from _umqtt import Client, API_SIMPLE2, API_MPLIB
except ImportError:
    skip("_umqtt conventions: pure-Python simple2 has no native client")

LOG = []


class Owner(Client):
    def __init__(self, api, props_dict):
        super().__init__(self, api=api, props_dict=props_dict, max_qos=2)
        owner_settings(self, b"conv")
        self.socket_timeout = 1
        self.cb = lambda *a: LOG.append(("cb",) + a)
        self.cbstat = lambda pid, st: LOG.append(("st", pid, st))


def vbi(n):
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def pk(first, body):
    return bytes([first]) + vbi(len(body)) + body


def s(t):
    return len(t).to_bytes(2, "big") + t


def connack(v5, rc=0):
    return pk(0x20, b"\x00" + bytes([rc]) + (b"\x00" if v5 else b""))


def script(v5):
    p = b"\x00" if v5 else b""  # an empty MQTT 5 property block
    props = p
    if v5:  # two user properties, two subscription identifiers
        body = b"\x26" + s(b"k") + s(b"a") + b"\x26" + s(b"k") + s(b"b") + b"\x0b\x05\x0b\x07"
        props = vbi(len(body)) + body
    out = [
        pk(0x30, s(b"t/a") + props + b"m0"),
        pk(0x33, s(b"t/b") + b"\x00\x05" + p + b"m1"),  # QoS 1, retained
        pk(0x3C, s(b"t/c") + b"\x00\x06" + p + b"m2"),  # QoS 2, dup
        pk(0x34, s(b"t/c") + b"\x00\x06" + p + b"m2"),  # its duplicate
        pk(0x62, b"\x00\x06"),  # PUBREL
        pk(0x40, b"\x00\x01"),  # PUBACK of our publish (pid 1)
        pk(0x40, b"\x00\x63"),  # PUBACK of a pid not in flight
        pk(0x90, b"\x00\x02" + p + b"\x01"),  # SUBACK
        pk(0x90, b"\x00\x03" + p + b"\x80"),  # SUBACK refused
        pk(0xB0, b"\x00\x04" + (p + b"\x00" if v5 else b"")),  # UNSUBACK
        pk(0xD0, b""),  # PINGRESP
    ]
    if v5:
        out += [
            pk(0x40, b"\x00\x05\x87\x00"),  # PUBACK refused (pid 5)
            pk(0x90, b"\x00\x06" + p + b"\x87"),  # SUBACK refused with a reason
            pk(0xB0, b"\x00\x07" + p + b"\x87"),  # UNSUBACK refused
            pk(0xE0, b"\x8e\x00"),  # DISCONNECT, Session taken over
        ]
    return b"".join(out)


def err(e):
    return (type(e).__name__,) + e.args


def run(api, props_dict, v5, nb):
    del LOG[:]
    c = Owner(api, props_dict)
    c._attach(FakeSock(connack(v5) + script(v5), eof=True))
    version = 5 if v5 else 4
    pids = range(1, 8 if v5 else 5)
    if nb:
        c._nb_connect(True, version)
        for pid, op in zip(pids, "pssupsu"):
            if op == "p":
                c._nb_publish(b"o", b"p", False, 1, False, pid)
            elif op == "s":
                c._nb_subscribe(b"s", 1, pid)
            else:
                c._nb_unsubscribe(b"s", pid)
        c._nb_flush()
        eq(c._nb_connack(), 0, "CONNACK")
    else:
        eq(c._connect(True, version), 0, "CONNACK")
        for pid, op in zip(pids, "pssupsu"):
            eq((c.publish(b"o", b"p", qos=1) if op == "p" else
                c.subscribe(b"s", 1) if op == "s" else c.unsubscribe(b"s")), pid, "pid")
    for i in range(18 if v5 else 14):
        try:
            LOG.append(c._nb_receive() if nb else c.check_msg())
        except Exception as e:
            LOG.append(err(e))
    if v5:
        LOG.append(c.disconnect_reason)
    return LOG[:]


def connect_error(api, v5, nb, data):
    c = Owner(api, False)
    c._attach(FakeSock(data, eof=True))
    try:
        if nb:
            c._nb_connect(True, 5 if v5 else 4)
            c._nb_flush()
            return c._nb_connack()
        return c._connect(True, 5 if v5 else 4)
    except Exception as e:
        return err(e)


PROPS_LIST = {38: [("k", "a"), ("k", "b")], 11: [5, 7]}
PROPS_DICT = {38: {"k": "b"}, 11: 7}


# What the receive calls report for script(): the three messages' callbacks
# (the first n of topic, msg, retained, dup; MQTT 5: then the properties),
# the return values, cbstat calls and exceptions; EOF at the end is the
# error of a closed connection.
def expected(api, props_dict, v5, nb):
    mplib = api == API_MPLIB
    n = 3 if nb else 2 if mplib else 4
    flags = [(False, False), (True, False), (False, True)]
    props = [PROPS_DICT if props_dict else PROPS_LIST, {}, {}]
    m = [("cb", b"t/" + t, b"m%d" % i) + flags[i][: n - 2] + ((props[i],) if v5 else ())
         for i, t in enumerate((b"a", b"b", b"c"))]
    closed = ("OSError", -1) if mplib else ("MQTTException", 1)
    gone = ("OSError", -1, "Session taken over") if mplib else ("MQTTException", 1, 0x8E)
    if nb:  # mqtt_as: every packet's type; acks and refusals go to cbstat
        first, quiet = [0x30] * 3, 0x30
        suback_refused = [("st", 3, 0x80), 0x90]
        unsuback_pong = [("st", 4, 1), 0xB0, 0xD0]
        refusals = [("st", 5, 0x87), 0x40, ("st", 6, 0x87), 0x90, ("st", 7, 0x87), 0xB0]
    else:
        first, quiet = [0x30, 0x33, 0x3C] if mplib else [None] * 3, None
        suback_refused = [("MQTTException", 0x80 if mplib else 44)]
        unsuback_pong = [0xB0, None]
        refusals = [("st", 5, 0x87), ("MQTTException", 0x87),
                    ("MQTTException", 0x87 if mplib else 44), ("MQTTException", 0x87)]
    out = [m[0], first[0], m[1], first[1], m[2], first[2], quiet, 0x60,
           ("st", 1, 1), 0x40, ("st", 99, 2), 0x40, ("st", 2, 1), 0x90]
    out += suback_refused + unsuback_pong
    if v5:
        out += refusals + [gone]
    out += [closed] * 3
    if v5:
        out.append((0x8E, {}))
    return out


for api in (API_SIMPLE2, API_MPLIB):
    for props_dict in (False, True):
        for v5 in (False, True):
            for nb in (False, True):
                what = "api=%d props_dict=%s v%d %s" % (api, props_dict, 5 if v5 else 4,
                                                        "_nb_receive" if nb else "check_msg")
                eq(run(api, props_dict, v5, nb), expected(api, props_dict, v5, nb), what)

# A refused, missing or short CONNACK.
for api, nb, v5, data, exp in [
    (API_SIMPLE2, False, False, connack(False, 5), ("MQTTException", 25)),
    (API_SIMPLE2, False, False, connack(False, 9), ("MQTTException", 20, 9)),
    (API_SIMPLE2, False, False, b"", ("MQTTException", 1)),
    (API_SIMPLE2, False, False, b"\x20\x01\x00", ("MQTTException", 29)),
    (API_SIMPLE2, True, False, b"", ("MQTTException", 1)),
    (API_SIMPLE2, False, True, connack(True, 0x87), ("MQTTException", 20, 0x87)),
    (API_MPLIB, False, False, connack(False, 5), ("MQTTException", 5)),
    (API_MPLIB, False, False, b"", ("MQTTException", -1)),
    (API_MPLIB, False, False, b"\x20\x01\x00", ("MQTTException", -1)),
    (API_MPLIB, True, False, connack(False, 5), ("MQTTException", 5)),
    (API_MPLIB, True, False, b"", ("OSError", -1)),
    (API_MPLIB, True, False, b"\x20\x01\x00", ("MQTTException", 29)),
    (API_MPLIB, False, True, connack(True, 0x87), ("MQTTException", 0x87)),
]:
    eq(connect_error(api, v5, nb, data), exp, "connect api=%d nb=%s data=%r" % (api, nb, data))

# No socket: ECONNOT, or micropython-lib's OSError(ENOTCONN).
for api, exp in ((API_SIMPLE2, ("MQTTException", 28)), (API_MPLIB, ("OSError", errno.ENOTCONN))):
    for call in ("check_msg", "_nb_receive"):
        try:
            got = getattr(Owner(api, False), call)()
        except Exception as e:
            got = err(e)
        eq(got, exp, "%s without a socket, api=%d" % (call, api))

print("OK")
