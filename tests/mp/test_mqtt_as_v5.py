# mqtt_as with config["mqttv5"] = True against mosquitto: CONNECT properties
# (mqttv5_con_props), topic_alias_maximum from the CONNACK, publish /
# subscribe / unsubscribe properties, the callback's 4th argument (user
# properties as {name: value}, as mqtt_as gives them), the event interface's
# 4-tuple (None for a message without properties); on the limited broker
# (broker_ctl "start v5limits": max_keepalive 10, ACL umqtt-test/# only) the
# Server Keep Alive sets the ping interval and a refused publish raises
# MQTTException(0x87) without a reconnect. Without mqttv5, properties
# arguments are ignored (as in mqtt_as).
# timeout: 60
# needs: mqtt_as mqtt5
import asyncio
import testenv
from mqttutil import check, eq, topic, uid

from mqtt_as import MQTTClient, MQTTException, config

got = []


def cb(t, m, retained, *props):
    got.append((t, bytes(m), retained, props))


async def wait_for(n, ms=3000):
    for _ in range(ms // 10):
        if len(got) >= n:
            return
        await asyncio.sleep_ms(10)


def conf(**kw):
    c = dict(config, server=testenv.HOST, port=testenv.PORT, client_id=uid("as5"),
             keepalive=30, response_time=3, subs_cb=cb, mqttv5=True)
    c.update(kw)
    return c


async def main():
    c = MQTTClient(conf(mqttv5_con_props={0x11: 0, 0x26: {"app": "test"}}))
    await c.connect()
    eq(c.topic_alias_maximum, 10, "topic_alias_maximum from the CONNACK")
    t = topic("as5")
    await c.subscribe(t, 1, properties={0x0B: 5})
    await c.publish(t, b"hi", qos=1, properties={0x26: {"k": "v"}, 0x03: "text/plain"})
    await wait_for(1)
    eq(len(got), 1, "delivered")
    tp, m, retained, props = got[0]
    eq((tp, m, retained), (t, b"hi", False), "message")
    eq(len(props), 1, "a 4th callback argument")
    p = props[0]
    eq(p.get(0x26), {"k": "v"}, "user property as a dict")
    eq(p.get(0x03), "text/plain", "content type")
    eq(p.get(0x0B), 5, "subscription identifier")
    await c.unsubscribe(t, properties={0x26: {"why": "done"}})
    await c.publish(t, b"after")
    await asyncio.sleep_ms(300)
    eq(len(got), 1, "nothing after unsubscribe")
    c.close()

    # The event interface yields (topic, msg, retained, properties).
    q = MQTTClient(conf(queue_len=4))
    await q.connect()
    t2 = topic("as5q")
    await q.subscribe(t2)
    await q.publish(t2, b"ev", properties={0x26: {"a": "b"}})
    item = await asyncio.wait_for_ms(q.queue.__anext__(), 3000)
    eq((item[0], bytes(item[1]), item[2], item[3].get(0x26)), (t2, b"ev", False, {"a": "b"}),
       "queue item")
    # A message without properties: None, as mqtt_as gives it (not {}).
    await q.publish(t2, b"bare")
    item = await asyncio.wait_for_ms(q.queue.__anext__(), 3000)
    eq((bytes(item[1]), item[3]), (b"bare", None), "no properties: None")
    q.close()

    # A refused publish is MQTTException(reason), not a reconnect.
    port = int(testenv.broker_ctl("start", "v5limits"))
    lim = MQTTClient(conf(port=port))  # keepalive 30; the broker's max_keepalive is 10
    await lim.connect()
    await asyncio.sleep_ms(0)  # (the keep-alive task sets the engine's ping interval)
    due = lim._client._keepalive_due()
    check(0 < due <= 10 * 1000 // 4, "pings every Server Keep Alive / 4 (next in %r ms)" % due)
    try:
        await lim.publish(b"forbidden/x", b"no", qos=1)
        check(False, "a refused publish must raise")
    except MQTTException as e:
        eq(e.args[0], 0x87, "PUBACK reason Not authorized")
    check(lim.isconnected(), "still connected")
    lim.close()

    # Without mqttv5, properties are ignored and the callback gets 3 arguments.
    del got[:]
    v3 = MQTTClient(conf(mqttv5=False))
    await v3.connect()
    t3 = topic("as3")
    await v3.subscribe(t3, properties={0x0B: 1})
    await v3.publish(t3, b"v3", properties={0x03: "x"})
    await wait_for(1)
    eq(got, [(t3, b"v3", False, ())], "MQTT 3.1.1 callback")
    v3.close()


asyncio.run(main())
print("OK")
