# umqtt.simple2 API (fizista micropython-umqtt.simple2 2.2.0) over umqtt-rs.
#
# The MQTT protocol -- publish, subscribe, unsubscribe, ping, check_msg,
# wait_msg, CONNECT/CONNACK, acks and timeouts -- lives in the native
# _umqtt.Client, which this class inherits. Only what needs the socket and
# TLS modules stays in Python: opening the connection and closing it.
#
# The native client reads the attributes simple2 users replace (newpid, cb,
# cbstat, socket_timeout, message_timeout, client_id, user, pswd, keepalive,
# lw_*) from this instance, and keeps last_ping/last_cpacket up to date on it.
#
# A subclass may override _read(n) and _write(buf, length=-1): all I/O then
# goes through them. simple2's other private helpers (_send_str, _recv_len,
# _varlen_encode, _sock_timeout, _message_timeout) do not exist here.

from time import ticks_ms

from _umqtt import Client as _Client, MQTTException

from . import _net


def pid_gen(pid=0):
    # Packet ids 1..65535, wrapping to 1: 0 is not a valid MQTT packet id.
    while True:
        pid = pid + 1 if pid < 65535 else 1
        yield pid


def _ignore_status(pid, status):
    pass


class MQTTClient(_Client):
    # Attributes simple2 sets in __init__ whose defaults stay until a program
    # sets them live in the class: 17 per-instance attributes fit the
    # 17-slot table of the instance's dict (23 would take 23 slots, 96 bytes
    # more on a 64-bit port, and make every failed attribute lookup -- each
    # method call -- probe all of them).
    poller_r = None  # simple2's pollers; the native client polls itself
    poller_w = None
    lw_topic = None  # set_last_will() sets them
    lw_msg = None
    lw_qos = 0
    lw_retain = False

    def __init__(self, client_id, server, port=0, user=None, password=None, keepalive=0,
                 ssl=False, ssl_params=None, socket_timeout=5, message_timeout=10,
                 *, max_packet_size=16384):
        # umqtt-rs addition: max_packet_size bounds an incoming packet (a
        # limit, not a buffer); a larger one raises MQTTException(EPACKETSIZE)
        # without being read.
        super().__init__(self, max_packet_size=max_packet_size)  # reads its settings from us
        if port == 0:
            port = 8883 if ssl else 1883
        self.client_id = client_id
        self.sock_raw = None
        self.server = server
        self.port = port
        self.ssl = ssl
        self.ssl_params = ssl_params if ssl_params else {}
        # The default newpid: the engine's allocator (1..65535, wrapping,
        # and unlike pid_gen never an id still awaiting its ack). Replaceable.
        self.newpid = self._pids()
        # A subclass may define cb/cbstat as methods (robust2 does): keep them.
        if not getattr(self, "cb", None):
            self.cb = None
        if not getattr(self, "cbstat", None):
            self.cbstat = _ignore_status
        self.user = user
        self.pswd = password
        self.keepalive = keepalive
        self.rcv_pids = self._pending()  # live view of the packet ids awaiting an ack
        self.last_ping = ticks_ms()
        self.last_cpacket = ticks_ms()
        self.socket_timeout = socket_timeout
        self.message_timeout = message_timeout

    # The socket the native client talks through. Assigning it works as in
    # simple2: `client.sock = other` makes the client use `other`.
    @property
    def sock(self):
        return self._sock()

    @sock.setter
    def sock(self, sock):
        self._attach(sock)

    def set_callback(self, f):
        self.cb = f

    def set_callback_status(self, f):
        self.cbstat = f

    def set_last_will(self, topic, msg, retain=False, qos=0):
        assert 0 <= qos <= 2
        assert topic
        self.lw_topic = topic
        self.lw_msg = msg
        self.lw_qos = qos
        self.lw_retain = retain

    def connect(self, clean_session=True):
        self.disconnect()
        if self.keepalive:
            assert self.keepalive < 65536
        # ssl may be True (ssl_params: ussl.wrap_socket() keywords) or a
        # ready SSLContext; ssl_params then only gives server_hostname.
        raw, sock = _net.open_conn(self.server, self.port, self.ssl, self.ssl_params,
                                   self.socket_timeout, self.ssl_params.get("server_hostname"))
        self.sock_raw = raw
        self._attach(sock)
        if clean_session:
            self._clear_pending()
        try:
            return self._connect(clean_session)
        except BaseException:  # refused, timed out, invalid argument: no socket left open
            self._attach(None)
            self.sock_raw = None
            _net.close(sock)
            raise

    def disconnect(self):
        sock = self._sock()
        if sock is None:
            return
        self._send_disconnect()  # best effort, errors swallowed
        try:
            sock.close()
        except OSError:
            pass
        self._attach(None)
        self.sock_raw = None
