# MicroPython asyncio client for the hostile broker: the mqtt_as façade
# (python/mqtt_as.py). tests/hostile/run.py starts one per scenario, with a
# hard timeout; the blocking façades use client.py instead.
#
#   micropython client_as.py mqtt_as MODE PORT SOCKET_TIMEOUT OPS [v5[:ALIASES]]
#
# MODE:   async (mqtt_as has one mode: everything runs under asyncio)
# OPS:    comma list run after connect(), one await each, in order: sub0,
#         sub1 (subscribe qos 0/1), pub1 (publish qos 1), unsub, ping
#         (broker_up(), after 1.1 s so that it really pings), sleep:MS,
#         pubbig:BYTES (publish qos 0) ("-" for none)
#
# config: response_time = SOCKET_TIMEOUT, keepalive 0 (pings every 20 s, so
# none during a scenario unless asked), clean, max_repubs 4, no WiFi, and
# the callback interface (queue_len 0): subs_cb records messages, wifi_coro
# records outages (mqtt_as runs wifi_coro(False) when the connection goes
# down and it starts reconnecting), connect_coro only checks its argument.
# v5 (scenarios with v5=True): config["mqttv5"] = True, and
# config["mqttv5_con_props"] = {0x22: ALIASES} (the Topic Alias Maximum we
# announce) when ALIASES is given; subs_cb then gets (topic, msg, retained,
# properties: None when the PUBLISH has none, as mqtt_as gives it, never {})
# and prints msg(T,P,rR,{props}); an exception prints all its
# arguments (OSError(-1,'CONNACK_reason_code_0x87')).
#
# Prints one "EV <token>" line per observed reaction and finally
# "DONE <longest single await in ms>":
#   connect:E       the first `await connect()` raised E (nothing else runs)
#   down            wifi_coro(False): the connection went down; mqtt_as
#                   reconnects in the background (the hostile broker gives a
#                   second connection a plain CONNACK and the end PUBLISH)
#   msg(T,P,rR)     subs_cb(topic, msg, retained) with valid arguments
#   op-X:E          the operation X raised E
#   op-ping:False   broker_up() returned False
#   op-X:pending    X had not returned when the end message arrived (it is
#                   retrying on the new connection); the remaining ops do not run
#   end             the end message (topic hostile/end) reached subs_cb
#   idle            no end message within the budget
#   timeout         the overall limit ran out (a hang: the run fails)
#   BAD...          a callback got invalid arguments
# Every await is timed (connect, each op, the wait for the end message,
# disconnect); a hang is caught by the overall limit.
import sys
import asyncio
from time import ticks_ms, ticks_diff

from mqtt_as import MQTTClient, config

from tokens import ev, exc_token, exc_token5, payload_text, props_text, valid_props, valid_topic

facade, mode, port, st, ops = sys.argv[1:6]
if facade != "mqtt_as" or mode != "async":
    raise SystemExit("client_as.py runs façade mqtt_as in mode async")
port = int(port)
st = int(st)
v5 = len(sys.argv) > 6 and sys.argv[6].startswith("v5")
aliases = int(sys.argv[6][3:]) if v5 and ":" in sys.argv[6] else 0
if v5:
    exc_token = exc_token5  # noqa: F811

END_TOPIC = b"hostile/end"
END_BUDGET_MS = (3 * st + 4) * 1000  # wait this long for the end message
OVERALL_MS = (5 * st + 8) * 1000  # below run.py's hard kill (6 × st + 12.5 s)
GRACE_MS = 300  # an op still running this long after the end message is pending

longest = 0
current = None  # start of the await in progress (counted if the limit hits)
done = False
done_at = 0
client = None


def subs_cb(topic, msg, *rest):
    global done, done_at
    if not valid_topic(topic) or not isinstance(msg, (bytes, bytearray)) or \
            len(rest) != (2 if v5 else 1) or not isinstance(rest[0], bool) or \
            (v5 and rest[1] is not None and not (rest[1] and valid_props(rest[1]))):
        ev("BADCB(%r,%r,%r)" % (topic, msg, rest))
        return
    if topic == END_TOPIC:
        if not done:
            done = True
            done_at = ticks_ms()
        return
    if v5:
        ev("msg(%r,%s,r%d,%s)" % (topic, payload_text(msg), int(rest[0]), props_text(rest[1])))
    else:
        ev("msg(%r,%s,r%d)" % (topic, payload_text(msg), int(rest[0])))


