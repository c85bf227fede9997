# Module surface of umqtt.simple2: names, MQTTException, pid_gen, the
# constructor defaults and the attributes tests/subclasses rely on.
# No broker traffic.
# offline
from mqttutil import check, eq, raises
import umqtt.simple2 as s2
from umqtt.simple2 import MQTTClient, MQTTException, pid_gen

# MQTTException is an Exception whose args are numeric codes.
check(issubclass(MQTTException, Exception), "MQTTException must subclass Exception")
e = MQTTException(20, 7)
eq(e.args, (20, 7), "MQTTException args")
try:
    raise MQTTException(30)
except Exception as ex:
    eq(ex.args[0], 30, "raised code")
    check(isinstance(ex, MQTTException))

# pid_gen: 1..65535, then wraps to 1 (never 0).
g = pid_gen()
eq([next(g) for _ in range(3)], [1, 2, 3], "pid_gen()")
g = pid_gen(65533)
eq([next(g) for _ in range(4)], [65534, 65535, 1, 2], "pid_gen(65533) wrap")
g = pid_gen(65535)
eq(next(g), 1, "pid_gen(65535) first")
# full cycle: 65535 distinct non-zero values, then repeat
g = pid_gen()
seen_zero = False
first = next(g)
n = 1
while True:
    p = next(g)
    if p == 0:
        seen_zero = True
    if p == first:
        break
    n += 1
eq(n, 65535, "pid_gen period")
check(not seen_zero, "pid_gen produced 0")

# Constructor defaults.
c = MQTTClient("cid", "127.0.0.1")
eq(c.port, 1883, "default port")
eq(c.ssl, False, "default ssl")
eq(c.ssl_params, {}, "default ssl_params")
eq(c.user, None, "default user")
eq(c.pswd, None, "default pswd")
eq(c.keepalive, 0, "default keepalive")
eq(c.socket_timeout, 5, "default socket_timeout")
eq(c.message_timeout, 10, "default message_timeout")
eq(c.sock, None, "sock before connect")
eq(c.cb, None, "cb before set_callback")
eq(c.rcv_pids, {}, "rcv_pids")
# A live mapping pid -> deadline (umqtt-rs: a view of the engine's table,
# not a dict subclass); everything simple2 code does with the dict works.
for name in ("keys", "values", "items", "get", "pop", "clear"):
    check(hasattr(c.rcv_pids, name), "rcv_pids." + name)
check(len(c.rcv_pids) == 0 and 1 not in c.rcv_pids, "empty rcv_pids")
eq(c.client_id, "cid", "client_id")
eq(c.server, "127.0.0.1", "server")
c.cbstat(1, 1)  # default status callback is a no-op callable
eq(next(c.newpid), 1, "newpid starts at 1")
eq((c.lw_topic, c.lw_msg, c.lw_qos, c.lw_retain), (None, None, 0, False), "lw defaults")

eq(MQTTClient("cid", "127.0.0.1", ssl=True).port, 8883, "ssl default port")
eq(MQTTClient("cid", "127.0.0.1", port=0, ssl=True).port, 8883, "port=0 ssl")
eq(MQTTClient("cid", "127.0.0.1", port=0).port, 1883, "port=0")
eq(MQTTClient("cid", "127.0.0.1", port=1234, ssl=True).port, 1234, "explicit port")

c = MQTTClient("cid", "h", 1885, "u", "p", 30, False, {"a": 1}, 3, 7)
eq((c.port, c.user, c.pswd, c.keepalive, c.ssl_params, c.socket_timeout,
    c.message_timeout), (1885, "u", "p", 30, {"a": 1}, 3, 7), "positional args")
c = MQTTClient("cid", "h", socket_timeout=None)
eq(c.socket_timeout, None, "socket_timeout None")

# set_callback / set_callback_status store the callables.
f = lambda t, m, r, d: None
g2 = lambda p, s: None
c.set_callback(f)
c.set_callback_status(g2)
check(c.cb is f, "set_callback")
check(c.cbstat is g2, "set_callback_status")

# set_last_will asserts 0<=qos<=2 and a non-empty topic; stores the fields.
c.set_last_will(b"lw/t", b"bye", retain=True, qos=2)
eq((c.lw_topic, c.lw_msg, c.lw_qos, c.lw_retain), (b"lw/t", b"bye", 2, True), "last will")
raises(AssertionError, c.set_last_will, b"lw/t", b"bye", False, 3)
raises(AssertionError, c.set_last_will, b"lw/t", b"bye", False, -1)
raises(AssertionError, c.set_last_will, b"", b"bye")

# The attributes the status/timeout machinery uses are writable.
c.newpid = pid_gen(100)
eq(next(c.newpid), 101, "replaced newpid")
c.message_timeout = 2
eq(c.message_timeout, 2, "message_timeout writable")

# disconnect() on a never-connected client is a no-op.
c.disconnect()
eq(c.sock, None, "sock after no-op disconnect")

print("OK")
