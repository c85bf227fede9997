# umqtt.simple API (micropython-lib umqtt.simple 1.8.0, the frozen "official"
# client) over umqtt-rs.
#
# The protocol lives in the native _umqtt.Client (api=API_MPLIB: callbacks
# get (topic, msg), check_msg()/wait_msg() return the PUBLISH's first byte,
# connection errors are OSError so that umqtt.robust reconnects, a refused
# CONNACK is MQTTException(rc), a refused SUBACK MQTTException(0x80)).
# This class adds what micropython-lib's API blocks on: QoS 1 publish,
# subscribe and unsubscribe return once their ack has arrived.
#
# Differences from micropython-lib, none visible to a correct program:
# - packet ids wrap 65535 -> 1 (never 0);
# - a user name without a password works (no password is sent);
# - waits are bounded: an ack that does not come within message_timeout
#   (keyword, default 10 s) raises OSError(ETIMEDOUT); once a packet has
#   started, the rest must come within socket_timeout (default 30 s);
# - a packet's body is always consumed: check_msg() returning 0x40, 0x90 or
#   0xB0 leaves the stream in sync;
# - publish(qos=2) raises AssertionError before sending anything;
# - a socket read returning None means "no data yet" (a non-blocking
#   socket): a CONNACK that never comes is OSError(ETIMEDOUT) after the
#   timeout, not MQTTException(-1); a closed or short CONNACK is
#   MQTTException(-1) as in 1.8.0;
# - disconnect() never raises and leaves sock None.
# - a subclass's class attribute named as one of the attributes below wins
#   over the constructor's value (they are kept in the native client).

from time import ticks_diff, ticks_ms

try:
    import socket  # a module global, as in micropython-lib: tests replace it
except ImportError:  # no network on this firmware: connect() says so
    socket = None

import _umqtt
from _umqtt import API_MPLIB, Simple as _Client, MQTTException

_ETIMEDOUT = const(110)  # (const: folded by the compiler, no import needed)


class MQTTClient(_Client):
    # The native Simple (cmodule/umqtt_simple2.c) keeps micropython-lib's
    # attributes (client_id, server, port, ssl, ssl_params, cb, user, pswd,
    # keepalive, lw_*, and ours: newpid, cbstat, socket_timeout,
    # message_timeout) until the program assigns them: a client's instance
    # dict stays empty until then. Reading and assigning them works as on
    # micropython-lib's instance attributes.
    _MAX_QOS = 1  # umqtt.MQTTClient: 2
    _VERSION = 4  # MQTT 3.1.1; 3: MQTT 3.1 ("MQIsdp"); 5: MQTT 5 (umqtt.MQTTClient)
    _conn_props = None  # MQTT 5: the CONNECT's properties
    pid = 0  # the last packet id used (the instance's own once one is)
    _lost = 0  # the last pid whose ack did not come in time

    def __init__(self, client_id, server, port=0, user=None, password=None, keepalive=0,
                 ssl=None, ssl_params={}, *, socket_timeout=30, message_timeout=10,
                 max_packet_size=16384):
        # (port 0: 8883 with ssl, else 1883; newpid: self._next_pid(),
        # cbstat: self._status, both made when first read)
        super().__init__(self, client_id, server, port, user, password, keepalive, ssl, ssl_params,
                         socket_timeout, message_timeout, max_packet_size=max_packet_size,
                         api=API_MPLIB, max_qos=self._MAX_QOS)

    def _next_pid(self):
        # The engine's allocator: wraps, and skips ids still awaiting an ack.
        while True:
            self.pid = self._take_pid(self.pid)
            yield self.pid

    def _status(self, pid, status):
        if not status:  # 0: no ack within message_timeout
            self._lost = pid

    def _wait(self, pid):
        # Handles incoming packets (messages go to the callback) until pid's
        # ack has come, or its deadline has passed: then OSError(ETIMEDOUT).
        acks = self._pending()  # live pid -> deadline of what is unacknowledged
        while pid in acks:
            deadline = acks.get(pid)
            self._receive(None if deadline is None else max(0, ticks_diff(deadline, ticks_ms())))
        if self._lost == pid:
            self._lost = 0
            raise OSError(_ETIMEDOUT)

    # sock: below the class. set_callback(f): native (self.cb = f).

    def set_last_will(self, topic, msg, retain=False, qos=0, properties=None):
        # (properties: MQTT 5 only, read at connect as lw_properties)
        # Explicit raises, not assert: the façades are frozen with -O3, which
        # drops asserts, and AssertionError is micropython-lib's API here.
        if not topic or qos < 0 or qos > 2:
            raise AssertionError
        if properties is not None:
            self.lw_properties = properties
        self.lw_topic = topic
        self.lw_msg = msg
        self.lw_qos = qos
        self.lw_retain = retain

    def connect(self, clean_session=True, timeout=None):
        # timeout (s) bounds this connect (TCP, TLS handshake, CONNACK);
        # None: socket_timeout.
        _umqtt.close(self._sock())
        self._attach(None)
        if (self.keepalive or 0) >= 65536:  # (AssertionError, as micropython-lib's assert)
            raise AssertionError
        t = self.socket_timeout
        if timeout is not None:  # (else no store: the instance dict stays empty)
            self.socket_timeout = timeout
        try:
            ssl = self.ssl  # (ssl_params only with ssl: an unread {} is not made)
            sock = _umqtt.open_conn(self.server, self.port, ssl, self.ssl_params if ssl else None,
                                    self.socket_timeout, self.server, socket)[1]
            self._attach(sock)
            if clean_session:
                self._clear_pending()
            try:
                return self._connect(clean_session, self._VERSION, self._conn_props)
            except BaseException:  # refused, timed out, invalid argument: no socket left open
                self._attach(None)
                _umqtt.close(sock)
                raise
        finally:
            if timeout is not None:
                self.socket_timeout = t

    def disconnect(self, reason=0, properties=None):
        # (reason and properties: MQTT 5 only)
        sock = self._sock()
        self._send_disconnect(reason, properties)  # best effort
        _umqtt.close(sock)
        self._attach(None)

    def publish(self, topic, msg, retain=False, qos=0):
        pid = super().publish(topic, msg, retain, qos)
        if qos:
            self._wait(pid)

    def subscribe(self, topic, qos=0, properties=None):
        # (properties and the option bits of qos: MQTT 5, umqtt.MQTTClient)
        self._wait(super().subscribe(topic, qos, properties))

    def unsubscribe(self, topic, properties=None):
        self._wait(super().unsubscribe(topic, properties))


# The socket the native client talks through; assigning any object with
# read(n) and write(buf) makes the client use it. The native methods
# themselves, no functions of ours to freeze or make at import; read from
# our class, where a native method is the plain function (read from
# _Client it would check that self's type is exactly _Client).
MQTTClient.sock = property(MQTTClient._sock, MQTTClient._attach)
