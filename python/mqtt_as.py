# umqtt-rs: `from mqtt_as import MQTTClient, config`, Peter Hinch's asyncio
# MQTT client (mqtt_as 0.8.x API, MQTT 3.1.1) on the native engine.
#
# Only the coroutine shells are Python. The native _umqtt.Client does the
# protocol (encoding, decoding, the in-flight table, acks) through its
# non-blocking entry points (_nb_*): nothing here or below ever blocks on the
# socket. Outgoing packets go into the engine's transmit queue; one writer
# task per connection flushes it and, while bytes are left, awaits
# writability of the native client object (its stream ioctl delegates
# MP_STREAM_POLL to the socket, as modtls_mbedtls.c does for its socket). One
# reader task awaits readability of the same object and lets the engine read
# what is there; a packet that has only partly arrived stays in the engine
# and is continued on the next wake-up. A watchdog task sends the pings and
# declares the connection dead when a write or a partial read makes no
# progress for response_time, or when nothing arrived for four ping
# intervals. I/O waits are never cancelled by timeouts (asyncio's IOQueue
# drops both directions of an object when one waiter is cancelled): the
# watchdog ends a stuck connection instead.
#
# Semantics kept from mqtt_as: the first connect() raises OSError to the
# caller, later outages reconnect in a background task; QoS 1 publish()
# waits response_time for the PUBACK, republishes with DUP and the same pid
# up to max_repubs times, then forces a reconnect and publishes again (new
# pid) until acknowledged; subscribe()/unsubscribe() wait for their ack (a
# refused SUBACK is an OSError and a reconnect); clean_init/clean (clean
# first connection then unclean: connect clean, DISCONNECT, reconnect
# unclean); the will; keepalive pings every keepalive/4 (or ping_interval);
# subs_cb(topic, msg, retained) runs from the reader task and must return
# quickly; event interface with queue_len > 0 (up/down events, client.queue,
# oldest discarded on overflow and counted in client.queue.discards).
#
# Differences: the network module is optional (no WLAN: the link is treated
# as up and the WiFi keys are ignored); client_id defaults to a random id
# where machine.unique_id() does not exist; MQTTv5 (mqttv5=True) is the
# engine's complete implementation: all properties (several user properties,
# kept in one {name: value} dict; a message without properties gets None, as
# in mqtt_as; will properties as a 5th element of `will`), every packet's
# reason codes (a refused publish raises MQTTException(reason) instead of
# being reported as delivered), the broker's limits enforced before sending
# (ValueError); without mqttv5, `properties` arguments are ignored; incoming
# QoS 2 is handled by the engine instead of forcing a reconnect; an incoming
# packet may be at most config.get("max_packet_size", 16384) bytes (a
# limit, not a buffer); the transmit queue grows while packets wait in it
# and is freed once written; a subs_cb that raises is
# reported and the message is not acknowledged (the reader goes on); QoS 0
# publish() returns once the packet is queued (in order, before anything
# published later). TLS: the socket is wrapped with do_handshake_on_connect
# False and the handshake is driven by the same writability/readability
# waits as the CONNECT, so it does not block the scheduler (DNS resolution
# does, once, on the first connect, as in mqtt_as).

import gc
import socket
from time import ticks_diff, ticks_ms

import asyncio
import _umqtt
from _umqtt import MQTTException, API_MPLIB

from umqtt import _net

try:
    import network

    network.WLAN
except (ImportError, AttributeError):  # no WLAN here (unix, Ethernet)
    network = None

from binascii import hexlify
from sys import platform

VERSION = (0, 8, 3)
IBUFSIZE = 50  # kept for compatibility; the engine sizes its buffers per packet
MSG_BYTES = True
BUSY_ERRORS = [11, 115, 110, 118, 119]  # EAGAIN, EINPROGRESS, ETIMEDOUT, ...
ESP32 = platform == "esp32"
RP2 = platform == "rp2"
ESP8266 = platform == "esp8266"
PYBOARD = platform == "pyboard"

_MAX_INFLIGHT = const(32)  # the engine's in-flight table (const: folded by the compiler)


async def eliza(*_):  # the null coroutine of the config defaults
    pass


