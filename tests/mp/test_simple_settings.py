# umqtt.simple's attributes kept in the native client (_umqtt.Simple,
# cmodule/umqtt_simple2.c): read and replaced exactly as micropython-lib's
# instance attributes -- an instance's own value wins, a subclass's class
# attribute, method or property wins over the client's value -- with
# micropython-lib's defaults; the instance dict stays empty after create +
# connect; simple2-only names do not show through.
# needs: simple
import testenv
from mqttutil import check, eq, raises, uid, topic, wait_until, close_quietly
from umqtt.simple import MQTTClient
import umqtt.robust

for cls in (MQTTClient, umqtt.robust.MQTTClient):
    c = cls(uid("set"), testenv.HOST, port=testenv.PORT)
    c.set_callback(lambda t, m: None)
    c.connect()
    eq(c.__dict__, {}, "%s instance dict after create + connect" % cls.__module__)
    close_quietly(c)

# micropython-lib's attributes and defaults (and ours: socket_timeout 30...).
c = MQTTClient(b"id", "h")
eq((c.client_id, c.server, c.port, c.ssl, c.ssl_params, c.pid, c.cb, c.user, c.pswd, c.keepalive),
   (b"id", "h", 1883, None, {}, 0, None, None, None, 0), "defaults")
eq((c.lw_topic, c.lw_msg, c.lw_qos, c.lw_retain), (None, None, 0, False), "last-will defaults")
eq((c.socket_timeout, c.message_timeout), (30, 10), "timeouts")
eq(c.cbstat, c._status, "cbstat: the façade's status handler")
eq(len(c._pending()), 0, "_pending(): nothing in flight")
check(c.newpid is c.newpid, "newpid: one generator per client")
eq(MQTTClient("d", "h", 0, "u", "p", 60, True, {"a": 1}).__dict__, {}, "no dict with every argument")
d = MQTTClient("d", "h", 0, "u", "p", 60, True, {"a": 1})
eq((d.port, d.user, d.pswd, d.keepalive, d.ssl, d.ssl_params), (8883, "u", "p", 60, True, {"a": 1}), "given")
# simple2-only names are not umqtt.simple's.
for name in ("sock_raw", "last_ping", "last_cpacket", "rcv_pids", "poller_r", "set_callback_status"):
    check(not hasattr(c, name), "umqtt.simple has no %s" % name)
c.ssl_params["k"] = 1  # the dict read is the client's: a change to it stays
eq(c.ssl_params, {"k": 1}, "ssl_params kept")

# An instance value wins over the client's (read by the native code too);
# set_callback and set_last_will store as micropython-lib's do.
c = MQTTClient(uid("own"), testenv.HOST, port=testenv.PORT)
c.keepalive = 70000
raises(AssertionError, c.connect)  # micropython-lib's assert keepalive < 65536
del c.keepalive
eq(c.keepalive, 0, "the client's value again after del")
got = []
c.set_callback(lambda t, m: got.append(m))
c.set_last_will(topic("will"), b"gone", qos=1)
eq((c.lw_msg, c.lw_qos), (b"gone", 1), "set_last_will")
c.connect()
eq(sorted(c.__dict__), ["lw_msg", "lw_qos", "lw_retain", "lw_topic"], "only what the program assigned")
c.socket_timeout = float("nan")
raises(ValueError, c.publish, topic("s"), b"x")
del c.socket_timeout
t = topic("own")
c.subscribe(t)
c.publish(t, b"qos1", qos=1)
eq(c.pid, 2, "pid: the last packet id (subscribe 1, publish 2)")
check(wait_until(c, lambda: got, 3), "no message to the callback")
eq(got, [b"qos1"], "message to set_callback's function")
c.newpid = iter([77])
c.publish(t, b"x", qos=1)  # the program's newpid is used
raises(OSError, c.connect, timeout=0)  # a timeout connect keeps no socket
c.disconnect()
check(c.sock is None, "disconnect leaves sock None")


# A subclass's class attributes, methods and properties win over the client's values.
class Sub(MQTTClient):
    keepalive = 30
    got = None

    def cb(self, t, m):  # a method as the message callback
        Sub.got = (t, m)

    @property
    def message_timeout(self):
        return 7


s = Sub(uid("sub"), testenv.HOST, port=testenv.PORT)
eq((s.keepalive, s.message_timeout), (30, 7), "the subclass's class attribute and property")
s.connect()
eq(s.__dict__, {}, "subclass instance dict after connect")
t = topic("sub")
s.subscribe(t)
s.publish(t, b"to the method")
check(wait_until(s, lambda: Sub.got is not None, 3), "the subclass's cb method got no message")
eq(Sub.got, (t, b"to the method"), "message to the subclass's cb method")
close_quietly(s)
print("OK")
