# `from umqtt import MQTTClient` with reconn=True through a 5 s broker outage
# (issue 17, item 9): calls return promptly while the client reconnects.
# - with the background thread (keepalive > 0): the thread reconnects;
#   check_msg() returns None and publish() False at once meanwhile,
#   get_mqttsta() is 1; afterwards the subscription works again;
# - without it (thread=False): each call makes at most one reconnect
#   attempt (DELAY s apart), so no call blocks for the outage either;
#   check_msg() reconnects once the broker is back.
# The bound asserted (1 s per call, for refused connections on loopback) is
# a behaviour check: the calls used to block for the whole outage.
# timeout: 60
# needs: client
import time
import testenv
from mqttutil import check, eq, topic, uid
from umqtt import MQTTClient

try:
    import _thread
except ImportError:
    _thread = None

port = testenv.broker_ctl("start")
OUTAGE = 5000


def slowest(c, t, ms):
    # Calls check_msg() and publish() for ms; the longest call in ms.
    worst = 0
    pubs = []
    t0 = time.ticks_ms()
    while time.ticks_diff(time.ticks_ms(), t0) < ms:
        t1 = time.ticks_ms()
        c.check_msg()
        worst = max(worst, time.ticks_diff(time.ticks_ms(), t1))
        t1 = time.ticks_ms()
        pubs.append(c.publish(t, b"during", qos=1))
        worst = max(worst, time.ticks_diff(time.ticks_ms(), t1))
        time.sleep_ms(20)
    return worst, pubs


for kw in ({"keepalive": 5}, {"keepalive": 5, "thread": False}):
    if _thread is None and "thread" not in kw:
        continue
    errs, got = [], []
    c = MQTTClient(uid("outage"), testenv.HOST, port, **kw)
    c.DELAY = 0.2
    c.error_register_cb(errs.append)
    c.set_callback(lambda tp, m: got.append(m))
    c.connect()
    t = topic("outage")
    c.subscribe(t, 1)
    testenv.broker_ctl("stop", port)
    worst, pubs = slowest(c, t, OUTAGE)
    check(worst < 1000, "%r: a call blocked %d ms during the outage" % (kw, worst))
    check(pubs and not any(pubs), "%r: publish() during the outage: %r" % (kw, pubs))
    eq(c.get_mqttsta(), 1, "%r: reconnecting" % kw)
    eq(errs, ["reconnect_start"], "%r: notifications during the outage" % kw)
    testenv.broker_ctl("start", port)
    t0 = time.ticks_ms()
    while len(errs) < 2 and time.ticks_diff(time.ticks_ms(), t0) < 10000:
        c.check_msg()
        time.sleep_ms(20)
    eq(errs, ["reconnect_start", "reconnect_success"], "%r: reconnected" % kw)
    eq(c.get_mqttsta(), 0, "%r: connected" % kw)
    eq(c.publish(t, b"after", qos=1), True, "%r: publish after the outage" % kw)
    while b"after" not in got and time.ticks_diff(time.ticks_ms(), t0) < 15000:
        c.check_msg()
    check(b"after" in got, "%r: resubscribed: %r" % (kw, got))
    c.disconnect()
print("OK")
