# umqtt.simple2 API (fizista micropython-umqtt.simple2 2.2.0) over umqtt-rs.
#
# The MQTT protocol -- publish, subscribe, unsubscribe, ping, check_msg,
# wait_msg, CONNECT/CONNACK, acks and timeouts -- and simple2's attributes,
# setters, connect() and disconnect() live in the native _umqtt.Simple2
# (cmodule/umqtt_simple2.c), which this class inherits: importing it builds
# no function objects, and a client's instance dict stays empty until the
# program assigns something.
#
# The native client reads the attributes simple2 users replace (newpid, cb,
# cbstat, socket_timeout, message_timeout, client_id, user, pswd, keepalive,
# lw_*) from this instance when it has its own, and keeps last_ping and
# last_cpacket up to date.
#
# A subclass may override _read(n) and _write(buf, length=-1): all I/O then
# goes through them. simple2's other private helpers (_send_str, _recv_len,
# _varlen_encode, _sock_timeout, _message_timeout) do not exist here.

from _umqtt import Simple2 as _Client, MQTTException  # noqa: F401 (simple2's API)


def pid_gen(pid=0):
    # Packet ids 1..65535, wrapping to 1: 0 is not a valid MQTT packet id.
    while True:
        pid = pid % 65535 + 1
        yield pid


class MQTTClient(_Client):
    # MQTTClient(client_id, server, port=0, user=None, password=None,
    #            keepalive=0, ssl=False, ssl_params=None, socket_timeout=5,
    #            message_timeout=10, *, max_packet_size=16384)
    # The native client keeps simple2's attributes (client_id, server, port,
    # user, pswd, keepalive, ssl, ssl_params, socket_timeout,
    # message_timeout, cb, cbstat, newpid, rcv_pids, last_ping,
    # last_cpacket, sock_raw, lw_*) until the program assigns them; the
    # default newpid is the engine's allocator (1..65535, wrapping, and
    # unlike pid_gen never an id still awaiting its ack); set_callback,
    # set_callback_status, set_last_will, connect and disconnect are native
    # too (connect opens the socket with the native open_conn).
    # umqtt-rs addition: max_packet_size bounds an incoming packet (a limit,
    # not a buffer); a larger one raises MQTTException(EPACKETSIZE) unread.
    def __init__(self, *args, **kw):
        super().__init__(self, *args, **kw)  # the native client reads its settings from us


# The socket the native client talks through. Assigning it works as in
# simple2: `client.sock = other` makes the client use `other`. The native
# methods themselves, no functions of ours to freeze or make at import;
# read from our class, where a native method is the plain function (read
# from _Client it would check that self's type is exactly _Client).
MQTTClient.sock = property(MQTTClient._sock, MQTTClient._attach)
