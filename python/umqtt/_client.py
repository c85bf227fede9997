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
# QuecPython: subscribe(topic, qos=0); reconn=True: a connection error
#             reconnects (clean flag of the last connect()), resubscribes
#             every topic with its own QoS and resends unacknowledged QoS 1/2
#             publishes; error_register_cb(f) gets "reconnect_start"/
#             "reconnect_success", and str(error) when reconn=False;
#             keepalive (default 60) pings automatically; version=3 speaks
#             MQTT 3.1 ("MQIsdp"); get_mqttsta(); publish() returns
#             True/False and never raises a connection error; close() only
#             closes the socket, disconnect() also ends the client (no more
#             reconnects).
# Background thread (QuecPython): where the port has _thread, connect()
#             with keepalive > 0 starts one thread (thread=False: never)
#             that pings, receives messages (callbacks run on it) and
#             reconnects, so the program needs no check_msg()/wait_msg()
#             loop; close() and disconnect() stop it and wait for it to
#             end; connect() starts it again. Every call into the native
#             client, which is not thread-safe, is made holding one
#             re-entrant lock (a callback may publish); nobody holds it
#             while waiting for data (waits poll the socket unlocked, then
#             handle a packet under the lock) or sleeping between reconnect
#             attempts. One reconnect at a time: a thread whose call hits a
#             connection error while another thread reconnects waits for
#             that reconnect. check_msg()/wait_msg()/publish() still work
#             from any thread (wait_msg() returns once any thread has
#             handled a packet). Without _thread, or with keepalive=0,
#             keepalive and reconnect happen inside check_msg()/wait_msg()/
#             publish() instead.
# QoS 2:      publish(qos=2) is exactly once: unacknowledged QoS 1/2
#             publishes are kept and, after a reconnect with
#             clean_session=False, resent with DUP and the same packet id
#             (the engine resends PUBREL for those past PUBREC). Incoming
#             QoS 2 duplicates never reach a callback.
#
# Not reproduced: connect() errors as ValueError (they stay
# OSError/MQTTException), pingmaxnum, the thread's stack size per Quectel
# platform (the port's default is used), the Quectel-only socket states;
# UIFlow's isconnected() PINGREQ side effect.

import time
from time import sleep_ms, ticks_diff, ticks_ms

import select
from _umqtt import MQTTException, topic_matches

from . import robust

try:
    from micropython import schedule as _schedule
except ImportError:
    _schedule = None

try:
    import _thread
except ImportError:
    _thread = None

_QUEUE = 8  # handler calls waiting for the scheduler, at most
_SLICE = 50  # ms: the longest a wait polls the socket before looking again


def pid_gen(pid=0):
    while True:
        pid = pid + 1 if pid < 65535 else 1
        yield pid


class _RLock:
    # One _thread lock that the thread holding it may take again (a message
    # callback, run inside the native client, that publishes).

    def __init__(self):
        self._lock = _thread.allocate_lock()
        self._owner = None
        self._depth = 0

    def held(self):
        return self._owner == _thread.get_ident()

    def __enter__(self):
        me = _thread.get_ident()
        if self._owner != me:
            self._lock.acquire()
            self._owner = me
        self._depth += 1
        return self

    def __exit__(self, *exc):
        self._depth -= 1
        if not self._depth:
            self._owner = None
            self._lock.release()


class _NoLock:
    # No threads: every call is already serialised.

    def held(self):
        return True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


_NOLOCK = _NoLock()
_ident = _thread.get_ident if _thread else (lambda: 0)


