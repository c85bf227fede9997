# mqtt_as: a refused CONNACK (bad password on the password listener: rc 5)
# is OSError(-1, "CONNACK reason code 0x5") and a reply that is no CONNACK
# at all (a local server that answers with a PINGRESP) is OSError(-1,
# "Invalid CONNACK"), as mqtt_as raises them; neither leaves a socket open
# nor blocks a later connect().
# timeout: 30
# needs: mqtt_as
import asyncio
import time

import testenv
from mqttutil import check, eq, uid
from mqtt_as import MQTTClient, config


def cfg(**kw):
    d = dict(config)
    d.update(server=testenv.HOST, client_id=uid("asr"), response_time=3)
    d.update(kw)
    return d


async def refused(c, what):
    for attempt in (1, 2):  # the first attempt left nothing that stops the second
        try:
            await c.connect()
        except OSError as e:
            eq(e.args, (-1, what), "attempt %d: the exception" % attempt)
        else:
            raise AssertionError("attempt %d: connect() accepted" % attempt)
        check(c._client._sock() is None, "attempt %d: socket left open" % attempt)
        check(not c.isconnected(), "attempt %d: connected" % attempt)


async def not_connack():
    async def serve(r, w):
        await r.read(2)  # the CONNECT's start
        w.write(b"\xd0\x00")  # PINGRESP instead of a CONNACK
        await w.drain()
        await asyncio.sleep_ms(500)
        w.close()

    # No getsockname() on the unix port: try ports until one is free.
    base = 20000 + (time.ticks_ms() * 7 + testenv.PORT) % 30000
    for port in range(base, base + 50):
        try:
            server = await asyncio.start_server(serve, "127.0.0.1", port)
            break
        except OSError:
            pass
    else:
        raise AssertionError("no free port for the local server")
    try:
        await refused(MQTTClient(cfg(port=port)), "Invalid CONNACK")
    finally:
        server.close()


async def main():
    await refused(MQTTClient(cfg(port=testenv.PORT_AUTH, user=testenv.USER, password="wrong")),
                  "CONNACK reason code 0x5")
    await not_connack()


asyncio.run(main())
print("OK")
