# umqtt-rs: `from umqtt import MQTTClient`, one class for programs written
# for M5Stack UIFlow2's umqtt and for QuecPython's umqtt, with QoS 2.
#
# Built on umqtt.robust/simple (micropython-lib conventions: callbacks get
# (topic, msg), check_msg()/wait_msg() return the op byte) over the native
# client with max_qos=2; the protocol, QoS 2 handshakes, duplicate filtering
# and topic matching are the core's.
#
# UIFlow2:    subscribe(topic, handler, qos=0) with handler((topic, msg)),
#             wildcard filters matched by the core (_umqtt.topic_matches);
#             unsubscribe(topic); check_msg(attempts=2): up to `attempts`
#             reads, each that meets a connection error followed by a
#             reconnect (below), None once all failed; TLS with ssl=True and
#             ssl_params {cafile, cadata, cert, key (bytes or file paths),
#             cert_reqs, server_hostname, ...} or ssl=SSLContext.
# Handlers:   queued in arrival order; one function scheduled with
#             micropython.schedule runs them one after the other, never on
#             the background thread and never inside the client's lock
#             (there it schedules itself again and returns). On unix and rp2
#             only the main thread runs scheduled functions; on ports with a
#             GIL (esp32) any thread may, so a program thread of its own that
#             receives may run them, as with UIFlow2. A handler that raises
#             is printed and the next one runs. While _QUEUE calls wait, the
#             background thread receives nothing more; a full scheduler queue
#             is retried: nothing is dropped or run out of order. Without
#             micropython.schedule they run at once, in order.
# QuecPython: subscribe(topic, qos=0); set_callback(f), f(topic, msg) called
#             on the thread that receives (an error in it is printed);
#             keepalive (default 0 in both vendors' documents; any value);
#             version=3 speaks MQTT 3.1 ("MQIsdp"); get_mqttsta(); publish()
#             returns True/False and never raises a connection error;
#             close() only closes the socket, disconnect() also ends the
#             client (no more reconnects).
# Connection errors (OSError in a call or the background thread):
#   reconn=True: error_register_cb gets "reconnect_start"; the client
#             reconnects (clean flag of the last connect()), resubscribes
#             every topic with its own QoS, resends unacknowledged QoS 1/2
#             publishes, then "reconnect_success". With the background
#             thread, the thread does it (delay(i) between attempts) and
#             calls return at once meanwhile: check_msg() None, publish()
#             False, subscribe() only records the topic, wait_msg() waits.
#             Without it, calls reconnect: one attempt per call at most, an
#             attempt at most every DELAY s, each bounded by socket_timeout.
#             reconnect() reconnects now, retrying until connected, and
#             returns the session-present flag (UIFlow2's code).
#   reconn=False: the loss is reported once, to the error callback as
#             str(error), and check_msg()/wait_msg() raise the OSError
#             (publish() returns False); later calls raise without calling
#             it again, until connect(). If the callback reconnected, the
#             call returns None instead.
# Background thread: where the port has _thread, connect() with keepalive
#             > 0 starts one (thread=False: never) that pings, reconnects,
#             and receives (callbacks run on it) while no program thread is
#             in wait_msg(), so a program needs no receive loop; close() and
#             disconnect() stop it and wait for it to end. A packet a
#             program waits for in wait_msg() is received there, never by
#             the thread; and wait_msg() returns None at once if the thread
#             handled a packet since the program's last wait_msg()/
#             check_msg()/connect() (the reply it is about to wait for may
#             have been one: publish(); wait_msg() never misses it).
# Locks:      every call into the native client, which is not thread-safe,
#             is made holding one re-entrant lock (a callback may publish);
#             nobody holds it while waiting for data (waits poll the socket
#             unlocked, then handle a packet under the lock) or reconnecting.
#             While reconnecting (get_mqttsta() 1) only the thread making
#             the attempt touches the native client.
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

from time import sleep_ms, ticks_add, ticks_diff, ticks_ms

import select
import _umqtt
from _umqtt import MQTTException, topic_matches

from . import robust, simple

try:
    from micropython import schedule  # (under its own name: a string in flash already)
except ImportError:
    schedule = None

try:
    import _thread
except ImportError:
    _thread = None

