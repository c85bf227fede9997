# umqtt.robust against a broker the harness stops and kills (testenv.broker_ctl):
# publish() and check_msg() reconnect with connect(False), pausing through
# delay(i) between failed attempts (a subclass hook, used here to bring the
# broker back), and then redo the operation. After a graceful stop mosquitto
# keeps the persistent session, so the resumed subscription still delivers.
# timeout: 60
# needs: simple robust
import time
import testenv
from mqttutil import check, eq, topic, uid
from umqtt.robust import MQTTClient
from umqtt.simple import MQTTClient as Simple

port = testenv.broker_ctl("start")


class Client(MQTTClient):
    DELAY = 0

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.attempts = []
        self.logged = []
        self.connects = []

    def delay(self, i):
        self.attempts.append(i)
        if i == 2:
            testenv.broker_ctl("start", port)
        time.sleep_ms(50)

    def log(self, in_reconnect, e):
        self.logged.append((in_reconnect, type(e).__name__))

    def connect(self, clean_session=True, timeout=None):
        r = super().connect(clean_session, timeout)
        self.connects.append((clean_session, r))
        return r


msgs = []
c = Client(uid("robust"), testenv.HOST, port=port, keepalive=30)
c.set_callback(lambda t, m: msgs.append((t, m)))
eq(c.connect(clean_session=False), 0, "first connect")
t = topic("robust")
c.subscribe(t, qos=1)

# graceful stop: the session survives the restart
testenv.broker_ctl("stop", port)
eq(c.publish(t, b"after-stop", qos=1), None, "publish across a broker restart")
eq(c.attempts, [1, 2], "two refused reconnects, then the broker is back")
eq(c.connects[-1], (False, 1), "reconnect resumed the session (session present)")
check((True, "OSError") in c.logged and (False, "OSError") in c.logged, "log() calls: %r" % c.logged)
deadline = time.ticks_add(time.ticks_ms(), 5000)
while (t, b"after-stop") not in msgs and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    c.check_msg()
check((t, b"after-stop") in msgs, "message on the resumed subscription: %r" % msgs)

# kill -9: check_msg sees the EOF, reconnects (delay brings the broker back)
# and tries again; no exception reaches the caller.
c.attempts = []
testenv.broker_ctl("kill", port)
time.sleep_ms(100)
eq(c.check_msg(), None, "check_msg across a killed broker")
eq(c.attempts, [1, 2], "reconnect attempts after kill")
check(c.sock is not None, "connected again")

# the killed broker lost the session: resubscribe, then wait_msg delivers
c.subscribe(t, qos=1)
p = Simple(uid("pub"), testenv.HOST, port=port)
p.connect()
p.publish(t, b"after-kill", qos=1)
p.disconnect()
while (t, b"after-kill") not in msgs:
    c.wait_msg()

# A refused CONNACK is not retried: MQTTException propagates from reconnect,
# as in micropython-lib (only OSError is retried).
c.disconnect()
testenv.broker_ctl("stop", port)
print("OK")
