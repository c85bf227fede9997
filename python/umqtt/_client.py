# umqtt-rs: `from umqtt import MQTTClient`, one class for programs written
# for M5Stack UIFlow2's umqtt and for QuecPython's umqtt, with QoS 2.
#
# Built on umqtt.robust/simple (micropython-lib conventions: callbacks get
# (topic, msg), check_msg()/wait_msg() return the op byte) over the native
# client with max_qos=2; the protocol, QoS 2 handshakes, duplicate filtering
# and topic matching are the core's.
#
# UIFlow2:    subscribe(topic, handler, qos=0) with handler((topic, msg)),
#             wildcard filters matched by the core (_umqtt.topic_matches),
#             handlers deferred through micropython.schedule with a bounded
#             queue (a full queue runs the handler synchronously rather than
#             raising "schedule queue full"); unsubscribe(topic); TLS with
#             ssl=True and ssl_params {cafile, cadata, cert, key (bytes or
#             file paths), cert_reqs, server_hostname, ...} or ssl=SSLContext.
# QuecPython: subscribe(topic, qos=0); reconn=True: a connection error in
#             check_msg/wait_msg/publish reconnects (clean flag of the last
#             connect()), resubscribes every topic with its own QoS and
#             resends unacknowledged QoS 1/2 publishes; error_register_cb(f)
#             gets "reconnect_start"/"reconnect_success", and str(error) when
#             reconn=False; keepalive (default 60) pings automatically from
#             check_msg/wait_msg; version=3 speaks MQTT 3.1 ("MQIsdp");
#             get_mqttsta(); publish() returns True/False and never raises a
#             connection error; close() only closes the socket, disconnect()
#             also ends the client (no more reconnects).
# QoS 2:      publish(qos=2) is exactly once: unacknowledged QoS 1/2
#             publishes are kept and, after a reconnect with
#             clean_session=False, resent with DUP and the same packet id
#             (the engine resends PUBREL for those past PUBREC). Incoming
#             QoS 2 duplicates never reach a callback.
#
# Not reproduced: QuecPython's background thread (keepalive and reconnect
# happen inside check_msg()/wait_msg()/publish() instead), connect() errors
# as ValueError (they stay OSError/MQTTException), pingmaxnum, the
# Quectel-only socket states; UIFlow's isconnected() PINGREQ side effect.

import time
from time import ticks_diff, ticks_ms

from _umqtt import MQTTException, topic_matches

from . import robust

try:
    from micropython import schedule as _schedule
except ImportError:
    _schedule = None

_QUEUE = 8  # handler calls waiting for the scheduler, at most


def pid_gen(pid=0):
    while True:
        pid = pid + 1 if pid < 65535 else 1
        yield pid


