# `from umqtt import MQTTClient`, QuecPython style, against a broker the
# harness kills and restarts: set_callback((topic, msg)), subscribe(topic,
# qos), publish -> bool, reconn=True reconnects with resubscription (with
# keepalive=5 the background thread does, delay(i) between its attempts;
# without _thread, check_msg() does), error_register_cb gets
# reconnect_start/_success, get_mqttsta, close() vs disconnect(), version=3
# (MQTT 3.1), keepalive default 0.
# timeout: 60
# needs: client mqtt31
import time
import testenv
from mqttutil import check, eq, raises, topic, uid
from umqtt import MQTTClient

eq(MQTTClient("x", "h").keepalive, 0, "keepalive default")

port = testenv.broker_ctl("start")


class Client(MQTTClient):
    DELAY = 0

    def delay(self, i):
        time.sleep_ms(50)


msgs, errs = [], []
c = Client(uid("quec"), testenv.HOST, port, keepalive=5, version=3)
c.set_callback(lambda t, m: msgs.append(m))
c.error_register_cb(errs.append)
eq(c.get_mqttsta(), -1, "not connected")
eq(c.connect(), 0, "MQTT 3.1 connect")
eq(c.get_mqttsta(), 0, "connected")
t = topic("quec")
c.subscribe(t, 1)
eq(c.publish(t, b"one", qos=1), True, "publish QoS1 -> True")
while b"one" not in msgs:
    c.wait_msg()

# clean session: after the restart the subscription exists only because the
# client subscribed again
testenv.broker_ctl("kill", port)
time.sleep_ms(100)
c.check_msg()
testenv.broker_ctl("start", port)
deadline = time.ticks_add(time.ticks_ms(), 5000)
while len(errs) < 2 and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    c.check_msg()
    time.sleep_ms(10)
eq(errs, ["reconnect_start", "reconnect_success"], "error callback notifications")
eq(c.get_mqttsta(), 0, "connected again")
eq(c.publish(t, b"two", qos=1), True, "publish after reconnect")
deadline = time.ticks_add(time.ticks_ms(), 5000)
while b"two" not in msgs and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    c.check_msg()
eq(msgs, [b"one", b"two"], "resubscribed")

# close(): socket only, connect() works again; disconnect(): ends reconnects
c.close()
eq(c.sock, None, "closed")
c.connect()
eq(c.publish(t, b"three"), True, "after close + connect")
c.disconnect()
eq(c.get_mqttsta(), -1, "disconnected")
eq(c.publish(t, b"x"), False, "publish after disconnect -> False")

# reconn=False: the error goes to the callback as a string, and check_msg()
# raises it (test_umqtt_noreconn has more)
q = MQTTClient(uid("noreconn"), testenv.HOST, port, keepalive=0, reconn=False)
q.error_register_cb(errs.append)
q.connect()
testenv.broker_ctl("stop", port)
time.sleep_ms(100)
raises(OSError, q.check_msg)
check(len(errs) == 3 and isinstance(errs[2], str), "error string: %r" % errs)
print("OK")