# (const() is the compiler's: no import needed)
_QUEUE = const(8)  # handler calls waiting before the background thread holds back
_SLICE = const(50)  # ms: the longest a wait polls the socket before looking again


def pid_gen(pid=0):
    while True:
        pid = pid % 65535 + 1  # 1..65535, then 1 again (as umqtt.simple2's)
        yield pid


get_ident = _thread.get_ident if _thread else int  # (int() is 0: no function of ours)


class _RLock:
    # A lock that the thread holding it may take again (a message callback,
    # run inside the native client, that publishes). Without _thread calls
    # are already serialised and nothing is locked, but `owner ==
    # get_ident()` (held by this thread) still tells code inside a with block
    # (a callback of the native client) from the rest. (A private class:
    # attribute names that are strings in the firmware already.)
    #
    # `with lock as offline`: offline is True while the client's native
    # client is not to be used by this thread: another thread is
    # reconnecting, or nobody is yet.

    def __init__(self, _client):  # (the MQTTClient; its attribute's name: no other string in flash)
        self.lock = _thread and _thread.allocate_lock()
        self.owner = None
        self.count = 0
        self._client = _client

    def __enter__(self):
        me = get_ident()
        if self.owner != me:
            if self.lock:
                self.lock.acquire()
            self.owner = me
        self.count += 1
        c = self._client
        return c._sta == 1 and c._cl.owner != me  # (_cl's owner: the thread reconnecting)

    def __exit__(self, *exc):
        # The last exit: no branch between its stores and the release. A
        # scheduled function (the handlers' _drain) runs at a branch, on
        # this thread, and may take the lock again in between.
        if self.count > 1 or not self.lock:
            self.count -= 1
            if not self.count:
                self.owner = None
        else:
            self.count = 0
            self.owner = None
            self.lock.release()


def _run(f, *args):
    # A callback or handler: an error in it is printed, not raised (the
    # handlers after it still run).
    try:
        f(*args)
    except Exception as e:
        print("umqtt: callback error: %r" % e)


