# mqtt_as (umqtt-rs) across repeated outages, through the fault-injecting
# proxy (tests/proxy.py, driven through testenv.broker_ctl("proxy", ...)):
# three tasks publish QoS 1 messages through the proxy while it stalls
# (dead link: PUBACK timeouts, DUP republications, keepalive failure),
# resets (RST), drops and refuses connections, blackholes new connections
# and delays traffic. A subscriber connected straight to mosquitto counts
# every message. Every acknowledged publication must arrive at least once;
# a counter task ticking every 10 ms must never be held up for long (the
# scheduler never blocks on a socket). Prints the measured figures.
# timeout: 120
# needs: mqtt_as
import asyncio
import testenv
from time import ticks_ms, ticks_diff
from mqttutil import check, eq, topic, uid

from mqtt_as import MQTTClient, config

PROXY = int(testenv.broker_ctl("proxy", testenv.PORT))
T = topic("outage")
T = T.decode() if isinstance(T, bytes) else T
PUBLISHERS = 3
PER_TASK = 20


ctl_calls = [0]


def ctl(*words):
    # A blocking call to the harness: the counter ignores the gap it causes.
    try:
        return testenv.broker_ctl("proxy", PROXY, *words)
    finally:
        ctl_calls[0] += 1


def cfg(**kw):
    d = dict(config)
    d.update(server=testenv.HOST, client_id=uid("out"), response_time=1,
             keepalive=4, max_repubs=2)
    d.update(kw)
    return d


received = {}
dups = 0


def on_msg(t, m, r):
    global dups
    k = int(m)
    if k in received:
        dups += 1
    received[k] = received.get(k, 0) + 1


acked = set()
sent = 0
gap = [0, 0]  # max gap (ms), ticks
ups = []


async def counter(stop):
    last = ticks_ms()
    while not stop:
        calls = ctl_calls[0]
        await asyncio.sleep_ms(10)
        now = ticks_ms()
        d = ticks_diff(now, last)
        if d > gap[0] and calls == ctl_calls[0]:
            gap[0] = d
        gap[1] += 1
        last = now


async def on_conn(c):
    ups.append(ticks_ms())


async def publisher(c, base, done):
    # Publishes until the fault plan is over, then PER_TASK more.
    global sent
    k = base
    extra = PER_TASK
    while extra:
        if done:
            extra -= 1
        sent += 1
        await c.publish(T, str(k), qos=1)
        acked.add(k)
        k += 1
        await asyncio.sleep_ms(30)


async def faults(done):
    plan = [(700, "stall"), (2500, "pass"), (800, "reset"), (800, "pass"),
            (600, "drop"), (1500, "pass"), (800, "blackhole"), (2500, "pass"),
            (600, "delay", "150"), (1500, "pass"), (500, "stall"), (3000, "pass")]
    for step in plan:
        await asyncio.sleep_ms(step[0])
        eq(ctl(*step[1:]), "ok", "proxy command")
    done.append(1)


async def main():
    stop = []
    ticker = asyncio.create_task(counter(stop))
    sub = MQTTClient(cfg(port=testenv.PORT, subs_cb=on_msg, keepalive=60, response_time=5))
    await sub.connect()
    await sub.subscribe(T, 1)
    pub = MQTTClient(cfg(port=PROXY, connect_coro=on_conn))
    await pub.connect()
    t0 = ticks_ms()
    done = []
    f = asyncio.create_task(faults(done))
    tasks = [asyncio.create_task(publisher(pub, 10000 * (n + 1), done)) for n in range(PUBLISHERS)]
    for t in tasks:
        await t
    elapsed = ticks_diff(ticks_ms(), t0)
    await f
    ctl("pass")
    deadline = ticks_ms()
    while len([k for k in acked if k not in received]) and ticks_diff(ticks_ms(), deadline) < 10000:
        await asyncio.sleep_ms(50)
    stop.append(1)
    await ticker
    missing = sorted(k for k in acked if k not in received)
    print("sent %d, acknowledged %d, received %d (%d distinct), duplicates %d, "
          "republications %d, connections %d, %d ms; counter: %d ticks, longest gap %d ms; proxy: %s"
          % (sent, len(acked), sum(received.values()), len(received), dups,
             pub.REPUB_COUNT, len(ups), elapsed, gap[1], gap[0], ctl("stats")))
    eq(len(acked), sent, "every publish completed")
    eq(missing, [], "acknowledged but never received")
    # At full speed the stall, the reset and the drop each force a reconnect.
    # Under valgrind (SLOWDOWN 20) a reconnect takes long enough for two of
    # the plan's faults to fall into one (seen: 3 connections with another
    # test running beside it): at least one reconnect is then required.
    want = 4 if testenv.SLOWDOWN == 1 else 2
    check(len(ups) >= want, "reconnected after the outages (%d connections)" % len(ups))
    check(pub.REPUB_COUNT > 0, "DUP republications happened")
    check(gap[0] < 300 * testenv.SLOWDOWN, "counter starved for %d ms" % gap[0])
    pub.close()
    await sub.disconnect()


asyncio.run(main())
print("OK")