config = {
    "server": None,
    "port": 0,
    "user": "",
    "password": "",
    "keepalive": 60,
    "ping_interval": 0,
    "ssl": False,
    "ssl_params": {},
    "response_time": 10,
    "clean_init": True,
    "clean": True,
    "max_repubs": 4,
    "will": None,
    "subs_cb": lambda *_: None,
    "wifi_coro": eliza,
    "connect_coro": eliza,
    "ssid": None,
    "wifi_pw": None,
    "queue_len": 0,
    "gateway": False,
    "mqttv5": False,
    "mqttv5_con_props": None,
}
try:
    config["client_id"] = hexlify(__import__("machine").unique_id())
except Exception:  # the default client id; random without machine.unique_id (unix)
    config["client_id"] = b"mqtt_as-%08x" % __import__("random").getrandbits(32)


class MsgQueue:
    # Messages in arrival order, `size` at most: a put into a full queue
    # discards the oldest and counts it in `discards`.
    def __init__(self, size):
        self._pending = []  # the messages
        self._size = size
        self._changed = asyncio.Event()
        self.discards = 0

    def put(self, *v):
        q = self._pending
        q.append(v)
        if len(q) > self._size:
            q.pop(0)
            self.discards += 1
        self._changed.set()

    def __aiter__(self):
        return self

    async def __anext__(self):
        while not self._pending:
            self._changed.clear()
            await self._changed.wait()
        return self._pending.pop(0)


def pid_gen():
    pid = 0
    while True:
        pid = pid % 65535 + 1  # 1..65535, then 1 again
        yield pid


def qos_check(qos):
    if not (qos == 0 or qos == 1):
        raise ValueError("Only qos 0 and 1 are supported.")


class _Owner:
    # The attributes the native engine reads (CONNECT fields, callbacks);
    # no will unless config["will"] sets one. MQTTClient also keeps there
    # the config settings it reads later, under their config keys
    # (response_time in ms).
    # (connack_properties: stored by the engine at each MQTT 5 CONNACK, read
    # only after one; lw_properties: set with a will, and the engine takes
    # none when it is absent.)
    lw_topic = None
    lw_msg = None
    lw_qos = 0
    lw_retain = False


async def _io_wait(sock, write):
    # Parks the task until sock is readable / writable (asyncio's IOQueue).
    q = asyncio.core._io_queue
    yield (q.queue_write if write else q.queue_read)(sock)


