# mqtt_as (umqtt-rs): module surface, config keys and defaults, and every
# method against the real mosquitto: connect, subscribe (callback interface
# with retained flag), publish QoS 0/1 (str, bytes, bytearray, 12 KB),
# unsubscribe, broker_up, wan_ok (a bool within response_time),
# isconnected, disconnect + reconnect, close; the will (sent when the
# connection dies, not after disconnect); the first connect raises OSError;
# a subs_cb that raises does not kill the client; the native client polls
# through select.poll.
# timeout: 60
# needs: mqtt_as
import asyncio
import select
import socket
import testenv
from time import ticks_ms, ticks_diff
from mqttutil import check, eq, topic, uid

import mqtt_as
from mqtt_as import MQTTClient, config

# --- module surface --------------------------------------------------------
eq(mqtt_as.VERSION, (0, 8, 3), "VERSION")
KEYS = {
    "client_id": None, "server": None, "port": 0, "user": "", "password": "",
    "keepalive": 60, "ping_interval": 0, "ssl": False, "ssl_params": {},
    "response_time": 10, "clean_init": True, "clean": True, "max_repubs": 4,
    "will": None, "subs_cb": None, "wifi_coro": None, "connect_coro": None,
    "ssid": None, "wifi_pw": None, "queue_len": 0,
}
for k, v in KEYS.items():
    check(k in config, "config key " + k)
    if v is not None or k in ("server", "will", "ssid", "wifi_pw"):
        eq(config[k], v, "config[%r]" % k)
check(isinstance(config["client_id"], bytes), "client_id is bytes")
check(config["subs_cb"](b"t", b"m", False) is None, "null subs_cb")
eq(MQTTClient.DEBUG, False, "DEBUG")
eq(MQTTClient.REPUB_COUNT, 0, "REPUB_COUNT")
try:
    MQTTClient(dict(config))
    check(False, "no server must raise")
except ValueError:
    pass
try:
    MQTTClient(dict(config, server="x", keepalive=65536))
    check(False, "keepalive 65536 must raise")
except ValueError:
    pass
c = MQTTClient(dict(config, server=testenv.HOST))
eq(c.port, 1883, "default port")
c = MQTTClient(dict(config, server=testenv.HOST, ssl=True))
eq(c.port, 8883, "default TLS port")


def cfg(**kw):
    d = dict(config)
    d.update(server=testenv.HOST, port=testenv.PORT, client_id=uid("as"), response_time=3)
    d.update(kw)
    return d


def stopic(tag):
    t = topic(tag)
    return t.decode() if isinstance(t, bytes) else t


T = stopic("as")
WILL = stopic("will")
got = []
conns = []


def cb(t, m, r):
    got.append((t, m, r))
    if m == b"boom":
        raise ValueError("callback failure")


async def on_conn(client):
    conns.append(client)


async def wait_for(cond, ms=5000):
    t0 = ticks_ms()
    while not cond():
        if ticks_diff(ticks_ms(), t0) > ms:
            return False
        await asyncio.sleep_ms(10)
    return True


