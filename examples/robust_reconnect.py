# Recovering from a lost connection with umqtt.robust2: operations never
# raise connection errors; they record them in conn_issue and queue what
# could not be sent. The application loop reconnects, resubscribes and
# sends the queue.
#
#   python3 tests/broker.py --run build/unix/micropython examples/robust_reconnect.py
#
# The connection is broken by closing the socket under the client (as a
# dropped network would). Exits 0 once the message published while
# disconnected has been delivered after the reconnect, 1 otherwise.
import os
import sys
import time

from umqtt.robust2 import MQTTClient

HOST = "127.0.0.1"
PORT = int(os.getenv("MQTT_PORT") or 1883)
stamp = time.ticks_ms()
topic = b"umqtt-rs/examples/robust/%d" % stamp
got = []

c = MQTTClient("ex-robust-%d" % stamp, HOST, port=PORT, keepalive=30, socket_timeout=2, message_timeout=3)
c.DEBUG = True  # print each connection issue
c.set_callback(lambda t, m, retained, dup: got.append(m))
c.connect(clean_session=False)
c.subscribe(topic, 1)  # remembered in c.subs for resubscribe()

c.sock.close()  # the network goes away
c.publish(topic, b"sent while offline", qos=1)  # no exception: queued
print("conn_issue:", c.conn_issue, "queued:", c.msg_to_send)

deadline = time.ticks_add(time.ticks_ms(), 15000)
while time.ticks_diff(deadline, time.ticks_ms()) > 0:
    # The loop of robust2's own examples.
    if c.is_conn_issue():
        while c.is_conn_issue() and time.ticks_diff(deadline, time.ticks_ms()) > 0:
            c.reconnect()  # connect(clean_session=False)
            if c.is_conn_issue():
                time.sleep_ms(200)
        else:
            print("reconnected")
            c.resubscribe()
    c.check_msg()
    c.send_queue()
    if got and not c.things_to_do():
        break
    time.sleep_ms(10)
c.disconnect()
print("received:", got)
sys.exit(0 if got == [b"sent while offline"] else 1)
