# MicroPython client for the hostile broker (tests/hostile/run.py starts one
# per scenario, mode and façade, with a hard timeout).
#
#   micropython client.py FACADE MODE PORT SOCKET_TIMEOUT OPS
#
# FACADE: simple2 | simple | robust | robust2 (module umqtt.<FACADE>), or
#         umqtt (umqtt.MQTTClient, the UIFlow2/QuecPython class)
# MODE:   check | wait   (check_msg() polled, or wait_msg())
# OPS:    comma list run after connect(): sub0, sub1, pub1, unsub, ping,
#         sleep:MS, pubbig:BYTES ("-" for none)
#
# Prints one "EV <token>" line per observed reaction (see broker.py for the
# tokens) and finally "DONE <longest single call in ms>".
import sys
import time

from tokens import ev, exc_token, payload_text, valid_topic

facade, mode, port, st, ops = sys.argv[1:6]
port = int(port)
st = int(st)

if facade == "simple2":
    from umqtt.simple2 import MQTTClient
elif facade == "simple":
    from umqtt.simple import MQTTClient
elif facade == "robust":
    from umqtt.robust import MQTTClient
elif facade == "robust2":
    from umqtt.robust2 import MQTTClient
elif facade == "umqtt":
    from umqtt import MQTTClient
else:
    raise SystemExit("unknown facade " + facade)

END_TOPIC = b"hostile/end"
CHECK_BUDGET_MS = (3 * st + 4) * 1000  # check mode: give up (idle) after this

longest = 0
done = False


def on_msg(topic, msg, *flags):
    global done
    if not valid_topic(topic) or not isinstance(msg, (bytes, bytearray)) or \
            any(not isinstance(f, bool) for f in flags):
        ev("BADCB(%r,%r,%r)" % (topic, msg, flags))
        return
    if topic == END_TOPIC:
        ev("end")
        done = True
        return
    r = int(flags[0]) if len(flags) > 0 else 0
    d = int(flags[1]) if len(flags) > 1 else 0
    ev("msg(%r,%s,r%d,d%d)" % (topic, payload_text(msg), r, d))


def on_stat(pid, status):
    if not isinstance(pid, int) or not 1 <= pid <= 65535 or status not in (0, 1, 2):
        ev("BADSTAT(%r,%r)" % (pid, status))
        return
    ev("stat(%d,%d)" % (pid, status))


def on_handler(data):
    # umqtt's UIFlow2 handler: one (topic, msg) tuple, deferred through
    # micropython.schedule. The message callback (on_msg) records the
    # message; the handler only checks what it got.
    ok = isinstance(data, tuple) and len(data) == 2 and valid_topic(data[0]) and \
        isinstance(data[1], (bytes, bytearray))
    if not ok:
        ev("BADHANDLER(%r)" % (data,))


def make():
    cid = "hostile-%d" % port
    if facade == "umqtt":
        # reconn=False: a connection error is reported (raised, or publish()
        # returns False) instead of reconnecting, so the reaction reaches the
        # caller. thread=False: no background thread; with one, it would
        # receive packets, run callbacks and handle errors itself, racing the
        # check_msg()/wait_msg() loop here, and the reactions (raised on that
        # thread, only logged) would not surface to the caller. (keepalive=0
        # already keeps it from starting; thread=False makes that explicit.)
        c = MQTTClient(cid, "127.0.0.1", port, keepalive=0, reconn=False, thread=False,
                       socket_timeout=st, message_timeout=30)
        c.set_callback(on_msg)
        return c
    try:
        c = MQTTClient(cid, "127.0.0.1", port, keepalive=0, socket_timeout=st, message_timeout=30)
    except TypeError:  # façades without these keywords
        c = MQTTClient(cid, "127.0.0.1", port, keepalive=0)
    c.socket_timeout = st
    c.set_callback(on_msg)
    if hasattr(c, "set_callback_status"):
        c.set_callback_status(on_stat)
    # robust/robust2 log and retry: keep their delays short.
    if hasattr(c, "DELAY"):
        c.DELAY = 0.2
    return c


def pending_issue(c):
    # robust2 reports connection problems through conn_issue instead of
    # raising: turn them back into the exception for the record.
    issue = getattr(c, "conn_issue", None)
    if issue:
        c.conn_issue = None
        return issue[0] if isinstance(issue, tuple) else issue
    return None


def call(c, fn, *args):
    """Runs fn, timing it; returns (result, exception)."""
    global longest
    t0 = time.ticks_ms()
    try:
        r = fn(*args)
        e = pending_issue(c)
    except Exception as ex:
        r, e = None, ex
    dt = time.ticks_diff(time.ticks_ms(), t0)
    if dt > longest:
        longest = dt
    return r, e


def receive_once(c):
    fn = c.check_msg if mode == "check" else c.wait_msg
    return call(c, fn)


def main():
    global done
    c = make()
    r, e = call(c, c.connect)
    if e is not None:
        ev("connect:" + exc_token(e))
        return c
    if r:
        ev("sp%d" % r)
    for op in [o for o in ops.split(",") if o and o != "-"]:
        if op.startswith("sleep:"):
            time.sleep_ms(int(op[6:]))
            continue
        if op == "sub0":
            if facade == "umqtt":  # UIFlow2 form: subscribe(topic, handler, qos)
                r, e = call(c, c.subscribe, b"a/b", on_handler, 0)
            else:
                r, e = call(c, c.subscribe, b"a/b", 0)
        elif op == "sub1":  # (umqtt: the QuecPython form, subscribe(topic, qos))
            r, e = call(c, c.subscribe, b"a/b", 1)
        elif op == "pub1":
            r, e = call(c, c.publish, b"x/y", b"q1", False, 1)
        elif op == "unsub":
            r, e = call(c, c.unsubscribe, b"a/b")
        elif op == "ping":
            r, e = call(c, c.ping)
        elif op.startswith("pubbig:"):
            r, e = call(c, c.publish, b"x/big", bytes(int(op[7:])))
        else:
            raise SystemExit("unknown op " + op)
        if e is None and facade == "umqtt" and r is False:
            # umqtt.MQTTClient.publish() reports failure by returning False.
            ev("op-%s:False" % op.split(":")[0])
            after(c)
            return c
        if e is not None:
            ev("op-%s:%s" % (op.split(":")[0], exc_token(e)))
            after(c)
            return c
    t0 = time.ticks_ms()
    while not done:
        r, e = receive_once(c)
        if e is not None:
            ev(exc_token(e))
            after(c)
            return c
        if r is not None and not done:  # (not the end message's return value)
            ev("ret(0x%02x)" % r)
        elif mode == "check":
            if time.ticks_diff(time.ticks_ms(), t0) > CHECK_BUDGET_MS:
                ev("idle")
                return c
            time.sleep_ms(5)
    return c


def after(c):
    # One more call after an error: simple2-compatible clients stay unusable
    # (MQTTException(1)) after a broken stream; a timed-out packet continues.
    r, e = call(c, c.check_msg)
    if e is not None:
        ev("after:" + exc_token(e))
    elif r is None:
        ev("after:None")
    else:
        ev("after:ret(0x%02x)" % r)


c = main()
try:
    c.disconnect()
except Exception:
    pass
print("DONE %d" % longest)
