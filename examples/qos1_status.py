# QoS 1 with status callbacks (umqtt.simple2): publish() returns a packet id
# at once; the status callback later reports (pid, 1) when the broker's
# PUBACK arrives, or (pid, 0) if none comes within message_timeout.
# rcv_pids shows the ids still awaiting an ack.
#
#   python3 tests/broker.py --run build/unix/micropython examples/qos1_status.py
#
# Exits 0 on success, 1 otherwise.
import os
import sys
import time

from umqtt import errno
from umqtt.simple2 import MQTTClient

HOST = "127.0.0.1"
PORT = int(os.getenv("MQTT_PORT") or 1883)
NAMES = {errno.STIMEOUT: "timed out", errno.SDELIVERED: "delivered", errno.SUNKNOWNPID: "unknown pid"}
stamp = time.ticks_ms()
topic = b"umqtt-rs/examples/qos1/%d" % stamp
status = {}


def on_status(pid, st):
    print("pid %d: %s" % (pid, NAMES.get(st, st)))
    status[pid] = st


c = MQTTClient("ex-qos1-%d" % stamp, HOST, port=PORT, message_timeout=2)
c.set_callback_status(on_status)
c.connect()
pids = [c.publish(topic, b"reading %d" % i, qos=1) for i in range(5)]
print("sent pids", pids, "awaiting:", sorted(c.rcv_pids.keys()))

# A pid nobody will acknowledge, to show the timeout: it is reported as
# (pid, 0) once its deadline (ticks_ms) has passed.
ghost = 40000
c.rcv_pids[ghost] = time.ticks_add(time.ticks_ms(), 1000)

deadline = time.ticks_add(time.ticks_ms(), 6000)
while len(status) < len(pids) + 1 and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    c.check_msg()
    time.sleep_ms(5)
c.disconnect()
ok = all(status.get(p) == errno.SDELIVERED for p in pids) and status.get(ghost) == errno.STIMEOUT
print("OK" if ok else "unexpected statuses: %r" % status)
sys.exit(0 if ok else 1)
