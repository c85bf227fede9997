# umqtt-rs demo: subscribe to a topic, publish to it at QoS 0 and QoS 1, and
# receive both messages back, with the broker's acknowledgements.
#
#   python3 tests/broker.py --run build/unix/micropython examples/demo.py
#
# tests/broker.py starts a private mosquitto and passes its port in MQTT_PORT.
# Exits with 1 if the round trip does not complete within TIMEOUT_MS.
import os
import sys
import time

from umqtt.simple2 import MQTTClient

HOST = "127.0.0.1"
PORT = int(os.getenv("MQTT_PORT") or 1883)
TIMEOUT_MS = 5000
STATUS = {0: "timed out", 1: "delivered", 2: "unknown pid"}

received = []
acked = []


def on_message(topic, msg, retained, dup):
    print("received   %s: %s (retained=%s, dup=%s)" % (topic.decode(), msg.decode(), retained, dup))
    received.append(msg)


def on_status(pid, status):
    print("status     pid %d: %s" % (pid, STATUS.get(status, status)))
    acked.append(pid)


def wait_for(done):
    # check_msg() handles at most one waiting packet and returns at once when
    # there is none, so poll it until done() or the deadline.
    deadline = time.ticks_add(time.ticks_ms(), TIMEOUT_MS)
    while not done():
        if time.ticks_diff(deadline, time.ticks_ms()) <= 0:
            return False
        client.check_msg()
        time.sleep_ms(5)
    return True


stamp = time.ticks_ms()
topic = b"umqtt-rs/demo/%d" % stamp
client = MQTTClient("umqtt-rs-demo-%d" % stamp, HOST, port=PORT, keepalive=30)
client.set_callback(on_message)
client.set_callback_status(on_status)

print("connecting to %s:%d" % (HOST, PORT))
print("connected  session present: %d" % client.connect())

ok = True
sub_pid = client.subscribe(topic, 1)
print("subscribe  %s (pid %d)" % (topic.decode(), sub_pid))
if not wait_for(lambda: sub_pid in acked):
    print("no SUBACK")
    ok = False

if ok:
    client.publish(topic, b"hello at QoS 0")
    print("published  QoS 0")
    pub_pid = client.publish(topic, b"hello at QoS 1", qos=1)
    print("published  QoS 1 (pid %d)" % pub_pid)
    if not wait_for(lambda: len(received) >= 2 and pub_pid in acked):
        print("round trip incomplete: %d of 2 messages, PUBACK %s" % (
            len(received), "received" if pub_pid in acked else "missing"))
        ok = False

client.disconnect()
print("disconnected")
sys.exit(0 if ok else 1)