async def wifi_coro(state):
    if not isinstance(state, bool):
        ev("BADWIFI(%r)" % (state,))
    elif not state:
        ev("down")


async def connect_coro(c):
    if c is not client:
        ev("BADCONN(%r)" % (c,))


def timed_start():
    global current
    current = ticks_ms()


def timed_end():
    global longest, current
    dt = ticks_diff(ticks_ms(), current)
    current = None
    if dt > longest:
        longest = dt


async def bounded(coro, ms=OVERALL_MS):
    # One client call, timed and bounded (by the overall limit unless told).
    timed_start()
    try:
        return await asyncio.wait_for_ms(coro, ms)
    finally:
        timed_end()


async def ping():
    # broker_up() only pings when nothing arrived for a second.
    await asyncio.sleep_ms(1100)
    timed_start()
    try:
        return await client.broker_up()
    finally:
        timed_end()


def op_coro(op):
    c = client
    if op == "sub0":
        return c.subscribe(b"a/b", 0)
    if op == "sub1":
        return c.subscribe(b"a/b", 1)
    if op == "pub1":
        return c.publish(b"x/y", b"q1", False, 1)
    if op == "unsub":
        return c.unsubscribe(b"a/b")
    if op == "ping":
        return ping()
    if op.startswith("pubbig:"):
        return c.publish(b"x/big", bytes(int(op[7:])))
    raise SystemExit("unknown op " + op)


async def run_op(op):
    """Runs one op; returns False when the remaining ops must not run."""
    name = op.split(":")[0]
    task = asyncio.create_task(op_coro(op))
    if op != "ping":
        timed_start()
    try:
        while not task.done():
            if done and ticks_diff(ticks_ms(), done_at) > GRACE_MS:
                break
            await asyncio.sleep_ms(5)
    finally:
        if op != "ping":
            timed_end()
    if not task.done():
        task.cancel()
        ev("op-%s:pending" % name)
        return False
    try:
        r = await task
    except Exception as e:
        ev("op-%s:%s" % (name, exc_token(e)))
        return False
    if op == "ping" and r is not True:
        ev("op-ping:%r" % (r,))
    return True


async def main():
    global client
    cfg = dict(config)
    cfg.update(server="127.0.0.1", port=port, client_id="hostile-%d" % port,
               keepalive=0, response_time=st, clean=True, clean_init=True,
               ssid=None, wifi_pw=None, queue_len=0, max_repubs=4,
               subs_cb=subs_cb, wifi_coro=wifi_coro, connect_coro=connect_coro)
    if v5:
        cfg["mqttv5"] = True
        if aliases:
            cfg["mqttv5_con_props"] = {0x22: aliases}
    client = MQTTClient(cfg)
    try:
        await bounded(client.connect())
    except Exception as e:
        ev("connect:" + exc_token(e))
        return
    for op in [o for o in ops.split(",") if o and o != "-"]:
        if op.startswith("sleep:"):
            await asyncio.sleep_ms(int(op[6:]))
        elif not await run_op(op):
            break
    timed_start()
    t0 = ticks_ms()
    while not done and ticks_diff(ticks_ms(), t0) < END_BUDGET_MS:
        await asyncio.sleep_ms(5)
    timed_end()
    ev("end" if done else "idle")


async def shutdown():
    if client is None:
        return
    try:
        # DISCONNECT is written within response_time (mqtt_as._send_disconnect).
        await bounded(client.disconnect(), (st + 2) * 1000)
    except Exception:
        pass
    client.close()


async def top():
    global longest
    try:
        await asyncio.wait_for_ms(main(), OVERALL_MS)
    except asyncio.TimeoutError:
        if current is not None:
            longest = max(longest, ticks_diff(ticks_ms(), current))
        ev("timeout")
    await shutdown()


asyncio.run(top())
print("DONE %d" % longest)
