# `from umqtt import MQTTClient`, UIFlow2's per-topic handlers (issue 17,
# item 7): subscribe(topic, handler, qos) handlers run through
# micropython.schedule, on the main thread (UIFlow2's touch UI objects),
# in the order the messages came, none dropped when more wait than the
# queue holds (a slow handler), and a handler that raises is reported
# (printed) without stopping the handlers after it. Three ways to receive:
# a check_msg() loop without the background thread; a main thread that
# only sleeps while the thread (keepalive > 0) receives; a main thread in a
# wait_msg() loop with the thread running.
# timeout: 60
# needs: client
import time
import testenv
from mqttutil import check, eq, topic, uid
from umqtt import MQTTClient

try:
    import _thread
    MAIN = _thread.get_ident()
    ident = _thread.get_ident
except ImportError:
    _thread = None
    MAIN = 0

    def ident():
        return 0

N = 40
feeder = MQTTClient(uid("feed"), testenv.HOST, testenv.PORT)
feeder.connect()


def run(how, slow=False, bad=None):
    kw = {"keepalive": 0} if how == "check" else {"keepalive": 10}
    c = MQTTClient(uid("h-" + how), testenv.HOST, testenv.PORT, **kw)
    c.connect()
    base = topic("h")
    got = []

    def handler(data):
        n = int(data[1])
        got.append((n, ident()))
        if slow:
            time.sleep_ms(20)
        if n == bad:
            raise ValueError("handler failed on purpose")

    c.subscribe(base + b"/+", handler, 1)
    for i in range(N):
        feeder.publish(base + b"/%d" % i, b"%d" % i, qos=1)
    t0 = time.ticks_ms()
    while len(got) < N and time.ticks_diff(time.ticks_ms(), t0) < 15000:
        if how == "check":
            c.check_msg()
        elif how == "wait":
            c.wait_msg()
        else:
            time.sleep_ms(5)
    time.sleep_ms(100)  # nothing more comes
    what = "%s%s%s" % (how, " slow" if slow else "", " raising" if bad is not None else "")
    eq([n for n, _ in got], list(range(N)), what + ": every handler call, in order")
    eq([i for i, (_, th) in enumerate(got) if th != MAIN], [], what + ": calls not on the main thread")
    c.disconnect()


run("check")
run("check", slow=True)
run("check", bad=3)
if _thread is not None:
    run("sleep")
    run("sleep", slow=True)
    run("sleep", bad=0)
    run("wait", slow=True, bad=5)
feeder.disconnect()
print("OK")
