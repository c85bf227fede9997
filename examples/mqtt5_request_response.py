# MQTT 5 request/response with `from umqtt import MQTTClient` (version=5):
# a "service" client answers requests on a topic; a "caller" sends a request
# with a Response Topic and Correlation Data, and matches the answer by its
# correlation data. User properties and the content type travel along, and
# the broker's CONNACK properties (what it allows) are printed.
#
#   python3 tests/broker.py --run build/unix/micropython examples/mqtt5_request_response.py
#
# Exits 0 once the answer came back with the right correlation data, 1 otherwise.
import os
import sys
import time

from umqtt import MQTTClient

HOST = "127.0.0.1"
PORT = int(os.getenv("MQTT_PORT") or 1883)
stamp = time.ticks_ms()
REQUESTS = b"umqtt-rs/examples/v5/%d/requests" % stamp


def client(name):
    c = MQTTClient("ex-v5-%s-%d" % (name, stamp), HOST, PORT, keepalive=30, version=5,
                   thread=False)
    c.connect(properties={0x11: 0})  # session expiry 0: the session ends with the connection
    return c


# The service: answers "add a b" requests on its response topic.
service = client("service")
print("broker allows:", service.connack_properties)


def serve(topic, msg, props):
    reply_to = props.get(0x08)  # Response Topic
    if reply_to is None:
        return
    a, b = (int(x) for x in msg.split()[1:])
    service.publish(reply_to.encode(), b"%d" % (a + b), qos=1, properties={
        0x09: props.get(0x09, b""),  # Correlation Data, echoed
        0x03: "text/plain",
        0x26: [("served-by", "example")],
    })


service.set_callback(serve)
service.subscribe(REQUESTS, qos=1)

# The caller: its own response topic, one request, waits for the answer.
caller = client("caller")
answers = {}
caller.set_callback(lambda topic, msg, props: answers.__setitem__(props.get(0x09), (msg, props)))
reply_topic = REQUESTS + b"/reply/" + caller.client_id.encode()
caller.subscribe(reply_topic, qos=1)
caller.publish(REQUESTS, b"add 2 40", qos=1, properties={
    0x08: reply_topic.decode(),  # Response Topic
    0x09: b"req-1",              # Correlation Data
    0x26: [("app", "example"), ("app", "v5")],
})

deadline = time.ticks_add(time.ticks_ms(), 5000)
while b"req-1" not in answers and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    service.check_msg()
    caller.check_msg()
    time.sleep_ms(5)

caller.disconnect()
service.disconnect()
if b"req-1" not in answers:
    print("no answer")
    sys.exit(1)
msg, props = answers[b"req-1"]
print("answer:", msg, "properties:", props)
sys.exit(0 if msg == b"42" and props.get(0x26) == [("served-by", "example")] else 1)
