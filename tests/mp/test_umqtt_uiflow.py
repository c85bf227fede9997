# `from umqtt import MQTTClient`, UIFlow2 style: subscribe(topic, handler, qos)
# with handler((topic, msg)) run through micropython.schedule, wildcard
# filters matched by the core (UIFlow's own client drops them), a burst
# larger than the handler queue (no "schedule queue full"), unsubscribe,
# _umqtt.topic_matches, and `import umqtt.simple2` not loading the client.
# needs: client
import sys
import time
import testenv
from mqttutil import check, eq, raises, topic, uid
import umqtt.simple2
check("umqtt._client" not in sys.modules, "import umqtt.simple2 stays cheap")
from umqtt import MQTTClient
import _umqtt

tm = _umqtt.topic_matches
eq([tm(b"a/+/c", b"a/b/c"), tm("a/#", "a"), tm(b"#", b"$SYS/x"), tm(b"a/+", b"a/b/c")],
   [True, True, False, False], "topic_matches")
raises(ValueError, tm, b"a/#/b", b"a")

got = []
exact = []
c = MQTTClient(uid("m5"), testenv.HOST, port=testenv.PORT, keepalive=0)
eq(c.connect(), 0, "connect")
base = topic("m5")
c.subscribe(base + b"/+/temp", lambda d: got.append(d), 1)
c.subscribe(base + b"/exact", exact.append)
c.subscribe(base + b"/all/#", lambda d: got.append((b"all",) + d), 0)
eq(c.publish(base + b"/k/temp", b"21", qos=1), True, "publish returns True")
c.publish(base + b"/exact", b"e")
c.publish(base + b"/all/x/y", b"deep")
c.publish(base + b"/k/other", b"ignored")
deadline = time.ticks_add(time.ticks_ms(), 5000)
while (len(got) < 2 or not exact) and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    c.check_msg()
    time.sleep_ms(1)  # lets scheduled handlers run
eq(sorted(got), sorted([(base + b"/k/temp", b"21"), (b"all", base + b"/all/x/y", b"deep")]), "wildcard handlers")
eq(exact, [(base + b"/exact", b"e")], "exact handler")

# A burst: more messages than the handler queue; none lost, no RuntimeError.
got.clear()
for i in range(40):
    c.publish(base + b"/b%d/temp" % i, b"%d" % i)
deadline = time.ticks_add(time.ticks_ms(), 5000)
while len(got) < 40 and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    c.check_msg()
eq(sorted(int(m) for _, m in got), list(range(40)), "burst delivered once each")

c.unsubscribe(base + b"/+/temp")
got.clear()
c.publish(base + b"/k/temp", b"after", qos=1)
time.sleep_ms(200)
for _ in range(20):
    c.check_msg()
time.sleep_ms(10)
eq(got, [], "nothing after unsubscribe")
c.disconnect()
print("OK")