class MQTTClient:
    # Private names are strings the firmware has already where one fits
    # (_attrs and _run: asyncio's; _pending, _receive, _write, _status: the
    # native client's; _client: umqtt's): a name of its own costs flash.
    DEBUG = False
    REPUB_COUNT = 0

    def __init__(self, config):
        # MQTT 5 (mqttv5=True): properties are dicts {id: value} as mqtt_as
        # writes them (user property 0x26: {name: value}).
        v5 = self._v5 = config.get("mqttv5")  # (only its truth is used)
        if v5 and not _umqtt.MQTT5:
            raise _umqtt._no_version(5)  # (ValueError: the glue has its text)
        o = self._attrs = _Owner()  # the engine's owner: the attributes it reads
        if v5:  # (only then read: the owner's dict keeps its size class)
            o.mqttv5_con_props = config.get("mqttv5_con_props")
        keepalive = config["keepalive"]
        if keepalive >= 65536:
            raise ValueError("invalid keepalive time")
        o.response_time = int(config["response_time"] * 1000)  # (ms)
        for k in ("max_repubs", "clean_init", "clean", "ssl", "ssl_params", "ssid", "wifi_pw",
                  "client_id", "wifi_coro", "connect_coro", "ping_interval"):
            setattr(o, k, config[k])
        self.port = config["port"] or (8883 if o.ssl else 1883)
        self.server = server = config["server"]
        if server is None:
            raise ValueError("no server specified.")
        s = self._sta = network and network.WLAN(network.STA_IF)
        if s:
            s.active(True)
        # The socket of the connection while it is up; False while connect()
        # runs, None otherwise.
        self._alive = None
        self.lock = asyncio.Lock()
        self.rcv_pids = set()
        self.last_rx = ticks_ms()
        self.topic_alias_maximum = 0
        # The connection's tasks, or during an outage the reconnecting one:
        # none before the first connect() succeeds and after disconnect() or
        # close() (no reconnects then).
        self._tasks = []
        # Pulsed on every change a task may wait for: a packet received (an
        # ack among them), the transmit queue drained or given a packet to
        # send, the connection up or down. Waiters check their condition again.
        self._changed = asyncio.Event()
        n = config["queue_len"]
        cb = config["subs_cb"]
        if n > 0:
            self.up = asyncio.Event()
            self.down = asyncio.Event()
            q = self.queue = MsgQueue(n)
            cb = q.put
        # `retained` and `status`, the names of the callbacks' parameters in
        # the docs, stay QSTRs in flash this way: an app using them interns
        # nothing. MQTT 5: a 4th argument, the message's properties; None
        # (not {}) when the PUBLISH carries none, as mqtt_as gives it.
        o.cb = (lambda topic, msg, retained, properties: cb(topic, msg, retained, properties or None)) if v5 else cb
        o.cbstat = self._status
        o.user = user = config["user"] or None
        o.pswd = user and config["password"]
        o.keepalive = keepalive
        will = config["will"]
        if will is not None:
            # (topic, msg[, retain[, qos[, properties]]]); the properties: MQTT 5
            # will properties, an umqtt-rs extension.
            # (The engine reads lw_properties only for MQTT 5.)
            o.lw_topic, o.lw_msg, o.lw_retain, o.lw_qos, o.lw_properties = (
                lambda topic, msg, retain=False, qos=0, properties=None:
                (topic, msg, retain, qos, properties))(*will)
            qos_check(o.lw_qos)
            if not o.lw_topic:
                raise ValueError("Empty topic.")
        self._client = _umqtt.Client(o, api=API_MPLIB, props_dict=True,  # the engine
                                     max_packet_size=config.get("max_packet_size", 16384))
        self.newpid = self._client._pids()  # the engine's allocator (wraps, skips ids in flight)

    # --- connection ------------------------------------------------------------
    # (wifi_connect, _reconnect and close come first: mpy-cross numbers the
    # module's strings in the order it meets them, a number under 128 takes
    # one byte per use, and the names these bring in are among the most used.)

    async def wifi_connect(self, quick=False):
        s = self._sta
        if not s:
            return  # no WLAN here (unix, Ethernet): the link is up
        s.active(True)
        if not s.isconnected():
            o = self._attrs
            if o.ssid is not None:
                s.connect(o.ssid, o.wifi_pw)
            t0 = ticks_ms()
            while not s.isconnected():
                if ticks_diff(ticks_ms(), t0) > 30000:
                    raise OSError("Wi-Fi connect timed out")
                await asyncio.sleep(1)
        if not quick:  # the link must stay up for a few seconds
            for _ in range(5):
                if not s.isconnected():
                    raise OSError("Wi-Fi connect timed out")
                await asyncio.sleep(1)

    def _reconnect(self, msg):
        # The connection is lost (unless it is down already): a task
        # reconnects in the background.
        if self._alive:
            self.dprint("Connection lost: %s", msg)
            self._stop()
            self._close_sock()
            self._kick()
            spawn = asyncio.create_task
            self._tasks = [spawn(self._keep_connected())]
            if hasattr(self, "queue"):
                self.down.set()
            else:
                spawn(self._attrs.wifi_coro(False))

    def close(self):
        # Closes the socket and ends the background tasks (and brings WiFi
        # down where there is WLAN, as mqtt_as does).
        self._stop()
        self._close_sock()
        s = self._sta
        if s:
            try:
                s.disconnect()
                s.active(False)
            except OSError:
                pass

    # --- helpers ---------------------------------------------------------------

    def dprint(self, msg, *args):
        if self.DEBUG:
            print(msg % args)

    def _kick(self):
        ev = self._changed
        ev.set()
        ev.clear()

    def _status(self, pid, status):
        # The engine's status callback (run from the reader task): an ack.
        if status >= 0x80:  # a refused SUBACK / UNSUBACK; MQTT 5: a refused publish
            self._failed[pid] = status
        self.rcv_pids.discard(pid)
        self._kick()

    async def _wait(self, t0, sock, msg):
        # Awaits, until response_time after t0 at most, a change (msg None:
        # _changed) or sock's readiness (msg "read": readable, else writable).
        # If that time runs out first: False, or with msg OSError "Timeout on
        # socket <msg>".
        ms = self._attrs.response_time - ticks_diff(ticks_ms(), t0)
        if ms > 0:
            try:
                await asyncio.wait_for_ms(_io_wait(sock, msg != "read") if msg else self._changed.wait(), ms)
                return True
            except asyncio.TimeoutError:
                pass
        if msg:
            raise OSError(-1, "Timeout on socket %s" % msg)
        return False

    # --- connection, continued ------------------------------------------------

    async def _send_disconnect(self):
        # DISCONNECT, written within response_time (errors ignored: the
        # connection ends either way; the caller closes the socket).
        try:
            eng = self._client
            if eng._nb_disconnect():
                t0 = ticks_ms()
                while eng._nb_flush():
                    await self._wait(t0, eng, "write")
        except (OSError, MQTTException):
            pass

    def _close_sock(self):
        # The engine's stream, detached and closed: the socket, or TLS over
        # it, whose close() closes the socket too. (close() of a closed
        # stream, of None: nothing.)
        eng = self._client
        _umqtt.close(eng._sock())
        eng._attach(None)

    async def connect(self, *, quick=False):
        # Connected already, or another task connecting: no second connection
        # beside the first (mqtt_as would open one, and its keeper spun).
        while self._alive is False:
            await asyncio.sleep_ms(20)
        if self._alive:
            return
        first = not self._tasks
        if first:
            await self.wifi_connect(quick)
            # Blocks while resolving: done once, as mqtt_as does.
            self._addr = socket.getaddrinfo(self.server, self.port)[0]
        self._alive = False
        o = self._attrs
        eng = self._client
        v5 = self._v5
        clean = o.clean_init if first else o.clean
        # clean_init without clean (MQTT 3.1.1): a clean session first, ended
        # by a DISCONNECT, then sessions kept from the next connection on.
        again = first and clean and not o.clean and not v5
        try:
            while True:
                self._close_sock()
                ai = self._addr
                sock = socket.socket(ai[0], ai[1], ai[2])
                eng._attach(sock)  # (so _close_sock() closes it; TLS replaces it below)
                sock.setblocking(False)
                t0 = ticks_ms()
                try:
                    sock.connect(ai[-1])
                except OSError as e:
                    if e.errno not in BUSY_ERRORS:
                        raise
                await self._wait(t0, sock, "connect")
                try:
                    sock.setsockopt(6, 1, 1)  # IPPROTO_TCP, TCP_NODELAY: the same numbers everywhere
                except (OSError, AttributeError):
                    pass
                ssl = o.ssl
                if ssl:  # the engine speaks TLS over the socket from here on
                    if hasattr(ssl, "wrap_socket"):
                        sock = ssl.wrap_socket(sock, server_hostname=self.server,
                                               do_handshake_on_connect=False)
                    else:
                        sock = _net.tls_wrap(sock, **dict(o.ssl_params, do_handshake=False))
                    eng._attach(sock)
                eng._nb_connect(clean, 5 if v5 else 4, o.mqttv5_con_props if v5 else None)
                # The TLS handshake, if any, runs inside these writes and reads.
                while eng._nb_flush():
                    await self._wait(t0, eng, "write")
                while eng._nb_connack() is None:
                    await self._wait(t0, eng, "read")
                if not again:
                    break
                await self._send_disconnect()
                await asyncio.sleep_ms(100)
                clean = again = False
            self.last_rx = ticks_ms()
            if v5:
                self.topic_alias_maximum = o.connack_properties.get(0x22, 0)
            self._alive = sock
        except MQTTException as e:
            # A refused or invalid CONNACK is an OSError, as in mqtt_as (code
            # 29, the engine's ECONLENGTH: not a valid CONNACK at all; MQTT 5:
            # the reason code).
            code = e.args[0]
            raise OSError(-1, "Invalid CONNACK" if code == 29 else "CONNACK reason code 0x%x" % code)
        finally:
            if not self._alive:  # failed (or cancelled)
                self._alive = None
                self._close_sock()
        self._partial = None  # when a partly arrived packet started
        self._failed = {}  # pid -> code: refused SUBACKs (MQTT 5: also refused publishes)
        self._kick()
        self.dprint("Connected to broker.")
        spawn = asyncio.create_task
        # (Added to the list: a reconnecting task still in it ends by itself,
        # unless disconnect() or close() cancels it first.)
        self._tasks += (spawn(self._receive()), spawn(self._write()), spawn(self._keep_alive()))
        if hasattr(self, "queue"):  # the event interface
            self.up.set()
        else:
            spawn(o.wifi_coro(True))
            spawn(o.connect_coro(self))

    def _stop(self):
        # Not connected, and every task of ours cancelled (but the caller's
        # own): no reconnects (disconnect(), close(); _reconnect starts one).
        # The socket if a connection was up. (A connect() running, _alive
        # False, ends that state itself: others still wait for it.)
        was = self._alive
        if was:
            self._alive = None
        me = asyncio.core.cur_task  # (None: no event loop running, close() at the end)
        for t in self._tasks:
            if t is not me:
                t.cancel()
        self._tasks = []
        return was

    async def _keep_connected(self):
        # Reconnects after an outage. (It is in _tasks: disconnect() and
        # close() end it.)
        gc.collect()
        s = self._sta
        while not self._alive:
            try:
                if s and not s.isconnected():  # the link first
                    try:
                        s.disconnect()
                    except OSError:
                        pass
                    await asyncio.sleep(1)
                    await self.wifi_connect(True)
                await self.connect()  # (not the first: `quick` is not read)
            except OSError as e:  # (connect() raises no MQTTException)
                self.dprint("Error in reconnect. %s", e)
                await asyncio.sleep(1)

    def isconnected(self):
        # (True while connect() runs, as in mqtt_as)
        s = self._sta
        if self._alive and s and not s.isconnected():
            self._reconnect("WLAN")  # (DEBUG's reason: a string the firmware has)
        return self._alive is not None

    # --- connection tasks ------------------------------------------------------

    async def _receive(self):
        # The reader task. (This class is not the engine, nor its owner.)
        eng = self._client
        try:
            while True:
                yield asyncio.core._io_queue.queue_read(eng)
                while True:
                    r = 1  # (a packet, also when dropped below)
                    try:
                        r = eng._nb_receive()
                    except OSError:
                        raise
                    except Exception as e:
                        if not isinstance(e, MQTTException):  # from subs_cb: not acknowledged
                            print("mqtt_as: subs_cb raised", repr(e))
                        elif e.args[0] == 54:  # umqtt.errno.EMSGSKIPPED
                            # A message the free heap could not hold was read
                            # off the socket and dropped, unacknowledged: the
                            # connection is in step, no reconnect.
                            print("mqtt_as: message skipped, too large for the free heap")
                        else:
                            raise
                    if r == 0:
                        break
                    self.last_rx = ticks_ms()
                    if r < 0:
                        if self._partial is None:
                            self._partial = self.last_rx
                        break
                    self._partial = None
                # Acks for the waiters; the writer sends the acks the engine queued.
                self._kick()
        except (OSError, MQTTException) as e:
            self._reconnect(e)

    async def _write(self):
        eng = self._client
        try:
            while True:
                before = eng._nb_pending()
                if eng._nb_flush():
                    yield asyncio.core._io_queue.queue_write(eng)
                else:
                    if before:  # room in the transmit queue again
                        self._kick()
                    await self._changed.wait()
        except (OSError, MQTTException) as e:
            self._reconnect(e)

    async def _keep_alive(self):
        # Pings and "broker fail" are the engine's keep-alive with mqtt_as's
        # numbers: a ping every ping_interval, dead after 4 of them without
        # a packet. Stalled socket I/O past response_time is checked here:
        # queued bytes that stopped moving, a packet that only partly came.
        eng = self._client
        o = self._attrs
        rt = o.response_time
        # mqtt_as's ping interval: keepalive / 4, 20 s without a keepalive
        # (MQTT 5: the CONNACK's Server Keep Alive replaces ours); a
        # ping_interval (0: none) shorter than that replaces it.
        tick = o.keepalive
        if self._v5:
            tick = o.connack_properties.get(0x13, tick)
        tick = tick * 250 if tick else 20000
        tick = min(tick, o.ping_interval * 1000 or tick)
        eng._keepalive_set(tick, 4 * tick)
        # Between two looks: at most a ping interval, a quarter of
        # response_time (20 ms at least) and 1 s.
        tick = min(tick, max(rt // 4, 20), 1000)
        why = queued = since = None
        while self.isconnected():  # (WiFi too, as in mqtt_as)
            now = ticks_ms()
            due = eng._keepalive_due()
            if due == -1:
                why = "keepalive"  # (DEBUG's reason: nothing from the broker; a string the firmware has)
                break
            left = eng._nb_pending()
            if left != queued:  # sent some, or more to send: the clock starts again
                queued = left
                since = now
            p = self._partial
            if left and ticks_diff(now, since) > rt or p is not None and ticks_diff(now, p) > rt:
                why = "Timeout on socket %s" % ("write" if left else "read")
                break
            if due == 0:
                try:
                    if eng._nb_ping():
                        self._kick()
                except (OSError, MQTTException) as e:
                    why = e
                    break
            await asyncio.sleep_ms(tick)
        self._reconnect(why)

    # --- operations -------------------------------------------------------------

    async def _run(self, f, args, properties, max_repubs, exc):
        # f(*args, pid, properties) on a connection, until done. A QoS 0 PUBLISH
        # (max_repubs None, pid 0): once queued. A QoS 1 PUBLISH, a SUBSCRIBE, an
        # UNSUBSCRIBE: once acknowledged; without an ack within
        # response_time it is sent again, `max_repubs` times at most (a PUBLISH:
        # with DUP, args[4], and the same pid), then the connection is
        # dropped and it goes out on the next one (a new pid). An ack that
        # refuses it (>= 0x80) raises exc(code).
        if not self._v5:
            properties = None
        pids = self.rcv_pids
        pending = self._client._pending()  # the engine's in-flight table
        ev = self._changed
        while True:
            # Connected, and for an ack, fewer than _MAX_INFLIGHT awaited.
            while not self._alive or max_repubs is not None and len(pids) >= _MAX_INFLIGHT:
                await ev.wait()
            conn = self._alive
            pid = 0
            if max_repubs is not None:  # a pid in use nowhere; in rcv_pids until acked
                while not pid or pid in pids or pid in pending:
                    pid = next(self.newpid)
                pids.add(pid)
            n = max_repubs
            try:
                while True:
                    while not f(*args, pid, properties):  # the transmit queue is full
                        self._kick()
                        await ev.wait()
                        if self._alive is not conn:
                            raise OSError
                    self._kick()  # (the writer)
                    if not pid:
                        return
                    t0 = ticks_ms()
                    while pid in pids and self._alive is conn and await self._wait(t0, None, None):
                        pass
                    if pid not in pids:
                        code = self._failed.get(pid)
                        if code:
                            raise exc(code)
                        return
                    if not n or self._alive is not conn:
                        raise OSError(-1, "max_repubs")  # (no ack: only DEBUG prints it)
                    n -= 1
                    args[4] = True
                    self.REPUB_COUNT += 1
            except OSError as e:
                if self._alive is conn:  # (not a connection that came up since)
                    self._reconnect(e)  # (DEBUG prints e)
            finally:
                pids.discard(pid)
                self._failed.pop(pid, None)
                pending.pop(pid, None)

    async def publish(self, topic, msg, retain=False, qos=0, properties=None):
        # MQTT 5: a publish the broker refuses (PUBACK reason >= 0x80) raises
        # MQTTException(reason); it is not retried.
        qos_check(qos)
        await self._run(self._client._nb_publish, [topic, msg, retain, qos, False], properties,
                         self._attrs.max_repubs if qos else None, MQTTException)

    async def subscribe(self, topic, qos=0, properties=None):
        qos_check(qos)
        await self._run(self._client._nb_subscribe, (topic, qos), properties, 0, OSError)

    async def unsubscribe(self, topic, properties=None):
        await self._run(self._client._nb_unsubscribe, (topic,), properties, 0, OSError)

    async def broker_up(self):
        # True if something arrived in the last second or a ping is answered
        # within response_time.
        if not self.isconnected():
            return False
        tlast = self.last_rx
        t0 = ticks_ms()
        if ticks_diff(t0, tlast) < 1000:
            return True
        ping = self._client._nb_ping
        while self._alive and ticks_diff(self.last_rx, tlast) <= 0:
            if ping and ping():  # queued (not while the transmit queue is full)
                ping = None
                self._kick()
            if not await self._wait(t0, None, None):
                return False
        return bool(self._alive)

    async def wan_ok(self, packet=b"$\x1a\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x06google\x03com\x00\x00\x01\x00\x01"):
        # True if a DNS query to 8.8.8.8 is answered within response_time.
        if not self.isconnected():
            return False
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setblocking(False)
        try:
            s.connect(socket.getaddrinfo("8.8.8.8", 53)[0][-1])
            s.send(packet)
            await self._wait(ticks_ms(), s, "read")
            return s.recv(512)[:2] == packet[:2]
        except OSError:
            return False
        finally:
            s.close()

    async def disconnect(self):
        # DISCONNECT (the will is not sent), then close; connect() may follow.
        if self._stop():
            # What `async with self.lock` does, without its two coroutines.
            lock = self.lock
            await lock.acquire()
            try:
                await self._send_disconnect()
            finally:
                lock.release()
        self._close_sock()
        self._kick()
