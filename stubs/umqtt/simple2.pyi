"""
umqtt.simple2 API (fizista micropython-umqtt.simple2 2.2.0) over umqtt-rs.

Programs written for simple2 keep their code::

    from umqtt.simple2 import MQTTClient, MQTTException

The protocol runs in the native ``_umqtt.Simple2`` (a ``_umqtt.Client`` in a firmware that has
one). See docs/api/umqtt.simple2.md
and docs/migrating/simple2.md.
"""

from typing import Any, Callable, Dict, Generator, Optional, Union

from _umqtt import Simple2 as _Client, MQTTException as MQTTException, _Buffer, _PendingAcks

def pid_gen(pid: int = 0) -> Generator[int, None, None]:
    """Packet ids 1..65535 after *pid*, wrapping to 1 (never 0)."""

class MQTTClient(_Client):
    client_id: Union[str, bytes]
    server: str
    port: int
    user: Optional[Union[str, bytes]]
    pswd: Optional[Union[str, bytes]]
    """The password (simple2's attribute name)."""
    keepalive: int
    ssl: Any
    ssl_params: Dict[str, Any]
    sock_raw: Any
    """The raw socket under TLS (the TCP socket otherwise); ``None`` when not connected."""
    poller_r: None
    """Always ``None``: the native client polls the socket itself."""
    poller_w: None
    newpid: Generator[int, None, None]
    """Packet-id generator; replace it to choose pids (read by the native client)."""
    cb: Optional[Callable[[bytes, bytes, bool, bool], Any]]
    """Message callback ``cb(topic, msg, retained, dup)``."""
    cbstat: Callable[[int, int], Any]
    """Status callback ``cbstat(pid, status)``: 0 timed out, 1 delivered, 2 unknown pid."""
    lw_topic: Optional[_Buffer]
    lw_msg: Optional[_Buffer]
    lw_qos: int
    lw_retain: bool
    rcv_pids: _PendingAcks
    """Live mapping pid -> deadline (``ticks_ms``) of what awaits an ack."""
    last_ping: int
    last_cpacket: int
    socket_timeout: Optional[float]
    """Seconds a socket operation may take once a packet has started (``None``: no limit)."""
    message_timeout: Optional[float]
    """Seconds to wait for a PUBACK/SUBACK before ``cbstat(pid, 0)``."""

    def __init__(
        self,
        client_id: Union[str, bytes],
        server: str,
        port: int = 0,
        user: Optional[Union[str, bytes]] = None,
        password: Optional[Union[str, bytes]] = None,
        keepalive: int = 0,
        ssl: Any = False,
        ssl_params: Optional[Dict[str, Any]] = None,
        socket_timeout: Optional[float] = 5,
        message_timeout: Optional[float] = 10,
        *,
        max_packet_size: int = 16384,
    ) -> None:
        """*port* 0 means 1883, or 8883 with *ssl*. *ssl*: ``True`` (then
        *ssl_params* are ``ssl.wrap_socket()`` keywords: ``key``, ``cert``,
        ``server_side``, ``server_hostname``, ``do_handshake``, ``cert_reqs``,
        ``cadata``) or an ``SSLContext``. *max_packet_size* (umqtt-rs): the
        largest incoming packet; a larger one raises ``MQTTException(51)``."""

    @property
    def sock(self) -> Any:
        """The socket the client speaks MQTT on; assign another stream to swap it."""
    @sock.setter
    def sock(self, sock: Any) -> None: ...

    def set_callback(self, f: Optional[Callable[[bytes, bytes, bool, bool], Any]]) -> None:
        """Message callback ``f(topic, msg, retained, dup)``."""

    def set_callback_status(self, f: Callable[[int, int], Any]) -> None:
        """Status callback ``f(pid, status)`` (see :mod:`umqtt.errno` ``S*``)."""

    def set_last_will(self, topic: _Buffer, msg: _Buffer, retain: bool = False, qos: int = 0) -> None:
        """Last will, sent in the next CONNECT. ``AssertionError`` for qos
        outside 0..2 or an empty topic."""

    def connect(self, clean_session: bool = True) -> int:
        """Opens the connection (TCP, TLS), sends CONNECT; returns the
        session-present flag (0/1). ``MQTTException(21..25)`` if refused,
        ``OSError`` if the TCP connection fails."""

    def disconnect(self) -> None:
        """Sends DISCONNECT (best effort) and closes the socket; ``sock`` is
        ``None`` afterwards. Safe to call twice."""

    def publish(self, topic: _Buffer, msg: _Buffer, retain: bool = False, qos: int = 0, dup: bool = False) -> Optional[int]:
        """Returns the packet id at QoS 1 (the PUBACK is reported through
        ``cbstat(pid, 1)``), ``None`` at QoS 0. ``AssertionError`` for qos
        other than 0/1, ``ValueError`` for an invalid topic or ``dup`` at QoS 0.
        When 32 packet ids already await their ack, first handles incoming
        packets as ``check_msg()`` does (callbacks run) until one is acked:
        ``MQTTException(53)`` if none is within ``socket_timeout``."""

    def subscribe(self, topic: _Buffer, qos: int = 0) -> int:
        """Returns the packet id; the SUBACK is reported through ``cbstat(pid, 1)``."""

    def unsubscribe(self, topic: _Buffer) -> int:
        """Returns the packet id."""

    def check_msg(self) -> Optional[int]:
        """Handles at most one waiting packet: ``None`` when idle or after a
        PUBLISH (delivered to ``cb``), the packet type (``0x40`` PUBACK,
        ``0x90`` SUBACK, ``0xB0`` UNSUBACK...) otherwise."""

    def wait_msg(self) -> Optional[int]:
        """Waits for a packet, then handles it like :meth:`check_msg`."""
