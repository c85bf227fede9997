# mqtt_as (umqtt-rs) over TLS and its keepalive: ssl=True with ssl_params
# (server_hostname, CERT_REQUIRED, the CA as DER) on the TLS listener; the
# handshake runs non-blocking (do_handshake_on_connect=False, driven by the
# CONNECT's writability/readability waits) while a 10 ms counter keeps
# ticking; a 10 KB round trip; the wrong CA fails connect() with an
# exception. Keepalive through the proxy: with keepalive=2 (a ping every
# 500 ms) an idle client stays connected; when the proxy stalls the link,
# the dead broker is detected (4 ping intervals without a byte) and the
# client reconnects once the link is back.
# timeout: 60
# needs: mqtt_as
import asyncio
import testenv
from time import ticks_ms, ticks_diff
from mqttutil import check, eq, topic, uid

from mqtt_as import MQTTClient, config

try:
    import ssl as _ssl
    _ssl.CERT_REQUIRED
except (ImportError, AttributeError):
    import tls as _ssl

T = topic("astls")
T = T.decode() if isinstance(T, bytes) else T
gap = [0]


async def counter(stop):
    last = ticks_ms()
    while not stop:
        await asyncio.sleep_ms(10)
        now = ticks_ms()
        gap[0] = max(gap[0], ticks_diff(now, last))
        last = now


def cfg(**kw):
    d = dict(config)
    d.update(server=testenv.HOST, client_id=uid("tls"), response_time=3)
    d.update(kw)
    return d


async def wait_for(cond, ms):
    t0 = ticks_ms()
    while not cond():
        if ticks_diff(ticks_ms(), t0) > ms:
            return False
        await asyncio.sleep_ms(10)
    return True


async def main():
    stop = []
    ticker = asyncio.create_task(counter(stop))
    got = []
    params = {"server_hostname": testenv.SERVER_HOSTNAME, "cert_reqs": _ssl.CERT_REQUIRED,
              "cadata": testenv.read(testenv.CA_DER)}
    c = MQTTClient(cfg(port=testenv.PORT_TLS, ssl=True, ssl_params=params,
                       subs_cb=lambda t, m, r: got.append(m)))
    t0 = ticks_ms()
    await c.connect()
    print("TLS connect %d ms, longest counter gap %d ms" % (ticks_diff(ticks_ms(), t0), gap[0]))
    await c.subscribe(T, 1)
    payload = b"x" * 10000
    await c.publish(T, payload, qos=1)
    check(await wait_for(lambda: got, 5000), "10 KB back over TLS")
    eq(got[0], payload, "payload")
    await c.disconnect()
    check(gap[0] < 300 * testenv.SLOWDOWN, "counter starved for %d ms during TLS" % gap[0])

    bad = dict(params, cadata=testenv.read(testenv.OTHER_CA_DER))
    c = MQTTClient(cfg(port=testenv.PORT_TLS, ssl=True, ssl_params=bad))
    try:
        await c.connect()
        check(False, "the wrong CA must fail")
    except Exception as e:
        print("wrong CA:", type(e).__name__)
    c.close()

    # keepalive through the proxy
    proxy = int(testenv.broker_ctl("proxy", testenv.PORT))
    downs = []

    async def wifi(up):  # wifi_coro: run on every link/broker state change
        downs.append(up)

    k = MQTTClient(cfg(port=proxy, keepalive=2, response_time=1, wifi_coro=wifi))
    await k.connect()
    await asyncio.sleep_ms(2500)
    check(k.isconnected() and False not in downs, "idle client kept alive by pings")
    check(await k.broker_up(), "broker_up")
    eq(testenv.broker_ctl("proxy", proxy, "stall"), "ok", "stall")
    t0 = ticks_ms()
    check(await wait_for(lambda: False in downs, 4000), "dead broker detected")
    print("dead link detected after %d ms" % ticks_diff(ticks_ms(), t0))
    check(not await k.broker_up(), "broker_up False while down")
    eq(testenv.broker_ctl("proxy", proxy, "pass"), "ok", "pass")
    check(await wait_for(lambda: k._alive, 6000), "reconnected")  # (not isconnected(): True while connecting)
    await k.publish(T, "after", qos=1)
    await k.disconnect()
    stop.append(1)
    await ticker


asyncio.run(main())
print("OK")