async def main():
    # first connect failure raises OSError to the caller
    bad = MQTTClient(cfg(port=1))
    try:
        await bad.connect()
        check(False, "connect to a closed port must raise")
    except OSError:
        pass
    check(not bad.isconnected(), "not connected after failure")

    # a retained message first
    r = MQTTClient(cfg())
    await r.connect()
    await r.publish(T + "/ret", "kept", retain=True, qos=1)
    await r.disconnect()

    watcher = MQTTClient(cfg(subs_cb=cb))
    await watcher.connect()
    await watcher.subscribe(WILL, 1)

    c = MQTTClient(cfg(subs_cb=cb, connect_coro=on_conn,
                       will=(WILL, "gone", False, 1), keepalive=10))
    check(not c.isconnected(), "not connected before connect")
    await c.connect()
    check(c.isconnected(), "connected")
    check(await wait_for(lambda: conns), "connect_coro ran")
    eq(conns[0], c, "connect_coro gets the client")

    # the engine is pollable (stream protocol delegated to the socket)
    p = select.poll()
    p.register(c._client, select.POLLOUT)
    evs = p.poll(0)
    check(evs and evs[0][1] & select.POLLOUT, "native client writable through poll")
    p.unregister(c._client)

    await c.subscribe(T + "/#", 1)
    check(await wait_for(lambda: (T.encode() + b"/ret", b"kept", True) in got), "retained delivered with retained=True")
    await c.publish(T + "/a", "hello")  # str, QoS 0
    await c.publish((T + "/b").encode(), b"world", qos=1)
    await c.publish(T + "/c", bytearray(b"ba"), qos=1)
    big = bytes(range(256)) * 48  # 12 KB (incoming limit: max_packet_size, 16 KB)
    await c.publish(T + "/big", big, qos=1)
    check(await wait_for(lambda: len([g for g in got if g[0].startswith(T.encode() + b"/") and not g[2]]) >= 4),
          "own messages back: %r" % ([(g[0], len(g[1])) for g in got],))
    live = {g[0]: g for g in got if not g[2]}
    eq(live[T.encode() + b"/a"], (T.encode() + b"/a", b"hello", False), "QoS0 str")
    eq(live[T.encode() + b"/b"][1], b"world", "QoS1 bytes")
    eq(live[T.encode() + b"/c"][1], b"ba", "bytearray")
    eq(live[T.encode() + b"/big"][1], big, "12 KB payload")
    eq(len(c.rcv_pids), 0, "no pid left in flight")

    # a raising callback is reported, the client goes on
    await c.publish(T + "/x", "boom", qos=1)
    await c.publish(T + "/x", "after", qos=1)
    check(await wait_for(lambda: (T.encode() + b"/x", b"after", False) in got), "reader survives a raising callback")
    check(c.isconnected(), "still connected")

    await c.unsubscribe(T + "/#")
    n = len(got)
    await c.publish(T + "/a", "unheard", qos=1)
    await asyncio.sleep_ms(300)
    check(not [g for g in got[n:] if g[1] == b"unheard"], "nothing after unsubscribe")

    # broker_up: recent traffic -> True at once; after 1.2 s idle -> ping answered
    check(await c.broker_up(), "broker_up")
    await asyncio.sleep_ms(1200)
    t0 = ticks_ms()
    check(await c.broker_up(), "broker_up after idle")
    check(ticks_diff(ticks_ms(), t0) < 2000, "broker_up quick")

    t0 = ticks_ms()
    w = await c.wan_ok()
    check(w in (True, False), "wan_ok is a bool")
    check(ticks_diff(ticks_ms(), t0) < 3500, "wan_ok bounded by response_time")
    print("wan_ok:", w)

    # disconnect: no will; reconnect works
    await c.disconnect()
    check(not c.isconnected(), "disconnected")
    await asyncio.sleep_ms(300)
    check(not [g for g in got if g[0] == WILL.encode()], "no will after disconnect")
    await c.connect()
    check(c.isconnected(), "reconnected after disconnect")
    await c.publish(T + "/z", "again", qos=1)

    # the connection dies (socket shut without DISCONNECT): will is published,
    # the client reconnects by itself.
    c._client._sock().close()
    check(await wait_for(lambda: [g for g in got if g[0] == WILL.encode()], 8000), "will delivered")
    eq([g for g in got if g[0] == WILL.encode()][0][1], b"gone", "will message")
    check(await wait_for(lambda: c.isconnected() and len(conns) >= 3, 8000), "reconnected automatically")
    await c.publish(T + "/z", "after reconnect", qos=1)

    c.close()
    check(not c.isconnected(), "closed")
    await watcher.disconnect()
    r = MQTTClient(cfg())
    await r.connect()
    await r.publish(T + "/ret", "", retain=True, qos=1)
    await r.disconnect()


asyncio.run(main())
print("OK")