class MQTTClient(robust.MQTTClient):
    _MAX_QOS = 2
    CONNECTEXCE = -1
    CONNECTSUCCESS = 0
    ARECONNECT = 1
    SEVCLOSE = 2

    def __init__(self, client_id, server, port=0, user=None, password=None, keepalive=60,
                 ssl=None, ssl_params={}, reconn=True, version=4, pingmaxnum=0, **kw):
        if keepalive and keepalive < 5:
            raise ValueError("keepalive must be 0 or >= 5")
        if version not in (3, 4):
            raise ValueError("version must be 3 or 4")
        super().__init__(client_id, server, port, user, password, keepalive, ssl, ssl_params, **kw)
        self._VERSION = version
        self.reconn = reconn
        self.cb = self._dispatch  # bound once; user callbacks are below
        self._user_cb = None
        self._err_cb = None
        self._handlers = []  # [filter, handler, qos] in subscription order
        self._unacked = {}  # pid -> (topic, msg, retain, qos), QoS 1/2 not yet acked
        self._calls = []  # (handler, (topic, msg)) waiting for the scheduler
        self._run_calls = self._drain  # bound once
        self._clean = True
        self._sta = -1
        self._ended = False
        self.last_ping = self.last_cpacket = ticks_ms()

    # --- callbacks ---------------------------------------------------------

    def set_callback(self, f):
        self._user_cb = f

    def error_register_cb(self, f):
        self._err_cb = f

    def _error(self, what):
        if self._err_cb is not None:
            self._err_cb(what)

    def _status(self, pid, status):
        super()._status(pid, status)
        if status:  # 1: acked; 2: an ack for a pid the engine had given up on
            self._unacked.pop(pid, None)

    def _dispatch(self, topic, msg):
        f = self._user_cb
        if f is not None:
            try:
                f(topic, msg)
            except Exception as e:  # QuecPython: logged, not raised
                print("umqtt: callback error: %r" % (e,))
        for flt, handler, _ in self._handlers:
            if handler is not None and topic_matches(flt, topic):
                self._defer(handler, (topic, msg))

    def _defer(self, handler, data):
        if _schedule is None or len(self._calls) >= _QUEUE:
            handler(data)  # no scheduler, or too far behind: run it now
            return
        self._calls.append((handler, data))
        if len(self._calls) == 1:
            try:
                _schedule(self._run_calls, None)
            except RuntimeError:  # the scheduler's own queue is full
                self._drain(None)

    def _drain(self, _):
        calls = self._calls
        while calls:
            handler, data = calls.pop(0)
            handler(data)

    # --- connection ----------------------------------------------------------

    def connect(self, clean_session=True, timeout=None):
        self._clean = clean_session
        self._ended = False
        if clean_session:
            self._unacked.clear()
        try:
            r = super().connect(clean_session, timeout)
        except Exception:
            self._sta = -1
            raise
        self._sta = 0
        self.last_ping = ticks_ms()
        if not clean_session:
            self._resend()
        return r

    def _resend(self):
        # After a resumed connect: every unacknowledged QoS 1/2 publish again,
        # same pid, DUP set (the engine skips QoS 2 ones already PUBRECed).
        for pid, (topic, msg, retain, qos) in list(self._unacked.items()):
            self._republish(topic, msg, retain, qos, pid)

    def reconnect(self):
        self._sta = 1
        self._error("reconnect_start")
        attempt = 0
        while not self._ended:
            try:
                super().connect(self._clean)
                self._sta = 0
                self.last_ping = ticks_ms()
                for flt, _, qos in self._handlers:
                    simple_subscribe(self, flt, qos)
                self._resend()
                self._error("reconnect_success")
                return 0
            except (OSError, MQTTException) as e:
                self.log(True, e)
            attempt += 1
            self.delay(attempt)

    def _conn_lost(self, e):
        # A connection error: reconnect (reconn=True) or report it.
        self.log(False, e)
        if self._ended:
            return
        self._sta = 2 if e.args and e.args[0] == -1 else -1
        if self.reconn:
            self.reconnect()
        elif self._err_cb is not None:
            self._error(str(e))
        else:
            raise e

    def close(self):
        # Only the socket (QuecPython): connect() may be called again.
        sock = self._sock()
        self._attach(None)
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
        self._sta = -1

    def disconnect(self):
        self._ended = True
        super().disconnect()
        self._sta = -1

    def get_mqttsta(self):
        # -1: not connected / error, 0: connected, 1: reconnecting, 2: closed by the server
        return self._sta

    # --- keepalive -----------------------------------------------------------

    def _keepalive(self):
        # Returns ms until the next ping is due (None: no keepalive).
        ka = self.keepalive * 1000
        if not ka:
            return None
        now = ticks_ms()
        if ticks_diff(now, self.last_cpacket) > ka + ka // 2:
            raise OSError(110)  # the broker stopped answering
        due = ka // 2 - ticks_diff(now, self.last_ping)
        if due <= 0:
            self.ping()
            due = ka // 2
        return due

    # --- operations ----------------------------------------------------------

    def check_msg(self):
        try:
            self._keepalive()
            return simple_check(self)
        except OSError as e:
            self._conn_lost(e)

    def wait_msg(self):
        while True:
            try:
                due = self._keepalive()
                before = self.last_cpacket
                r = self._receive(due)
                if r is not None or self.last_cpacket != before:
                    return r
            except OSError as e:
                self._conn_lost(e)
                return None

    def publish(self, topic, msg, retain=False, qos=0):
        # True once sent (QoS 0) or acknowledged (QoS 1: PUBACK, QoS 2:
        # PUBCOMP) within message_timeout; False otherwise. An unacknowledged
        # QoS 1/2 message is kept and resent after a resumed reconnect.
        try:
            for _ in range(2):
                try:
                    pid = simple_publish(self, topic, msg, retain, qos)
                    break
                except OSError as e:
                    self._conn_lost(e)
                    if self._sock() is None:
                        return False
            else:
                return False
            if not qos:
                return True
            self._unacked[pid] = (topic, msg, retain, qos)
            try:
                acks = self._acks
                while pid in acks:
                    deadline = acks.get(pid)
                    self._receive(None if deadline is None else max(0, ticks_diff(deadline, ticks_ms())))
            except OSError as e:
                self._conn_lost(e)
            return pid not in self._unacked
        except (OSError, MQTTException):
            return False  # reconn=False without an error callback

    def subscribe(self, topic, handler=None, qos=0):
        # subscribe(topic, handler, qos) (UIFlow2) or subscribe(topic, qos)
        # (QuecPython).
        if isinstance(handler, int):
            handler, qos = None, handler
        topic_matches(topic, b"x")  # ValueError for an invalid filter
        for h in self._handlers:
            if h[0] == topic:
                h[1], h[2] = handler, qos
                break
        else:
            self._handlers.append([topic, handler, qos])
        simple_subscribe(self, topic, qos)

    def unsubscribe(self, topic):
        self._handlers = [h for h in self._handlers if h[0] != topic]
        simple_unsubscribe(self, topic)


# The plain (non-reconnecting, blocking) operations of umqtt.simple.
def simple_publish(c, topic, msg, retain, qos):
    return super(robust.simple.MQTTClient, c).publish(topic, msg, retain, qos)


def simple_subscribe(c, topic, qos):
    robust.simple.MQTTClient.subscribe(c, topic, qos)


def simple_unsubscribe(c, topic):
    robust.simple.MQTTClient.unsubscribe(c, topic)


def simple_check(c):
    return super(robust.simple.MQTTClient, c).check_msg()