class MQTTClient(robust.MQTTClient):
    _MAX_QOS = 2
    CONNECTEXCE = -1
    CONNECTSUCCESS = 0
    ARECONNECT = 1
    SEVCLOSE = 2

    def __init__(self, client_id, server, port=0, user=None, password=None, keepalive=60,
                 ssl=None, ssl_params={}, reconn=True, version=4, pingmaxnum=0, *,
                 thread=True, **kw):
        if keepalive and keepalive < 5:
            raise ValueError("keepalive must be 0 or >= 5")
        if version not in (3, 4, 5):
            raise ValueError("version must be 3, 4 or 5")
        super().__init__(client_id, server, port, user, password, keepalive, ssl, ssl_params, **kw)
        self._VERSION = version
        self.reconn = reconn
        self.cb = self._dispatch  # bound once; user callbacks are below
        self._user_cb = None
        self._err_cb = None
        self._handlers = []  # [filter, handler, qos|options, properties] in subscription order
        self._unacked = {}  # pid -> (topic, msg, retain, qos), QoS 1/2 not yet acked
        self._calls = []  # (handler, (topic, msg)) waiting for the scheduler
        self._run_calls = self._drain  # bound once
        self._clean = True
        self._sta = -1
        self._ended = False
        self.last_ping = self.last_cpacket = ticks_ms()
        self._npk = 0  # messages and acks handled, for wait_msg()
        # Threads: every attribute the background thread touches exists
        # before it starts (no instance dict growth while it runs).
        self._lk = _RLock() if _thread else _NOLOCK
        self._bg = bool(thread) and _thread is not None  # may run the background thread
        self._run = False  # the background thread is to keep running
        self._alive = False  # it has been started and has not ended
        self._bg_id = None  # its ident
        self._rc = None  # ident of the thread that is reconnecting
        self._subfail = None  # a refused SUBACK the background thread read
        # MQTT 5 (version=5): what the broker's CONNACK said ({} before).
        self.connack_properties = {}
        self.disconnect_reason = None  # (reason, properties) of a broker DISCONNECT

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
        self._npk += 1
        if status:  # 1: acked; 2: an ack for a pid the engine had given up on
            self._unacked.pop(pid, None)

    def _dispatch(self, topic, msg, *props):
        # MQTT 5: props is (properties,), passed on to the callback and the
        # handlers as a third item.
        self._npk += 1
        f = self._user_cb
        if f is not None:
            try:
                f(topic, msg, *props)
            except Exception as e:  # QuecPython: logged, not raised
                print("umqtt: callback error: %r" % (e,))
        for h in self._handlers:
            if h[1] is not None and topic_matches(h[0], topic):
                self._defer(h[1], (topic, msg) + props)

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
        while True:
            with self._lk:  # the background thread appends
                if not calls:
                    return
                handler, data = calls.pop(0)
            handler(data)

    # --- connection ----------------------------------------------------------

    def connect(self, clean_session=True, timeout=None, properties=None):
        # MQTT 5: properties of the CONNECT (kept for reconnects).
        with self._lk:
            if properties is not None:
                self._conn_props = properties
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
            self._start()
            return r

    def _connect(self, clean, version=4, props=None):
        # Every connect and reconnect: MQTT 5 brokers may assign the client
        # id and impose the keepalive (CONNACK properties 0x12, 0x13).
        r = super()._connect(clean, version, props)
        if version == 5:
            p = self.connack_properties
            if 0x12 in p:
                self.client_id = p[0x12]
            if 0x13 in p:
                self.keepalive = p[0x13]
        return r

    def _resend(self):
        # After a resumed connect: every unacknowledged QoS 1/2 publish again,
        # same pid, DUP set (the engine skips QoS 2 ones already PUBRECed).
        for pid, (topic, msg, retain, qos, props) in list(self._unacked.items()):
            self._republish(topic, msg, retain, qos, pid, props)

    def _halted(self, me):
        # Reconnecting must stop: disconnect(), or close() for the thread.
        return self._ended or (me == self._bg_id and not self._run)

    def reconnect(self):
        lk = self._lk
        me = _ident()
        nested = lk.held()  # no threads, or inside a callback of the native client
        with lk:
            if self._rc is not None:
                # Another thread is reconnecting (or this one, and its error
                # callback got here): wait for its outcome, unless this
                # thread holds the lock that the other one needs.
                if self._rc == me or nested:
                    return None
                wait = True
            else:
                wait = False
                self._rc = me
                self._sta = 1
        if wait:
            while self._rc is not None:
                sleep_ms(10)
            return 0 if self._sta == 0 else None
        try:
            self._error("reconnect_start")
            attempt = 0
            while not self._halted(me):
                try:
                    with lk:
                        if self._sta == 0:  # connect() from another thread
                            return 0
                        super().connect(self._clean)
                        self._sta = 0
                        self.last_ping = ticks_ms()
                        for flt, _, qos, props in self._handlers:
                            simple_subscribe(self, flt, qos, props)
                        self._resend()
                        if me != self._bg_id:
                            self._start()
                    self._error("reconnect_success")
                    return 0
                except (OSError, MQTTException) as e:
                    self.log(True, e)
                attempt += 1
                self.delay(attempt)  # not holding the lock (unless nested)
        finally:
            self._rc = None

    def _conn_lost(self, e):
        # A connection error: reconnect (reconn=True) or report it.
        self.log(False, e)
        if self._ended:
            return
        if self._rc is None:
            self._sta = 2 if e.args and e.args[0] == -1 else -1
        if self.reconn:
            self.reconnect()
        elif self._err_cb is not None:
            self._error(str(e))
        else:
            raise e

    def close(self):
        # Only the socket (QuecPython): connect() may be called again.
        self._stop()
        with self._lk:
            sock = self._sock()
            self._attach(None)
            self._sta = -1
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def disconnect(self, reason=0, properties=None):
        # MQTT 5: reason (e.g. 0x04: publish the will) and properties.
        self._ended = True
        self._stop()
        with self._lk:
            super().disconnect(reason, properties)
            self._sta = -1

    def get_mqttsta(self):
        # -1: not connected / error, 0: connected, 1: reconnecting, 2: closed by the server
        return self._sta

    # --- the background thread -------------------------------------------------

    def _start(self):
        # Called holding the lock, once connected.
        if not (self._bg and self.keepalive):
            return
        self._run = True
        if self._alive:  # still running (or connect() from its own callback)
            return
        self._alive = True
        try:
            _thread.start_new_thread(self._loop, ())
        except Exception as e:  # no thread: check_msg()/wait_msg() do its work
            self._alive = self._run = False
            self.log(False, e)

    def _stop(self):
        # Ends the background thread and waits for it, unless this is the
        # thread itself or holds the lock it needs to end (a callback).
        lk = self._lk
        with lk:
            self._run = False
        if not self._alive or self._bg_id == _ident() or lk.held():
            return
        t0 = ticks_ms()
        while self._alive and ticks_diff(ticks_ms(), t0) < 60000:
            sleep_ms(5)

    def _loop(self):
        lk = self._lk
        cache = [None, None]  # the socket polled, its poller
        with lk:
            self._bg_id = _ident()
        while True:
            err = None
            with lk:
                if not self._run or self._ended:
                    self._run = self._alive = False
                    self._bg_id = None  # idents are reused
                    return
                try:
                    due = self._keepalive()
                except OSError as e:
                    err = e
            if err is None:
                self._readable(_SLICE if due is None else min(due, _SLICE), cache)
                try:
                    with lk:
                        if self._run:
                            self._receive(0)
                    continue
                except MQTTException as e:
                    if e.args and e.args[0] == 0x80:  # a refused SUBACK: for subscribe()
                        self._subfail = e
                        continue
                    err = e
                except OSError as e:
                    err = e
                except Exception as e:  # a handler raised
                    print("umqtt: handler error: %r" % (e,))
                    continue
            try:
                self._conn_lost(err)
            except Exception as e:  # reconn=False and no error callback
                self.log(False, e)
            with lk:
                if self._sta != 0:  # not reconnected: the thread ends
                    self._run = False

    def _readable(self, ms, cache):
        # Waits up to ms, without the lock, for the socket to have data;
        # True if it has.
        s = self._sock()
        if s is not cache[0]:
            cache[0] = s
            cache[1] = None
            if s is not None:
                try:
                    p = select.poll()
                    p.register(s, select.POLLIN)
                    cache[1] = p
                except Exception:
                    pass
        p = cache[1]
        if p is None:
            sleep_ms(ms if s is None else 1)
            return s is not None
        try:
            return bool(p.poll(ms))
        except Exception:  # closed under us
            sleep_ms(ms)
            return False

    def _step(self, ms):
        # Handles at most one packet, waiting up to ms (None: forever) for
        # one to begin. With threads the wait polls the socket without the
        # lock, for at most _SLICE ms (the callers loop), and ends early when
        # another thread has handled a packet (maybe what the caller waits
        # for): pieces of 1, 2, 4... ms, so a quick ack is seen quickly.
        lk = self._lk
        if lk.held():  # no threads, or inside a callback
            return self._receive(ms)
        left = _SLICE if ms is None else min(ms, _SLICE)
        npk, last = self._npk, self.last_cpacket
        cache = [None, None]
        piece = 1
        while left > 0:
            if self._readable(min(piece, left), cache):
                break
            if self._npk != npk or self.last_cpacket != last:
                return None
            left -= piece
            piece = min(piece * 2, 16)
        with lk:
            return self._receive(0)

    def _wait_ack(self, pid, lost=True):
        # Until pid's ack has come (whichever thread handles it) or its
        # deadline has passed: then, if lost, OSError(ETIMEDOUT) as
        # umqtt.simple raises for SUBACK/UNSUBACK.
        lk = self._lk
        acks = self._acks
        while True:
            with lk:
                if pid not in acks:
                    if lost and self._lost == pid:
                        self._lost = 0
                        raise OSError(110)
                    e, self._subfail = self._subfail, None
                    if lost and e is not None:
                        raise e
                    return
                deadline = acks.get(pid)
            self._step(None if deadline is None else max(0, ticks_diff(deadline, ticks_ms())))

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

    def ping(self):
        with self._lk:
            return super().ping()

    def check_msg(self):
        try:
            with self._lk:
                self._keepalive()
                return simple_check(self)
        except OSError as e:
            self._conn_lost(e)

    def wait_msg(self):
        lk = self._lk
        while True:
            try:
                with lk:
                    due = self._keepalive()
                    npk, last = self._npk, self.last_cpacket
                r = self._step(due)
                if r is not None:
                    return r
                with lk:
                    if self._npk != npk or self.last_cpacket != last:
                        return None  # handled here or by another thread
            except OSError as e:
                self._conn_lost(e)
                return None

    def publish(self, topic, msg, retain=False, qos=0, properties=None):
        # True once sent (QoS 0) or acknowledged (QoS 1: PUBACK, QoS 2:
        # PUBCOMP) within message_timeout; False otherwise (MQTT 5: also when
        # the broker refuses it). An unacknowledged QoS 1/2 message is kept
        # and resent after a resumed reconnect.
        lk = self._lk
        try:
            for _ in range(2):
                try:
                    with lk:  # recorded before another thread can see its ack
                        pid = simple_publish(self, topic, msg, retain, qos, properties)
                        if qos:
                            self._unacked[pid] = (topic, msg, retain, qos, properties)
                    break
                except OSError as e:
                    self._conn_lost(e)
                    if self._sock() is None:
                        return False
            else:
                return False
            if not qos:
                return True
            try:
                self._wait_ack(pid, False)
            except OSError as e:
                self._conn_lost(e)
            with lk:
                return pid not in self._unacked
        except (OSError, MQTTException):
            return False  # reconn=False without an error callback

    def subscribe(self, topic, handler=None, qos=0, properties=None, *, no_local=False,
                  retain_as_published=False, retain_handling=0):
        # subscribe(topic, handler, qos) (UIFlow2) or subscribe(topic, qos)
        # (QuecPython). MQTT 5: properties (e.g. {0x0B: subscription id})
        # and the subscription options.
        if isinstance(handler, int):
            handler, qos = None, handler
        topic_matches(topic, b"x")  # ValueError for an invalid filter
        if not 0 <= retain_handling <= 2:
            raise ValueError("retain_handling must be 0, 1 or 2")
        opts = qos | (4 if no_local else 0) | (8 if retain_as_published else 0) | (retain_handling << 4)
        with self._lk:
            for h in self._handlers:
                if h[0] == topic:
                    h[1], h[2], h[3] = handler, opts, properties
                    break
            else:
                self._handlers.append([topic, handler, opts, properties])
            self._subfail = None
            pid = super(robust.simple.MQTTClient, self).subscribe(topic, opts, properties)
        self._wait_ack(pid)

    def unsubscribe(self, topic, properties=None):
        with self._lk:
            self._handlers = [h for h in self._handlers if h[0] != topic]
            pid = super(robust.simple.MQTTClient, self).unsubscribe(topic, properties)
        self._wait_ack(pid)


# The plain (non-reconnecting, blocking) operations of umqtt.simple.
def simple_publish(c, topic, msg, retain, qos, props=None):
    return super(robust.simple.MQTTClient, c).publish(topic, msg, retain, qos, properties=props)


def simple_subscribe(c, topic, qos, props=None):
    robust.simple.MQTTClient.subscribe(c, topic, qos, props)


def simple_check(c):
    return super(robust.simple.MQTTClient, c).check_msg()
