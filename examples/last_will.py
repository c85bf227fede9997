# Last will: the broker publishes a client's will message when that client
# goes away without DISCONNECT (here: its socket is closed under it, as a
# crash or a lost network would). An observer receives the retained will.
#
#   python3 tests/broker.py --run build/unix/micropython examples/last_will.py
#
# Exits 0 on success, 1 if the will does not arrive in time.
import os
import sys
import time

from umqtt.simple2 import MQTTClient

HOST = "127.0.0.1"
PORT = int(os.getenv("MQTT_PORT") or 1883)
stamp = time.ticks_ms()
status_topic = b"umqtt-rs/examples/will/%d/status" % stamp

device = MQTTClient("ex-device-%d" % stamp, HOST, port=PORT, keepalive=10)
device.set_last_will(status_topic, b"offline", retain=True, qos=1)
device.connect()
device.publish(status_topic, b"online", retain=True, qos=1)

seen = []
observer = MQTTClient("ex-observer-%d" % stamp, HOST, port=PORT)
observer.set_callback(lambda t, m, retained, dup: seen.append(m))
observer.connect()
observer.subscribe(status_topic, 1)


def wait_for(done, ms=5000):
    deadline = time.ticks_add(time.ticks_ms(), ms)
    while not done() and time.ticks_diff(deadline, time.ticks_ms()) > 0:
        observer.check_msg()
        time.sleep_ms(5)
    return done()


wait_for(lambda: b"online" in seen)
print("observer saw:", seen)
device.sock.close()  # no DISCONNECT: the broker sends the will
print("device connection dropped")
ok = wait_for(lambda: b"offline" in seen)
print("observer saw:", seen)
observer.publish(status_topic, b"", retain=True)  # clear the retained status
observer.disconnect()
sys.exit(0 if ok else 1)
