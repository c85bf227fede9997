# Publish with umqtt.simple (the micropython-lib API): QoS 0, QoS 1 (publish()
# returns once the broker's PUBACK has come) and a retained message, which a
# second client then receives on subscribing.
#
#   python3 tests/broker.py --run build/unix/micropython examples/publish.py
#
# MQTT_PORT (set by tests/broker.py) is the broker's port on 127.0.0.1.
# Exits 0 on success, 1 if the retained message does not come back in time.
import os
import sys
import time

from umqtt.simple import MQTTClient

HOST = "127.0.0.1"
PORT = int(os.getenv("MQTT_PORT") or 1883)
stamp = time.ticks_ms()
topic = b"umqtt-rs/examples/publish/%d" % stamp

pub = MQTTClient("ex-pub-%d" % stamp, HOST, port=PORT)
pub.connect()
pub.publish(topic, b"hello at QoS 0")
pub.publish(topic, b"hello at QoS 1", qos=1)  # blocks until PUBACK (OSError after message_timeout)
pub.publish(topic, b"last known value", retain=True, qos=1)
print("published QoS 0, QoS 1 and a retained message to", topic.decode())
pub.disconnect()

# A late subscriber gets the retained message at once.
got = []
sub = MQTTClient("ex-sub-%d" % stamp, HOST, port=PORT)
sub.set_callback(lambda t, m: got.append(m))
sub.connect()
sub.subscribe(topic)  # blocks until SUBACK
deadline = time.ticks_add(time.ticks_ms(), 5000)
while not got and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    sub.check_msg()
    time.sleep_ms(5)
print("late subscriber got:", got)
ok = got == [b"last known value"]

# Clear the retained message (an empty retained payload deletes it).
sub.publish(topic, b"", retain=True, qos=1)
sub.disconnect()
sys.exit(0 if ok else 1)
