# `from umqtt import MQTTClient`, QuecPython's background thread: connect()
# with keepalive > 0 starts a thread that receives (callbacks run on it,
# the program never calls check_msg/wait_msg), pings and reconnects.
# - messages arrive with the main thread only sleeping;
# - 500 QoS 1 publishes from the main thread while a second thread feeds
#   300 QoS 1 messages in: every message (both streams) received exactly
#   once, every publish acknowledged;
# - the harness stops and restarts the broker: the thread reconnects,
#   resubscribes (clean session) and reports reconnect_start/_success to
#   error_register_cb, from the thread; get_mqttsta() is 1 meanwhile;
# - disconnect() and close() stop the thread (nothing delivered afterwards),
#   connect() starts it again; reconn=False: str(error) from the thread,
#   which then ends; thread=False and keepalive=0 start no thread;
# - a refused SUBACK still makes subscribe() raise MQTTException(0x80),
#   whichever thread reads it.
# timeout: 90
# needs: simple client
import time
import testenv
from mqttutil import check, eq, topic, uid
from umqtt import MQTTClient

try:
    import _thread
except ImportError:
    print("SKIP no _thread on this port")
    raise SystemExit

from umqtt.simple import MQTTClient as Simple

MAIN = _thread.get_ident()
port = testenv.broker_ctl("start")


def wait_for(cond, ms=15000, what="condition"):
    # Sleeps only: the client's thread does the work.
    deadline = time.ticks_add(time.ticks_ms(), ms)
    while not cond():
        if time.ticks_diff(deadline, time.ticks_ms()) <= 0:
            raise AssertionError("timed out waiting for " + what)
        time.sleep_ms(10)


class Client(MQTTClient):
    DELAY = 0

    def delay(self, i):
        time.sleep_ms(100)


NOUT, NIN = 500, 300
t_out, t_in = topic("qthr-out"), topic("qthr-in")
outs, ins = bytearray(NOUT), bytearray(NIN)
other = []  # anything else received
cb_threads = {}  # thread ident -> messages handled on it
errs, err_threads = [], []


def on_msg(tp, msg):
    me = _thread.get_ident()
    cb_threads[me] = cb_threads.get(me, 0) + 1
    if tp == t_out and msg[:1] == b"o" and msg[1:].isdigit():
        outs[int(msg[1:])] += 1
    elif tp == t_in and msg[:1] == b"i" and msg[1:].isdigit():
        ins[int(msg[1:])] += 1
    else:
        other.append((tp, msg))


def on_err(e):
    errs.append(e)
    err_threads.append(_thread.get_ident())


c = Client(uid("qthr"), testenv.HOST, port, keepalive=5)
c.set_callback(on_msg)
c.error_register_cb(on_err)
eq(c.connect(), 0, "connect")
check(c._alive, "connect() started the background thread")
c.subscribe(t_out, 1)
c.subscribe(t_in, 1)

# 1. Messages arrive while the program only sleeps.
feeder = Simple(uid("qthr-feed"), testenv.HOST, port)
feeder.connect()
feeder.publish(t_in, b"hello", qos=1)
wait_for(lambda: other, 5000, "a message without check_msg")
eq(other, [(t_in, b"hello")], "delivered by the thread")
bg = [k for k in cb_threads if k != MAIN]
check(len(bg) == 1 and MAIN not in cb_threads, "callback ran on the background thread: %r" % cb_threads)
BG = bg[0]
eq(c._keeper, BG, "the client's thread")
del other[:]

# 2. Concurrent traffic: the main thread publishes 500 QoS 1 messages (they
# come back: the client subscribes to them) while another thread feeds 300
# QoS 1 messages in on its own connection.
feed_done = []


def feed():
    try:
        for i in range(NIN):
            feeder.publish(t_in, b"i%d" % i, qos=1)
        feed_done.append(True)
    except Exception as e:
        feed_done.append(e)


_thread.start_new_thread(feed, ())
t0 = time.ticks_ms()
acked = 0
for i in range(NOUT):
    if c.publish(t_out, b"o%d" % i, qos=1):
        acked += 1
eq(acked, NOUT, "every QoS 1 publish acknowledged")
wait_for(lambda: feed_done, 30000, "the feeder")
eq(feed_done, [True], "feeder")
wait_for(lambda: sum(outs) >= NOUT and sum(ins) >= NIN, 15000, "all messages")
time.sleep_ms(300)  # no late duplicates either
check(all(n == 1 for n in outs), "own messages exactly once: %r" % [i for i in range(NOUT) if outs[i] != 1])
check(all(n == 1 for n in ins), "fed messages exactly once: %r" % [i for i in range(NIN) if ins[i] != 1])
eq(other, [], "nothing else")
eq(c._unacked, {}, "nothing left unacknowledged")
print("traffic: %d out + %d in in %d ms, callbacks per thread: %s" % (
    NOUT, NIN, time.ticks_diff(time.ticks_ms(), t0),
    sorted(("bg" if k == BG else "main", n) for k, n in cb_threads.items())))
