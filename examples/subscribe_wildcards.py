# Subscribe with MQTT wildcards using umqtt.simple2: `+` matches one topic
# level, `#` any number of trailing levels. Publishes to five topics and
# checks that each subscription got exactly what it matches.
#
#   python3 tests/broker.py --run build/unix/micropython examples/subscribe_wildcards.py
#
# Exits 0 on success, 1 on a missing or unexpected message.
import os
import sys
import time

from umqtt.simple2 import MQTTClient

HOST = "127.0.0.1"
PORT = int(os.getenv("MQTT_PORT") or 1883)
stamp = time.ticks_ms()
base = b"umqtt-rs/examples/wild/%d/" % stamp

received = []


def on_message(topic, msg, retained, dup):
    print("received", topic.decode(), msg.decode())
    received.append(topic[len(base):])


acked = []
c = MQTTClient("ex-wild-%d" % stamp, HOST, port=PORT)
c.set_callback(on_message)
c.set_callback_status(lambda pid, status: acked.append(pid))
c.connect()
pids = [c.subscribe(base + b"+/temperature", 0),  # home/<room>/temperature
        c.subscribe(base + b"alerts/#", 0)]         # everything under alerts/


def wait_for(done, ms=5000):
    deadline = time.ticks_add(time.ticks_ms(), ms)
    while not done() and time.ticks_diff(deadline, time.ticks_ms()) > 0:
        c.check_msg()
        time.sleep_ms(5)
    return done()


if not wait_for(lambda: all(p in acked for p in pids)):
    print("no SUBACK")
    sys.exit(1)

for t in (b"kitchen/temperature", b"hall/temperature", b"kitchen/humidity",
          b"alerts/smoke", b"alerts/door/front"):
    c.publish(base + t, b"x")
expected = sorted([b"kitchen/temperature", b"hall/temperature", b"alerts/smoke", b"alerts/door/front"])
wait_for(lambda: len(received) >= len(expected))
wait_for(lambda: False, 300)  # anything unexpected would arrive now
c.disconnect()
ok = sorted(received) == expected
print("OK" if ok else "expected %r, got %r" % (expected, sorted(received)))
sys.exit(0 if ok else 1)
