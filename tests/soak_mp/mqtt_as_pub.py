# Outage soak publisher for mqtt_as (run by tests/soak.py, not by CI).
#
#   micropython mqtt_as_pub.py HOST PORT TOPIC COUNT CLIENT_ID RATE
#
# TASKS coroutines publish COUNT QoS 1 messages (payload: the sequence
# number in decimal) through one mqtt_as client; each takes the next number
# and awaits publish(); message k starts no earlier than k / RATE seconds
# after the start (RATE 0: no pacing). A message counts as acknowledged
# when its publish() coroutine has returned (mqtt_as retries with DUP, reconnects and publishes
# again until the PUBACK arrives). The client keeps its session
# (clean_init=True, clean=False) and reconnects in the background.
# Output, one record per line, for the runner:
#   A seq seq ...   acknowledged sequence numbers
#   R n             (re)connected (n-th connection)
#   D text          connection lost
#   DONE key=value ...
import sys

import asyncio
from time import ticks_diff, ticks_ms

from mqtt_as import MQTTClient, config

HOST, PORT, TOPIC, COUNT, CID = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
RATE = int(sys.argv[6]) if len(sys.argv) > 6 else 0
TASKS = 16

acked = bytearray(COUNT)
n_acked = 0
next_seq = 0
pending_out = []
stats = {"connections": 0, "outages": 0, "dup_returns": 0}


def flush_acks():
    if pending_out:
        print("A " + " ".join(pending_out))
        pending_out.clear()


async def on_conn(c):
    stats["connections"] += 1
    print("R %d" % stats["connections"])


async def on_wifi(up):
    if not up:
        stats["outages"] += 1
        print("D %d" % stats["outages"])


t0 = 0


async def publisher(c):
    global next_seq, n_acked
    while next_seq < COUNT:
        seq = next_seq
        next_seq += 1
        if RATE:
            wait = seq * 1000 // RATE - ticks_diff(ticks_ms(), t0)
            if wait > 0:
                await asyncio.sleep_ms(wait)
        await c.publish(TOPIC, b"%d" % seq, qos=1)
        if acked[seq]:
            stats["dup_returns"] += 1
            continue
        acked[seq] = 1
        n_acked += 1
        pending_out.append(str(seq))
        if len(pending_out) >= 200:
            flush_acks()


async def flusher(stop):
    while not stop:
        flush_acks()
        await asyncio.sleep_ms(100)


async def main():
    d = dict(config)
    d.update(server=HOST, port=PORT, client_id=CID, keepalive=4, response_time=2,
             max_repubs=2, clean_init=True, clean=False, connect_coro=on_conn, wifi_coro=on_wifi)
    c = MQTTClient(d)
    while True:
        try:
            await c.connect()
            break
        except OSError:
            await asyncio.sleep_ms(200)
    stop = []
    fl = asyncio.create_task(flusher(stop))
    global t0
    t0 = ticks_ms()
    tasks = [asyncio.create_task(publisher(c)) for _ in range(TASKS)]
    for t in tasks:
        await t
    ms = ticks_diff(ticks_ms(), t0)
    stop.append(1)
    await fl
    flush_acks()
    await c.disconnect()
    print("DONE sent=%d acked=%d ms=%d republications=%d %s"
          % (next_seq, n_acked, ms, c.REPUB_COUNT, " ".join("%s=%d" % kv for kv in stats.items())))


asyncio.run(main())
