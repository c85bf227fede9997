# mqtt_as (umqtt-rs): the event interface (queue_len > 0: client.up /
# client.down events around an outage the proxy causes, `async for topic,
# msg, retained in client.queue`, oldest message discarded on overflow and
# counted in queue.discards) and a persistent session (clean_init=True,
# clean=False): QoS 1 messages published while the subscriber's link is down
# arrive once it has reconnected by itself.
# timeout: 60
# needs: mqtt_as
import asyncio
import testenv
from time import ticks_ms, ticks_diff
from mqttutil import check, eq, topic, uid

from mqtt_as import MQTTClient, config

PROXY = int(testenv.broker_ctl("proxy", testenv.PORT))
T = topic("ev")
T = T.decode() if isinstance(T, bytes) else T


def ctl(*words):
    return testenv.broker_ctl("proxy", PROXY, *words)


def cfg(**kw):
    d = dict(config)
    d.update(server=testenv.HOST, port=PROXY, client_id=uid("ev"), response_time=1,
             keepalive=4)
    d.update(kw)
    return d


async def wait_event(ev, ms):
    try:
        await asyncio.wait_for_ms(ev.wait(), ms)
        return True
    except asyncio.TimeoutError:
        return False


async def main():
    direct = MQTTClient(cfg(port=testenv.PORT, response_time=5))
    await direct.connect()

    # --- event interface + persistent session --------------------------------
    c = MQTTClient(cfg(queue_len=8, clean_init=True, clean=False))
    await c.connect()
    check(await wait_event(c.up, 1000), "up after connect")
    c.up.clear()
    await c.subscribe(T + "/#", 1)

    got = []

    async def consume():
        async for t, m, r in c.queue:
            got.append((t, m, r))

    consumer = asyncio.create_task(consume())
    await direct.publish(T + "/live", "1", qos=1)
    t0 = ticks_ms()
    while not got and ticks_diff(ticks_ms(), t0) < 3000:
        await asyncio.sleep_ms(10)
    eq(got, [((T + "/live").encode(), b"1", False)], "message through the queue")

    # outage: connections reset and refused; the broker keeps the session
    eq(ctl("reset"), "ok", "proxy reset")
    check(await wait_event(c.down, 3000), "down event")
    c.down.clear()
    for i in range(5):
        await direct.publish(T + "/queued", str(i), qos=1)
    await asyncio.sleep_ms(300)
    eq(ctl("pass"), "ok", "proxy pass")
    check(await wait_event(c.up, 5000), "up event after the outage")
    t0 = ticks_ms()
    while len([g for g in got if g[0].endswith(b"/queued")]) < 5 and ticks_diff(ticks_ms(), t0) < 5000:
        await asyncio.sleep_ms(20)
    queued = sorted(int(g[1]) for g in got if g[0].endswith(b"/queued"))
    print("recovered from the server-side session:", queued)
    eq(queued, [0, 1, 2, 3, 4], "QoS 1 messages of the outage delivered after reconnect")
    check(c.isconnected(), "connected again")

    # overflow: the consumer stops; 11 messages into a queue of 8
    consumer.cancel()
    await asyncio.sleep_ms(0)
    before = c.queue.discards
    for i in range(11):
        await direct.publish(T + "/flood", str(i), qos=1)
    await asyncio.sleep_ms(500)
    eq(c.queue.discards - before, 3, "discards counted")
    left = []
    for _ in range(8):
        left.append(await asyncio.wait_for_ms(c.queue.__anext__(), 1000))
    eq([int(m) for _, m, _ in left], list(range(3, 11)), "oldest discarded, newest kept")

    await c.disconnect()
    await direct.disconnect()


asyncio.run(main())
print("OK")