feeder.disconnect()

# 3. Broker restart: the thread reconnects and resubscribes by itself.
eq(errs, [], "no error so far")
testenv.broker_ctl("stop", port)
wait_for(lambda: errs, 5000, "reconnect_start")
time.sleep_ms(300)
eq(c.get_mqttsta(), 1, "reconnecting")
eq(errs, ["reconnect_start"], "reconnecting")
testenv.broker_ctl("start", port)
wait_for(lambda: len(errs) == 2, 10000, "reconnect_success")
eq(errs, ["reconnect_start", "reconnect_success"], "error callback notifications")
eq(err_threads, [BG, BG], "notified from the background thread")
eq(c.get_mqttsta(), 0, "connected again")
check(c._alive and c._keeper == BG, "the same thread still runs")
feeder = Simple(uid("qthr-feed2"), testenv.HOST, port)
feeder.connect()
feeder.publish(t_in, b"after", qos=1)  # clean session: only if resubscribed
wait_for(lambda: other, 5000, "a message after the restart")
eq(other, [(t_in, b"after")], "resubscribed")
eq(c.publish(t_out, b"o0", qos=1), True, "publish after the reconnect")
wait_for(lambda: outs[0] == 2, 5000, "own message after the restart")
del other[:]

# 4. disconnect() stops the thread; connect() starts it again; close() too.
c.disconnect()
check(not c._alive, "disconnect() waited for the thread to end")
eq(c.get_mqttsta(), -1, "disconnected")
feeder.publish(t_in, b"gone", qos=1)
time.sleep_ms(300)
eq(other, [], "nothing received after disconnect()")
c.connect()
check(c._alive, "connect() started the thread again")
c.subscribe(t_in, 1)
feeder.publish(t_in, b"again", qos=1)
wait_for(lambda: other, 5000, "a message after connect()")
c.close()
check(not c._alive, "close() stopped the thread")
eq(c.sock, None, "closed")
del other[:]
feeder.publish(t_in, b"closed", qos=1)
time.sleep_ms(300)
eq(other, [], "nothing received after close()")

# 5. reconn=False: the error reaches the callback from the thread, which ends.
qerrs, qthreads = [], []


def on_qerr(e):
    qerrs.append(e)
    qthreads.append(_thread.get_ident())


q = MQTTClient(uid("qthr-noreconn"), testenv.HOST, port, keepalive=5, reconn=False)
q.error_register_cb(on_qerr)
q.connect()
check(q._alive, "thread started")
testenv.broker_ctl("stop", port)
wait_for(lambda: qerrs, 5000, "the error string")
wait_for(lambda: not q._alive, 2000, "the thread to end")
check(len(qerrs) == 1 and isinstance(qerrs[0], str), "one error string: %r" % qerrs)
check(qthreads[0] != MAIN, "reported from the thread")
check(q.get_mqttsta() != 0, "not connected")

# 6. No thread: thread=False, or keepalive=0.
testenv.broker_ctl("start", port)
for kw in ({"keepalive": 5, "thread": False}, {"keepalive": 0}):
    n = MQTTClient(uid("qthr-none"), testenv.HOST, port, **kw)
    n.connect()
    check(not n._alive, "no thread for %r" % kw)
    n.disconnect()

# 7. A refused SUBACK (scripted: the fake socket answers every SUBSCRIBE
# with return code 0x80) while the background thread reads the socket.
from fakesock import FakeSock
from umqtt import MQTTException


class Refuser(FakeSock):
    def write(self, buf, length=-1):
        n = super().write(buf, length)
        if self.tx[:1] == b"\x82":  # SUBSCRIBE (short): answer, then forget it
            self.feed(b"\x90\x03" + bytes(self.tx[2:4]) + b"\x80")
            self.tx = bytearray()
        return n


r = MQTTClient(uid("qthr-refused"), testenv.HOST, testenv.PORT, keepalive=5)
r.connect()
check(r._alive, "thread started")
real = r.sock
r.sock = Refuser()
for i in range(5):
    try:
        r.subscribe(topic("refused"), 1)
        raise AssertionError("subscribe() did not raise")
    except MQTTException as e:
        eq(e.args[0], 0x80, "refused SUBACK")
check(r._alive and r.get_mqttsta() == 0, "still connected")
r.close()
real.close()
check(not r._alive, "close() stopped the thread")
print("OK")