class MQTTClient(robust.MQTTClient):
    # The parent's methods are called as robust.MQTTClient.name(self, ...), not
    # through super(): the same lookup (MicroPython's super() searches the
    # bases of the class it is written in), and no method is a closure over
    # __class__. The native publish/subscribe/unsubscribe, which
    # umqtt.simple's wrap, through super(simple.MQTTClient, self).
    _MAX_QOS = 2
    CONNECTEXCE = -1
    CONNECTSUCCESS = 0
    ARECONNECT = 1
    SEVCLOSE = 2

    def __init__(self, client_id, server, port=0, user=None, password=None, keepalive=0,
                 ssl=None, ssl_params={}, reconn=True, version=4, pingmaxnum=0, *,
                 thread=True, **kw):
        if version not in (3, 4, 5):
            raise ValueError("version must be 3, 4 or 5")
        if version == 5 and not _umqtt.MQTT5:
            raise _umqtt._no_version(5)  # (ValueError: the glue has its text)
        robust.MQTTClient.__init__(self, client_id, server, port, user, password, keepalive, ssl, ssl_params, **kw)
        self._VERSION = version
        self.reconn = reconn
        self.cb = self._on_message  # bound once; user callbacks are below
        self._cb = None  # set_callback's f
        self._exc_handler = None  # error_register_cb's f (asyncio's name for its own: one name in flash)
        self._handlers = []  # [filter, handler, qos|options, properties] in subscription order
        self._unacked = {}  # pid -> (topic, msg, retain, qos, pid, properties), QoS 1/2 not yet acked
        self._task_queue = []  # (handler, data) waiting for the scheduler, in arrival order (asyncio's name)
        self._sched = False  # _drain is scheduled (or running)
        self._clean = True
        self._sp = 0  # session present, of the last reconnect
        self._sta = -1
        self._next_try = 0  # ticks: no reconnect attempt inside a call before this
        self.last_ping = self.last_cpacket = ticks_ms()
        self._npk = 0  # messages and acks handled, for wait_msg()
        self._missed = False  # the background thread handled a packet since the program last
        # returned from wait_msg/check_msg (or connected)
        self._inside = 0  # program threads in wait_msg()
        # Threads: every attribute the background thread touches exists
        # before it starts (no instance dict growth while it runs).
        self._lk = _RLock(self)  # around every call into the native client, and _task_queue
        self._cl = _RLock(self)  # held by a connect() or a reconnect attempt
        self._thread = thread and _thread  # the module that runs the background thread (false: none)
        self._run = False  # the background thread is to keep running
        self._alive = False  # it has been started and has not ended
        self._keeper = None  # its ident (mqtt_as's name for its task)
        self._failed = None  # a refused SUBACK the background thread read
        # MQTT 5 (version=5): what the broker's CONNACK said ({} before).
        self.connack_properties = {}
        self.disconnect_reason = None  # (reason, properties) of a broker DISCONNECT

    # --- callbacks and handlers ----------------------------------------------

    def set_callback(self, f):
        self._cb = f

    def error_register_cb(self, f):
        self._exc_handler = f

    def _status(self, pid, status):
        self._npk += 1
        if status:  # 1: acked; 2: an ack for a pid the engine had given up on
            self._unacked.pop(pid, None)
        else:  # 0: timed out (umqtt.simple's _status, all it does)
            self._lost = pid

    def _on_message(self, topic, msg, *props):
        # MQTT 5: props is (properties,), passed on to the callback and the
        # handlers as a third item.
        self._npk += 1
        f = self._cb
        if f is not None:
            _run(f, topic, msg, *props)  # QuecPython: logged, not raised
        for h in self._handlers:
            f = h[1]
            if f is not None and topic_matches(h[0], topic):
                data = (topic, msg) + props
                if schedule:
                    with self._lk:
                        self._task_queue.append((f, data))
                    self._kick()
                else:
                    _run(f, data)  # no scheduler: now, in order

    def _kick(self):
        # Schedules _drain if handler calls wait and it is not scheduled.
        # _sched is set before posting and cleared only if the post failed:
        # the drain may run (and end, clearing it) before schedule returns.
        with self._lk:
            if not self._task_queue or self._sched:
                return
            self._sched = True
        try:
            schedule(MQTTClient._drain, self)  # (the function, not a bound method to make)
        except RuntimeError:
            self._sched = False  # the scheduler's queue is full: the next _kick tries again

    def _drain(self):
        me = get_ident()
        if me == self._lk.owner or me == self._cl.owner or me == self._keeper:
            # Not inside the client's lock, nor on the background thread (a
            # port with a GIL lets any thread run it): again, for later (as
            # not scheduled, so that _kick posts it, unless another thread
            # just has).
            self._sched = False
            self._kick()
            return
        calls = self._task_queue
        while True:
            with self._lk:
                if not calls:
                    self._sched = False
                    return
                item = calls.pop(0)
            _run(*item)

    # --- connection ----------------------------------------------------------

    def connect(self, clean_session=True, timeout=None, properties=None):
        # MQTT 5: properties of the CONNECT (kept for reconnects).
        with self._cl, self._lk:
            if properties is not None:
                self._conn_props = properties
            self._clean = clean_session
            if clean_session:
                self._unacked.clear()
            try:
                r = robust.MQTTClient.connect(self, clean_session, timeout)
            except Exception:
                self._sta = -1
                raise
            self._sta = 0
            self._missed = False
            self.last_ping = ticks_ms()
            if not clean_session:  # (a clean one has nothing to resend: no list to make)
                # Every unacknowledged QoS 1/2 publish again, same pid, DUP
                # set (the engine skips QoS 2 ones already PUBRECed).
                for args in list(self._unacked.values()):
                    self._republish(*args)
            self._start()
            return r

    def _connect(self, clean, version, properties=None):  # (umqtt.simple passes all three; tests two)
        # Every connect and reconnect: MQTT 5 brokers may assign the client
        # id and impose the keepalive (CONNACK properties 0x12, 0x13).
        r = robust.MQTTClient._connect(self, clean, version, properties)
        if version == 5:
            p = self.connack_properties
            if 0x12 in p:
                self.client_id = p[0x12]
            if 0x13 in p:
                self.keepalive = p[0x13]
        ka = self.keepalive
        self._keepalive_set(ka * 500, ka * 1500)
        return r

    def _close_sock(self):
        # Holding the lock: closes and forgets the socket. (mqtt_as's name.)
        s = self._sock()
        self._attach(None)
        _umqtt.close(s)

    def _reconnect(self, e):
        # A connection error in a call or the background thread. Returns
        # while reconnecting (or once the error callback reconnected); raises
        # e otherwise, after reporting a loss to the error callback once.
        self.log(False, e)
        with self._lk:
            first = self._sta == 0
            if first:
                if self.reconn:
                    self._sta = 1
                    self._next_try = ticks_ms()
                    self._close_sock()
                else:
                    self._sta = 2 if e.args and e.args[0] == -1 else -1
        sta = self._sta
        if first and self._exc_handler is not None:
            self._exc_handler("reconnect_start" if sta == 1 else str(e))
        if sta == 1:
            self._retry()
        elif not (first and self._sta == 0):  # (0: the error callback reconnected)
            raise e

    def _attempt(self):
        # One reconnect attempt; True once connected (by it or another thread).
        with self._cl:
            if self._sta != 1:
                return self._sta == 0
            try:
                # Unlocked: `with self._lk as offline` keeps every other thread away meanwhile.
                self._sp = robust.MQTTClient.connect(self, self._clean)
                with self._lk:
                    self.last_ping = ticks_ms()
                    # (simple's subscribe waits in our _wait: a refused SUBACK
                    # the thread read before the loss is not these ones')
                    self._failed = None
                    for flt, _, opts, props in self._handlers:
                        simple.MQTTClient.subscribe(self, flt, opts, props)  # blocking
                    for args in list(self._unacked.values()):  # as connect() does
                        self._republish(*args)
                    self._sta = 0
            except (OSError, MQTTException) as e:
                self.log(True, e)
                with self._lk:
                    self._close_sock()
                return False
        if self._exc_handler is not None:
            self._exc_handler("reconnect_success")
        return True

    def _retry(self):
        # Without the background thread (which reconnects): one reconnect
        # attempt if it is due (DELAY s after a failed one), never from inside
        # a callback of the native client (this thread holds the lock). True
        # once connected.
        if self._alive or self._lk.owner == get_ident() or ticks_diff(ticks_ms(), self._next_try) < 0:
            return False
        if self._attempt():
            return True
        self._next_try = ticks_add(ticks_ms(), int(self.DELAY * 1000))
        return False

    def reconnect(self):
        # Reconnects now (whatever reconn says), retrying delay(i) apart
        # until connected (returns the session-present flag, as UIFlow2's
        # does), or close()/disconnect() (None). None at once from a
        # callback of the native client, which cannot reconnect.
        lk = self._lk
        if lk.owner == get_ident():
            return None
        with lk:
            if self._sta != 1:
                self._sta = 1
                self._close_sock()
        if self.reconn and self._exc_handler is not None:
            self._exc_handler("reconnect_start")
        attempt = 0
        while not self._attempt():
            if self._sta != 1:
                return None
            attempt += 1
            self.delay(attempt)
        with lk:
            self._start()  # after close(), or without one
        return self._sp

    def close(self):
        # Only the socket (QuecPython): connect() may be called again.
        self._stop()
        with self._cl, self._lk:
            self._close_sock()
            self._sta = -1

    def disconnect(self, reason=0, properties=None):
        # MQTT 5: reason (e.g. 0x04: publish the will) and properties.
        self._sta = -1  # at once: no more reconnects (by this thread, another or the background one)
        self._stop()
        with self._cl, self._lk:
            robust.MQTTClient.disconnect(self, reason, properties)
            self._sta = -1

    def get_mqttsta(self):
        # -1: not connected / error, 0: connected, 1: reconnecting, 2: closed by the server
        return self._sta

    # --- the background thread -------------------------------------------------

    def _start(self):
        # Called holding the lock, once connected.
        if not (self._thread and self.keepalive):
            return
        self._run = True
        if self._alive:  # still running (or connect() from its own callback)
            return
        self._alive = True
        try:
            self._thread.start_new_thread(self._keep_connected, ())
        except Exception as e:  # no thread: the calls do its work
            self._alive = self._run = False
            self.log(False, e)

    def _stop(self):
        # Ends the background thread and waits for it, unless this is the
        # thread itself or holds the lock it needs to end (a callback).
        self._run = False  # (the thread looks under the lock, once per slice)
        me = get_ident()
        if not self._alive or self._keeper == me or self._lk.owner == me:
            return
        t0 = ticks_ms()
        while self._alive and ticks_diff(ticks_ms(), t0) < 60000:
            sleep_ms(5)

    def _keep_connected(self):
        # The background thread (named as mqtt_as's keeper task).
        lk = self._lk
        cache = [None, None]  # the socket polled, its poller
        attempt = 0
        self._keeper = get_ident()
        while True:
            with lk:
                sta = self._sta
                if not (self._run and 0 <= sta <= 1):  # stopped (close(), disconnect()), or lost
                    self._run = self._alive = False
                    self._keeper = None  # idents are reused
                    return
            if sta:  # 1: reconnect, delay(i) between attempts (umqtt.robust's)
                if attempt:
                    self.delay(attempt)
                attempt = 0 if self._run and self._attempt() else attempt + 1
                continue
            self._kick()  # after a full scheduler queue
            room = len(self._task_queue) < _QUEUE
            try:
                with lk:
                    # Not reading while handlers back up: no keepalive timeout.
                    due = self._keep_alive(room)
                ms = min(due or _SLICE, _SLICE)  # (due: None or > 0)
                if self._inside or not room:  # the program receives, or the main thread is behind
                    sleep_ms(ms)
                elif self._io_wait(ms, cache):
                    with lk:
                        if self._sta == 0 and not self._inside:
                            self._missed = True
                            try:
                                self._receive(0)
                            except MQTTException as e:
                                if not (e.args and e.args[0] == 0x80):
                                    raise
                                self._failed = e  # a refused SUBACK, for subscribe() (under the lock it takes to look)
            except Exception as e:
                try:
                    self._reconnect(e)
                except Exception as e:  # reconn=False: reported; the thread ends
                    self.log(False, e)

    def _io_wait(self, timeout, poll):
        # Waits up to timeout ms, without the lock, for the socket to have data;
        # true if it has. poll: the caller's [socket polled, its poller].
        s = self._sock()
        if s is not poll[0]:
            poll[0] = s
            poll[1] = p = select.poll()
            try:
                p.register(s, select.POLLIN)
            except Exception:  # no socket, or one that cannot be polled (read after 1 ms)
                poll[1] = None
        p = poll[1]
        if p is None:
            sleep_ms(timeout if s is None else 1)
            return s is not None
        try:
            return p.poll(timeout)  # (a list: empty, false, when nothing came)
        except Exception:  # closed under us
            sleep_ms(timeout)
            return False

    def _step(self, timeout):
        # Handles at most one packet, waiting up to timeout ms (None: forever) for
        # one to begin. With threads the wait polls the socket without the
        # lock, for at most _SLICE ms (the callers loop), and ends early when
        # another thread has handled a packet (maybe what the caller waits
        # for): pieces of 1, 2, 4... ms, so a quick ack is seen quickly.
        lk = self._lk
        if not _thread or lk.owner == get_ident():  # no threads, or inside a callback
            return self._receive(timeout)
        left = _SLICE if timeout is None else min(timeout, _SLICE)
        npk, last = self._npk, self.last_cpacket
        cache = [None, None]
        piece = 1
        while left > 0:
            if self._io_wait(min(piece, left), cache):
                break
            if self._npk != npk or self.last_cpacket != last:
                return None
            left -= piece
            piece *= 2
        with lk as offline:
            return None if offline else self._receive(0)

    def _wait(self, pid, strict=True):
        # (umqtt.simple's, with threads.) Until pid's ack has come (whichever thread handles it), its
        # deadline has passed (then, if strict, OSError(ETIMEDOUT) as
        # umqtt.simple raises for SUBACK/UNSUBACK), or the connection is
        # being re-established (which resubscribes and resends).
        lk = self._lk
        acks = self._pending()
        while True:
            with lk as offline:
                if offline:
                    return
                if pid not in acks:
                    if strict and self._lost == pid:
                        self._lost = 0
                        raise OSError(110)
                    e, self._failed = self._failed, None
                    if strict and e is not None:
                        raise e
                    return
                deadline = acks.get(pid)
            self._step(None if deadline is None else max(0, ticks_diff(deadline, ticks_ms())))

    def _keep_alive(self, strict):
        # Holding the lock: pings when due; returns ms until the next ping is
        # due (None: no keepalive). strict: OSError(ETIMEDOUT) when nothing
        # came from the broker for 1.5 keepalive periods. The engine keeps
        # the times; _connect gives it the numbers (keepalive/2, 1.5 x).
        due = self._keepalive_due(strict)
        if due == -1:
            raise OSError(110)  # the broker stopped answering
        if due == 0:
            self.ping()  # skipped while offline: look again in half a period
            due = self._keepalive_due(False) or self.keepalive * 500
        return due

    # --- operations ----------------------------------------------------------

    def ping(self):
        with self._lk as offline:
            if not offline:
                robust.MQTTClient.ping(self)

    def check_msg(self, attempts=2):
        r = None
        for _ in range(attempts):
            try:
                with self._lk as off:
                    self._missed = False
                    if not off:
                        self._keep_alive(True)
                        r = simple.MQTTClient.check_msg(self)  # the native one: no reconnect
                if not off or not self._retry():
                    break
            except OSError as e:
                self._reconnect(e)  # reconn=False: raises, unless the error callback reconnected
        self._kick()
        return r

    def wait_msg(self):
        lk = self._lk
        with lk:
            if self._missed:  # what the program waits for may be among them
                self._missed = False
                return None
            self._inside += 1  # the background thread leaves the socket to this call
        try:
            while True:
                try:
                    with lk as off:
                        if not off:
                            due = self._keep_alive(True)
                            npk, last = self._npk, self.last_cpacket
                    if off:
                        if not self._retry():
                            sleep_ms(_SLICE)
                        continue
                    r = self._step(due)
                    if r is not None or self._npk != npk or self.last_cpacket != last:
                        return r  # handled here or by another program thread
                except OSError as e:
                    self._reconnect(e)
                    if not self.reconn:
                        return None  # the error callback reconnected
        finally:
            with lk:
                self._inside -= 1
                self._missed = False
            self._kick()

    def publish(self, topic, msg, retain=False, qos=0, properties=None):
        # True once sent (QoS 0) or acknowledged (QoS 1: PUBACK, QoS 2:
        # PUBCOMP) within message_timeout; False otherwise (MQTT 5: also when
        # the broker refuses it). An unacknowledged QoS 1/2 message is kept
        # and resent after a resumed reconnect.
        lk = self._lk
        try:
            for _ in range(2):
                try:
                    with lk as offline:  # recorded before another thread can see its ack
                        if not offline:
                            pid = super(simple.MQTTClient, self).publish(topic, msg, retain, qos, properties=properties)
                            if qos:
                                self._unacked[pid] = (topic, msg, retain, qos, pid, properties)  # _republish's arguments
                            break
                    if not self._retry():
                        return False
                except OSError as e:
                    self._reconnect(e)
            else:
                return False
            if not qos:
                return True
            try:
                self._wait(pid, False)
            except OSError as e:
                self._reconnect(e)
            with lk:
                return pid not in self._unacked
        except (OSError, MQTTException):
            return False  # reconn=False

    def subscribe(self, topic, handler=None, qos=0, properties=None, *, no_local=False,
                  retain_as_published=False, retain_handling=0):
        # subscribe(topic, handler, qos) (UIFlow2) or subscribe(topic, qos)
        # (QuecPython). MQTT 5: properties (e.g. {0x0B: subscription id})
        # and the subscription options. While reconnecting the topic is only
        # recorded: the reconnect subscribes it.
        if isinstance(handler, int):
            handler, qos = None, handler
        topic_matches(topic, "topic")  # ValueError for an invalid filter (any valid topic name does)
        if not 0 <= retain_handling <= 2:
            raise ValueError("retain_handling must be 0, 1 or 2")
        opts = qos | (4 if no_local else 0) | (8 if retain_as_published else 0) | (retain_handling << 4)
        with self._lk as offline:
            for h in self._handlers:
                if h[0] == topic:
                    h[1:] = handler, opts, properties
                    break
            else:
                self._handlers.append([topic, handler, opts, properties])
            self._failed = None
            if offline:
                return
            pid = super(simple.MQTTClient, self).subscribe(topic, opts, properties)
        self._wait(pid)

    def unsubscribe(self, topic, properties=None):
        with self._lk as offline:
            keep = []  # a new list: a _on_message loop over the old one goes on unchanged
            for h in self._handlers:
                if h[0] != topic:
                    keep.append(h)
            self._handlers = keep
            if offline:
                return
            pid = super(simple.MQTTClient, self).unsubscribe(topic, properties)
        self._wait(pid)

