# micropython-lib's umqtt.simple checks set_last_will()'s qos and topic and
# connect()'s keepalive with `assert`: AssertionError. The façades are frozen
# with -O3, which drops assert statements, so they raise it explicitly; this
# proves it survives (no broker: the checks come before any I/O).
# needs: simple robust client
# offline
import umqtt.robust
import umqtt.simple
from umqtt import MQTTClient as Client
from mqttutil import check, eq, raises

for cls in (umqtt.simple.MQTTClient, umqtt.robust.MQTTClient, Client):
    name = cls.__module__ if hasattr(cls, "__module__") else repr(cls)
    c = cls("asserts", "127.0.0.1")
    for args in ((b"t", b"m", False, 3), (b"t", b"m", False, -1), (b"", b"m"), (None, b"m")):
        e = raises(AssertionError, c.set_last_will, *args)
        eq(type(e), AssertionError, "%s set_last_will%r: exception type" % (name, args))
    c.set_last_will(b"t", b"m", True, 2)  # valid: stored as given
    eq((c.lw_topic, c.lw_msg, c.lw_retain, c.lw_qos), (b"t", b"m", True, 2), "%s will" % name)
    c = cls("asserts", "127.0.0.1", keepalive=65536)
    e = raises(AssertionError, c.connect)
    eq(type(e), AssertionError, "%s connect(keepalive=65536): exception type" % name)
    check(c.sock is None, "%s: no socket after the refused connect" % name)

print("OK")
