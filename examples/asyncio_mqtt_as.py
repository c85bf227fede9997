# asyncio with mqtt_as (Peter Hinch's API): the event interface
# (config["queue_len"] > 0) gives client.up / client.down events and an
# async message queue. One task publishes at QoS 1 while another reads the
# messages back.
#
#   python3 tests/broker.py --run build/unix/micropython examples/asyncio_mqtt_as.py
#
# Exits 0 once all messages came back, 1 on failure or after TIMEOUT_S.
import os
import sys
import time

import asyncio
from mqtt_as import MQTTClient, config

PORT = int(os.getenv("MQTT_PORT") or 1883)
TIMEOUT_S = 15
N = 5
stamp = time.ticks_ms()
topic = b"umqtt-rs/examples/asyncio/%d" % stamp

config["server"] = "127.0.0.1"
config["port"] = PORT
config["client_id"] = "ex-asyncio-%d" % stamp
config["queue_len"] = 4  # event interface
config["response_time"] = 5


async def receiver(client, got):
    async for t, msg, retained in client.queue:
        print("received", t.decode(), msg.decode(), "retained" if retained else "")
        got.append(msg)
        if len(got) == N:
            return


async def main():
    client = MQTTClient(config)
    await client.connect()  # the first connect raises OSError if the broker is not there
    await client.up.wait()
    client.up.clear()
    print("connected")
    await client.subscribe(topic, 1)  # returns once the SUBACK has come
    got = []
    rx = asyncio.create_task(receiver(client, got))
    for i in range(N):
        await client.publish(topic, b"tick %d" % i, qos=1)  # returns once the PUBACK has come
    try:
        await asyncio.wait_for(rx, TIMEOUT_S)
    except asyncio.TimeoutError:
        print("only %d of %d messages came back" % (len(got), N))
    await client.disconnect()
    return got == [b"tick %d" % i for i in range(N)]


ok = asyncio.run(main())
print("OK" if ok else "FAILED")
sys.exit(0 if ok else 1)
