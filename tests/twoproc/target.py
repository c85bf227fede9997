# The target of the two-process test (tests/twoproc/run.py), run on our
# firmware: mqtt_as (umqtt-rs) as an application would use it, in the spirit
# of mqtt_as's own tests/v3 and tests/v5 target.py.
#
#   micropython target.py HOST PORT PREFIX VERSION IFACE
#
# VERSION 3 or 5 (config["mqttv5"]); IFACE "events" (queue_len > 0, the up
# event subscribes) or "callback" (subs_cb, connect_coro subscribes). Once
# subscribed to PREFIX/control it prints READY. A control message is JSON
# [cmd, topic, msg, props]: cmd subscribe / unsubscribe / publish (QoS 1,
# with props) / quit; when the await has returned it publishes
# ["done", cmd, topic] to PREFIX/response. Any other message is echoed to
# PREFIX/response as ["echo", topic, msg, retained, [type names of the
# values mqtt_as handed out], props], props being the 4th value (None or the
# dict) or null when there is none. JSON keys are strings: property ids are
# written as "3"; bytes values as ["bytes", hex].
import sys
import json
import asyncio
from binascii import hexlify, unhexlify

from mqtt_as import MQTTClient, config

HOST, PORT, PREFIX, VERSION, IFACE = sys.argv[1:6]
CONTROL = PREFIX + "/control"
RESPONSE = PREFIX + "/response"
EVENTS = IFACE == "events"

inbox = []
arrived = asyncio.Event()
stop = asyncio.Event()
ready = False


def to_json(v):
    if isinstance(v, (bytes, bytearray)):
        return ["bytes", hexlify(v).decode()]
    if isinstance(v, dict):
        return {str(k): to_json(x) for k, x in v.items()}
    return v


def from_json(props):
    if props is None:
        return None
    out = {}
    for k, v in props.items():
        if isinstance(v, list) and len(v) == 2 and v[0] == "bytes":
            v = unhexlify(v[1])
        out[int(k)] = v
    return out


async def handle(item):
    topic = item[0].decode()
    msg = bytes(item[1]).decode()
    if topic != CONTROL:
        props = to_json(item[3]) if len(item) > 3 else None
        types = [type(x).__name__ for x in item]
        await client.publish(RESPONSE, json.dumps(["echo", topic, msg, item[2], types, props]), qos=1)
        return
    cmd, tpc, text, props = json.loads(msg)
    props = from_json(props)
    if cmd == "subscribe":
        await client.subscribe(tpc, 1, properties=props)
    elif cmd == "unsubscribe":
        await client.unsubscribe(tpc)
    elif cmd == "publish":
        await client.publish(tpc, text, qos=1, properties=props)
    await client.publish(RESPONSE, json.dumps(["done", cmd, tpc]), qos=1)
    if cmd == "quit":  # after the reply: main() cancels this task
        stop.set()


async def on_up(c):
    global ready
    await c.subscribe(CONTROL, 1)
    if not ready:
        ready = True
        print("READY")


async def events_up():
    while True:
        await client.up.wait()
        client.up.clear()
        await on_up(client)


async def events_down():
    while True:
        await client.down.wait()
        client.down.clear()
        print("DOWN")


async def events_messages():
    async for item in client.queue:
        await handle(item)


def subs_cb(*args):
    # Runs in the reader: hand over to one task, messages stay in order.
    inbox.append(args)
    arrived.set()


async def callback_messages():
    while True:
        while not inbox:
            arrived.clear()
            await arrived.wait()
        await handle(inbox.pop(0))


async def wifi_coro(state):
    if not state:
        print("DOWN")


async def main():
    await client.connect()
    if EVENTS:
        tasks = [asyncio.create_task(f()) for f in (events_up, events_down, events_messages)]
    else:
        tasks = [asyncio.create_task(callback_messages())]
    await stop.wait()
    for t in tasks:
        t.cancel()
    await client.disconnect()
    print("BYE")


config.update(server=HOST, port=int(PORT), client_id=PREFIX.replace("/", "-"),
              keepalive=60, response_time=5, mqttv5=VERSION == "5")
if EVENTS:
    config["queue_len"] = 8
else:
    config.update(subs_cb=subs_cb, connect_coro=on_up, wifi_coro=wifi_coro)
client = MQTTClient(config)
try:
    asyncio.run(main())
finally:
    client.close()
