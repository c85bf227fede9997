# `from umqtt import MQTTClient` with reconn=False and an error callback
# (issue 17, item 8; QuecPython's "external reconnection" example): a lost
# connection is reported once, to the error callback, and wait_msg() /
# check_msg() raise OSError, as the example's listener expects; further
# calls raise again without calling the callback (no busy loop). When the
# callback reconnects (the example's close() + connect() + subscribe()),
# the call that reported the loss returns None and the client goes on.
# timeout: 60
# needs: client
import time
import testenv
from mqttutil import check, eq, topic, uid
from umqtt import MQTTClient

port = testenv.broker_ctl("start")
t = topic("noreconn")

for how in ("wait", "check"):
    errs = []
    c = MQTTClient(uid("noreconn"), testenv.HOST, port, reconn=False)
    c.error_register_cb(errs.append)
    c.connect()
    c.subscribe(t)
    testenv.broker_ctl("stop", port)
    fn = c.wait_msg if how == "wait" else c.check_msg
    raised = 0
    t0 = time.ticks_ms()
    while time.ticks_diff(time.ticks_ms(), t0) < 300:
        try:
            fn()
        except OSError:
            raised += 1
    check(raised > 0, "%s_msg() raised OSError" % how)
    eq(len(errs), 1, "%s_msg(): the error callback once (%d calls raised)" % (how, raised))
    check(isinstance(errs[0], str), "error string: %r" % errs)
    check(c.get_mqttsta() != 0, "not connected")
    testenv.broker_ctl("start", port)

# The callback reconnects, as the document's example does.
got, errs = [], []
c = MQTTClient(uid("noreconn-cb"), testenv.HOST, port, reconn=False)


def err_cb(e):
    errs.append(e)
    c.close()
    for _ in range(50):
        try:
            c.connect()
            break
        except OSError:
            time.sleep_ms(100)
    c.subscribe(t)


c.set_callback(lambda tp, m: got.append(m))
c.error_register_cb(err_cb)
c.connect()
c.subscribe(t)
testenv.broker_ctl("kill", port)
testenv.broker_ctl("start", port)
t0 = time.ticks_ms()
eq(c.wait_msg(), None, "wait_msg() once the callback has reconnected")
eq(len(errs), 1, "one error")
eq(c.get_mqttsta(), 0, "connected again")
eq(c.publish(t, b"back"), True, "publish")
while b"back" not in got and time.ticks_diff(time.ticks_ms(), t0) < 5000:
    c.wait_msg()
eq(got, [b"back"], "the client goes on")
c.disconnect()
print("OK")
