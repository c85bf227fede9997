# mqtt_as (umqtt-rs): a message larger than the free heap (within
# max_packet_size) is read off the socket and dropped, as for the blocking
# facades (EMSGSKIPPED), and the connection stays up: no reconnect, and the
# next message is delivered.
# timeout: 60
# needs: mqtt_as
import asyncio
import gc
import testenv
from time import ticks_ms, ticks_diff
from mqttutil import check, eq, topic, uid, connected

from mqtt_as import MQTTClient, config

T = topic("askip")
T = T.decode() if isinstance(T, bytes) else T
got = []
ups = []


def on_msg(t, m, retained):
    got.append((t, len(m)))


async def on_up(client):
    ups.append(ticks_ms())


async def until(cond, ms):
    t0 = ticks_ms()
    while not cond() and ticks_diff(ticks_ms(), t0) < ms:
        await asyncio.sleep_ms(20)
    return cond()


async def main():
    d = dict(config)
    d.update(server=testenv.HOST, port=testenv.PORT, client_id=uid("askip"), response_time=5,
             keepalive=30, subs_cb=on_msg, connect_coro=on_up, max_packet_size=4 * 1024 * 1024)
    c = MQTTClient(d)
    await c.connect()
    await c.subscribe(T, 0)
    pub = connected("askpub")
    gc.collect()
    size = gc.mem_free() // 3
    big = bytes(size)
    pub.publish(T.encode(), big)
    gc.collect()
    ballast = bytearray(gc.mem_free() - size // 2)  # less free heap than the message needs
    await asyncio.sleep_ms(1000)  # the reader meets it and drops it
    eq(got, [], "the oversized message is not delivered")
    del ballast
    gc.collect()
    pub.publish(T.encode(), b"next")
    check(await until(lambda: got, 5000), "the next message was not delivered")
    eq(got, [(T.encode(), 4)], "the next message")
    eq(len(ups), 1, "connections (no reconnect for a skipped message)")
    pub.disconnect()
    await c.disconnect()


asyncio.run(main())
print("OK")
