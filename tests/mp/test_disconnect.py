# disconnect(): sock becomes None; a second disconnect() is a no-op; using
# the client afterwards raises MQTTException (simple2: 28 ECONNOT, from the
# socket-wait helper, for publish/ping/subscribe/check_msg); reconnecting
# the same object works.
from mqttutil import (check, eq, connected, topic, Recorder, wait_until,
                      subscribe_sync, raises, mqtt_code, close_quietly)
from umqtt.simple2 import MQTTException

rec = Recorder()
c = connected("disc", rec)
eq(c.disconnect(), None, "disconnect() return value")
eq(c.sock, None, "sock after disconnect")
c.disconnect()
t = topic("d")
for name, fn, args in (("publish", c.publish, (t, b"x")),
                       ("publish qos1", c.publish, (t, b"x", False, 1)),
                       ("ping", c.ping, ()),
                       ("subscribe", c.subscribe, (t,)),
                       ("check_msg", c.check_msg, ()),
                       ("wait_msg", c.wait_msg, ())):
    e = raises(MQTTException, fn, *args)
    code = mqtt_code(e)
    print(name, "->", e.args)
    eq(code, 28, name + " after disconnect")

eq(c.connect(), 0, "reconnect after disconnect")
subscribe_sync(c, rec, t)
c.publish(t, b"back")
check(wait_until(c, lambda: rec.msgs), "no message after reconnect")
close_quietly(c)
print("OK")
