# `from umqtt import MQTTClient`: check_msg(attempts=2), UIFlow2's documented
# signature (issue 17, item 10). As in UIFlow2's umqtt.robust: up to
# `attempts` reads, each that meets a connection error followed by a
# reconnect; None once every attempt failed (attempts=0: None, nothing read).
# Without the background thread (keepalive=0, the default), the reconnect
# happens inside the call (one attempt).
# timeout: 60
# needs: client
import time
import testenv
from mqttutil import check, eq, topic, uid
from umqtt import MQTTClient

port = testenv.broker_ctl("start")
errs, got = [], []
c = MQTTClient(uid("attempts"), testenv.HOST, port)
c.DELAY = 0  # reconnect attempts are not spaced
c.error_register_cb(errs.append)
c.set_callback(lambda tp, m: got.append(m))
c.connect()
t = topic("attempts")
c.subscribe(t)

eq(c.check_msg(attempts=0), None, "attempts=0")
eq(c.check_msg(2), None, "nothing waiting")

# The broker restarts under the client: the first read meets the EOF, the
# reconnect succeeds (resubscribing), the second read finds nothing yet.
testenv.broker_ctl("kill", port)
testenv.broker_ctl("start", port)
eq(c.check_msg(attempts=2), None, "check_msg(attempts=2) across a restart")
eq(errs, ["reconnect_start", "reconnect_success"], "reconnected inside the call")
eq(c.get_mqttsta(), 0, "connected")
eq(c.publish(t, b"x"), True, "publish")
t0 = time.ticks_ms()
while not got and time.ticks_diff(time.ticks_ms(), t0) < 5000:
    c.check_msg(1)
eq(got, [b"x"], "resubscribed")

# attempts=1 with the broker down: one read, one refused reconnect, None.
testenv.broker_ctl("stop", port)
del errs[:]
eq(c.check_msg(attempts=1), None, "broker down")
eq(errs, ["reconnect_start"], "one attempt, not reconnected")
eq(c.get_mqttsta(), 1, "reconnecting")
testenv.broker_ctl("start", port)
eq(c.check_msg(1), None, "reconnects on the next call")
eq(errs, ["reconnect_start", "reconnect_success"], "reconnected")
eq(c.reconnect(), 0, "reconnect(): the session-present flag (clean session)")
c.disconnect()
print("OK")
