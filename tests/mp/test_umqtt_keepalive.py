# `from umqtt import MQTTClient`: keepalive and the background thread versus
# the program's own wait_msg()/check_msg() (issue 17, item 6).
# - keepalive defaults to 0 (both vendors' documents, UIFlow2's code): no
#   background thread unless asked for; 1..4 are accepted (UIFlow2) and
#   pinged (mosquitto drops a client silent for 1.5 x keepalive);
# - QuecPython's basic example, unchanged apart from the broker, runs to its
#   end every time: publish(), then `while True: wait_msg(); if state == 1:
#   break`, with the default keepalive and with keepalive=10 (a thread);
# - with a thread: a message or PINGRESP that the thread handled between the
#   program's calls makes the next wait_msg() return at once (it used to
#   wait for the next packet: the next PINGRESP, 5 s here);
# - while the program waits in wait_msg(), the thread does not take the
#   message: the callback runs on the program's thread.
# timeout: 60
# needs: client
import time
import testenv
from mqttutil import check, eq, topic, uid
from umqtt import MQTTClient

try:
    import _thread
except ImportError:
    _thread = None

eq(MQTTClient("x", "h").keepalive, 0, "keepalive default")
for ka in (1, 2, 3, 4):
    eq(MQTTClient("x", "h", keepalive=ka).keepalive, ka, "keepalive %d accepted" % ka)


def elapsed(t0):
    return time.ticks_diff(time.ticks_ms(), t0)


# 1. keepalive=2 keeps an idle connection: pinged (by the thread, or by
# check_msg() without one), not dropped by mosquitto after 3 s.
for kw in ({}, {"thread": False}):
    c = MQTTClient(uid("ka2"), testenv.HOST, testenv.PORT, keepalive=2, reconn=False, **kw)
    got = []
    c.set_callback(lambda t, m: got.append(m))
    c.connect()
    t = topic("ka2")
    c.subscribe(t)
    t0 = time.ticks_ms()
    while elapsed(t0) < 4500:
        if not c._alive:
            c.check_msg()
        time.sleep_ms(20)
    eq(c.get_mqttsta(), 0, "still connected after 4.5 s idle %r" % kw)
    eq(c.publish(t, b"alive"), True, "publish after idle %r" % kw)
    t0 = time.ticks_ms()
    while b"alive" not in got and elapsed(t0) < 3000:
        c.check_msg()
        time.sleep_ms(5)
    eq(got, [b"alive"], "round trip after 4.5 s idle %r" % kw)
    c.disconnect()

# 2. QuecPython's basic example (seed 003), unchanged but for the broker
# address and topic; each run must end well before the 5 s of a PINGRESP.
state = 0


def sub_cb(topic, msg):
    global state
    state = 1


def basic_example(**kw):
    global state
    state = 0
    c = MQTTClient(uid("umqtt_client"), testenv.HOST, testenv.PORT, **kw)
    c.set_callback(sub_cb)
    c.connect()
    t = topic("quecpython")
    c.subscribe(t)
    c.publish(t, b"my name is Quecpython!")
    t0 = time.ticks_ms()
    while True:
        c.wait_msg()
        if state == 1:
            break
    dt = elapsed(t0)
    c.disconnect()
    return dt


for kw in ({}, {"keepalive": 10}):
    worst = max(basic_example(**kw) for _ in range(10))
    check(worst < 2000, "basic example %r: the wait_msg() loop took %d ms" % (kw, worst))

if _thread is None:
    print("OK")
    raise SystemExit

# 3. With the thread: whatever it handled since the program's last call ends
# the next wait_msg() at once.
c = MQTTClient(uid("race"), testenv.HOST, testenv.PORT, keepalive=10)
got = []
c.set_callback(lambda t, m: got.append((_thread.get_ident(), m)))
c.connect()
check(c._alive, "keepalive=10 starts the thread")
t = topic("race")
c.subscribe(t)
for i in range(3):
    c.publish(t, b"m%d" % i)
    time.sleep_ms(300)  # the thread takes the message meanwhile
    t0 = time.ticks_ms()
    c.wait_msg()
    check(elapsed(t0) < 2000, "wait_msg() after a message the thread handled: %d ms" % elapsed(t0))
    c.ping()
    time.sleep_ms(300)  # ... and the PINGRESP
    t0 = time.ticks_ms()
    c.wait_msg()
    check(elapsed(t0) < 2000, "ping(); wait_msg() took %d ms" % elapsed(t0))
eq([m for _, m in got], [b"m0", b"m1", b"m2"], "messages")

# 4. The program waits in wait_msg() when the message comes: it is handled
# there (the callback runs on the program's thread), never by the thread.
MAIN = _thread.get_ident()
feeder = MQTTClient(uid("feed"), testenv.HOST, testenv.PORT)
feeder.connect()
del got[:]


def feed(i):
    time.sleep_ms(100)  # the main thread is inside wait_msg() by then
    feeder.publish(t, b"w%d" % i)


for i in range(40):
    _thread.start_new_thread(feed, (i,))
    t0 = time.ticks_ms()
    while len(got) <= i and elapsed(t0) < 5000:
        c.wait_msg()
    eq(len(got), i + 1, "message %d received" % i)
    eq(got[i], (MAIN, b"w%d" % i), "message %d handled by the waiting program" % i)
feeder.disconnect()
c.disconnect()
print("OK")
