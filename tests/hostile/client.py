# MicroPython client for the hostile broker (tests/hostile/run.py starts one
# per scenario, mode and façade, with a hard timeout).
#
#   micropython client.py FACADE MODE PORT SOCKET_TIMEOUT OPS [v5[:ALIASES]]
#
# FACADE: simple2 | simple | robust | robust2 (module umqtt.<FACADE>), or
#         umqtt (umqtt.MQTTClient, the UIFlow2/QuecPython class)
# MODE:   check | wait   (check_msg() polled, or wait_msg())
# OPS:    comma list run after connect(): sub0, sub1, pub1, unsub, ping,
#         sleep:MS, pubbig:BYTES, pub2 (publish qos 2, umqtt only) ("-" for none)
# v5:     MQTT 5 (scenarios with v5=True; façade umqtt only):
#         umqtt.MQTTClient(version=5), connect(properties={0x22: ALIASES})
#         when ALIASES (the Topic Alias Maximum we announce) is given. Then
#         the callback gets (topic, msg, properties): msg(T,P,{props}); a
#         successful connect() with CONNACK properties prints
#         connack({props}); an exception prints all its arguments
#         (OSError(-1,'Session_taken_over')) and, once set,
#         client.disconnect_reason prints as dr(reason,{props}); after an op
#         that failed (a reason code) and an after-call that did not raise,
#         the client goes on receiving until the end message.
#
# Prints one "EV <token>" line per observed reaction (see broker.py for the
# tokens) and finally "DONE <longest single call in ms>".
import sys
import time

from tokens import ev, exc_token, exc_token5, payload_text, props_text, valid_props, valid_topic

facade, mode, port, st, ops = sys.argv[1:6]
port = int(port)
st = int(st)
v5 = len(sys.argv) > 6 and sys.argv[6].startswith("v5")
aliases = int(sys.argv[6][3:]) if v5 and ":" in sys.argv[6] else 0
if v5 and facade != "umqtt":
    raise SystemExit("MQTT 5 is umqtt.MQTTClient(version=5) only")
if v5:
    exc_token = exc_token5  # noqa: F811

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
    if v5:
        on_msg5(topic, msg, *flags)
        return
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


def on_msg5(topic, msg, *props):
    # umqtt.MQTTClient(version=5): callback(topic, msg, properties)
    global done
    if not valid_topic(topic) or not isinstance(msg, (bytes, bytearray)) or \
            len(props) != 1 or not valid_props(props[0]):
        ev("BADCB(%r,%r,%r)" % (topic, msg, props))
        return
    if topic == END_TOPIC:
        ev("end")
        done = True
        return
    ev("msg(%r,%s,%s)" % (topic, payload_text(msg), props_text(props[0])))


def on_stat(pid, status):
    if not isinstance(pid, int) or not 1 <= pid <= 65535 or status not in (0, 1, 2):
        ev("BADSTAT(%r,%r)" % (pid, status))
        return
    ev("stat(%d,%d)" % (pid, status))


def on_handler(data):
    # umqtt's UIFlow2 handler: one (topic, msg) tuple, deferred through
    # micropython.schedule. The message callback (on_msg) records the
    # message; the handler only checks what it got.
    ok = isinstance(data, tuple) and len(data) == (3 if v5 else 2) and valid_topic(data[0]) and \
        isinstance(data[1], (bytes, bytearray)) and (not v5 or valid_props(data[2]))
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
                       version=5 if v5 else 4, socket_timeout=st, message_timeout=30)
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


reported_dr = False


def report_disconnect_reason(c):
    # MQTT 5: the broker's DISCONNECT (reason, properties), once.
    global reported_dr
    dr = getattr(c, "disconnect_reason", None) if v5 else None
    if dr is not None and not reported_dr:
        reported_dr = True
        ok = isinstance(dr, tuple) and len(dr) == 2 and isinstance(dr[0], int) and valid_props(dr[1])
        ev("dr(%d,%s)" % (dr[0], props_text(dr[1])) if ok else "BADDR(%r)" % (dr,))


def receive_once(c):
    fn = c.check_msg if mode == "check" else c.wait_msg
    return call(c, fn)


def main():
    global done
    c = make()
    if aliases:
        r, e = call(c, c.connect, True, None, {0x22: aliases})
    else:
        r, e = call(c, c.connect)
    if e is not None:
        ev("connect:" + exc_token(e))
        return c
    if r:
        ev("sp%d" % r)
    if v5 and c.connack_properties:
        ev("connack(%s)" % props_text(c.connack_properties))
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
        elif op == "pub2":
            r, e = call(c, c.publish, b"x/y", b"q2", False, 2)
        elif op == "unsub":
            r, e = call(c, c.unsubscribe, b"a/b")
        elif op == "ping":
            r, e = call(c, c.ping)
        elif op.startswith("pubbig:"):
            r, e = call(c, c.publish, b"x/big", bytes(int(op[7:])))
        else:
            raise SystemExit("unknown op " + op)
        failed = e is not None or (facade == "umqtt" and r is False)
        if e is None and facade == "umqtt" and r is False:
            # umqtt.MQTTClient.publish() reports failure by returning False.
            ev("op-%s:False" % op.split(":")[0])
        elif e is not None:
            ev("op-%s:%s" % (op.split(":")[0], exc_token(e)))
            report_disconnect_reason(c)
        if failed:
            # MQTT 5: an op refused by a reason code leaves the connection
            # usable: when the after-call raised nothing, the client goes on
            # receiving (the remaining ops do not run) until the end message.
            if after(c) or done or not v5:
                return c
            break
    t0 = time.ticks_ms()
    while not done:
        r, e = receive_once(c)
        if e is not None:
            ev(exc_token(e))
            report_disconnect_reason(c)
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
    # Returns True if it raised.
    r, e = call(c, c.check_msg)
    if e is not None:
        ev("after:" + exc_token(e))
    elif r is None:
        ev("after:None")
    else:
        ev("after:ret(0x%02x)" % r)
    report_disconnect_reason(c)
    return e is not None


c = main()
try:
    c.disconnect()
except Exception:
    pass
print("DONE %d" % longest)
