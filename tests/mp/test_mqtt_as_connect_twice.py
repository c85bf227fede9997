# mqtt_as: `await connect()` while already connected returns at once and
# leaves the connection as it is; it used to make _keep_connected spin (an
# Event already set, awaited without yielding), freezing the event loop so
# that not even asyncio.wait_for could fire. Two connects at once (a task
# calling connect() while the keeper reconnects) do not start two
# connections either.
# timeout: 30
# needs: mqtt_as
import asyncio
import testenv
from mqttutil import check, eq, topic, uid
from mqtt_as import MQTTClient, config

got = []


def cfg():
    d = dict(config)
    d.update(server=testenv.HOST, port=testenv.PORT, client_id=uid("as2"), response_time=3,
             subs_cb=lambda t, m, r: got.append(m))
    return d


async def ticker(ticks):
    while True:
        ticks[0] += 1
        await asyncio.sleep_ms(10)


async def main():
    c = MQTTClient(cfg())
    await c.connect()
    ticks = [0]
    tk = asyncio.create_task(ticker(ticks))
    await asyncio.wait_for(c.connect(), 5)  # while connected
    await asyncio.wait_for(asyncio.gather(c.connect(), c.connect()), 5)
    n = ticks[0]
    await asyncio.sleep_ms(300)
    check(ticks[0] - n >= 10, "event loop frozen after a second connect(): %d ticks" % (ticks[0] - n))
    check(c.isconnected(), "still connected")
    t = topic("as2")
    await c.subscribe(t, 1)
    await c.publish(t, b"after", qos=1)
    for _ in range(150):
        if got:
            break
        await asyncio.sleep_ms(20)
    eq(got, [b"after"], "one connection, one delivery")
    tk.cancel()
    await c.disconnect()
    c.close()


asyncio.run(main())
print("OK")
