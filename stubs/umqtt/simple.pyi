"""
umqtt.simple API (micropython-lib umqtt.simple 1.8.0) over umqtt-rs.

QoS 1 publish, subscribe and unsubscribe block until their acknowledgement
(bounded by ``message_timeout``). Connection errors are ``OSError`` so that
:mod:`umqtt.robust` reconnects. See docs/api/umqtt.simple.md.
"""

import socket
from time import ticks_diff, ticks_ms
from typing import Any, Callable, ClassVar, Dict, Generator, Optional, Union

from _umqtt import API_MPLIB, Client as _Client, MQTTException as MQTTException, _Buffer

class MQTTClient(_Client):
    _MAX_QOS: ClassVar[int]
    _VERSION: ClassVar[int]
    """4: MQTT 3.1.1; a subclass may set 3 for MQTT 3.1 ("MQIsdp")."""
    client_id: Union[str, bytes]
    server: str
    port: int
    ssl: Any
    ssl_params: Dict[str, Any]
    pid: int
    """The last packet id used (wraps 65535 -> 1)."""
    newpid: Generator[int, None, None]
    cb: Optional[Callable[[bytes, bytes], Any]]
    """Message callback ``cb(topic, msg)``."""
    cbstat: Callable[[int, int], Any]
    user: Optional[Union[str, bytes]]
    pswd: Optional[Union[str, bytes]]
    keepalive: int
    lw_topic: Optional[_Buffer]
    lw_msg: Optional[_Buffer]
    lw_qos: int
    lw_retain: bool
    socket_timeout: Optional[float]
    message_timeout: Optional[float]

    def __init__(
        self,
        client_id: Union[str, bytes],
        server: str,
        port: int = 0,
        user: Optional[Union[str, bytes]] = None,
        password: Optional[Union[str, bytes]] = None,
        keepalive: int = 0,
        ssl: Any = None,
        ssl_params: Dict[str, Any] = {},
        *,
        socket_timeout: Optional[float] = 30,
        message_timeout: Optional[float] = 10,
        max_packet_size: int = 16384,
    ) -> None:
        """*port* 0 means 1883, or 8883 with *ssl* (``True`` with
        ``ssl_params``, or an ``SSLContext``). Keyword-only additions of
        umqtt-rs: *socket_timeout*, *message_timeout*, *max_packet_size*."""

    @property
    def sock(self) -> Any:
        """The socket; assigning any object with ``read(n)``/``write(buf)`` makes the client use it."""
    @sock.setter
    def sock(self, sock: Any) -> None: ...

    def set_callback(self, f: Optional[Callable[[bytes, bytes], Any]]) -> None:
        """Message callback ``f(topic, msg)``."""

    def set_last_will(
        self, topic: _Buffer, msg: _Buffer, retain: bool = False, qos: int = 0,
        properties: Optional[Dict[int, Any]] = None,
    ) -> None:
        """*properties*: MQTT 5 will properties (``umqtt.MQTTClient(version=5)``)."""

    def connect(self, clean_session: bool = True, timeout: Optional[float] = None) -> int:
        """Returns the session-present flag. *timeout* (s) bounds TCP, TLS and
        CONNACK (``None``: ``socket_timeout``). ``MQTTException(rc)`` if
        refused, ``OSError`` on a network error."""

    def disconnect(self, reason: int = 0, properties: Optional[Dict[int, Any]] = None) -> None:
        """Never raises (but ``ValueError`` for an invalid MQTT 5 *reason* or
        *properties*); ``sock`` is ``None`` afterwards."""

    def publish(self, topic: _Buffer, msg: _Buffer, retain: bool = False, qos: int = 0) -> None:
        """At QoS 1, returns once the PUBACK has come; ``OSError(ETIMEDOUT)``
        after ``message_timeout``. ``AssertionError`` for qos 2."""

    def subscribe(self, topic: _Buffer, qos: int = 0, properties: Optional[Dict[int, Any]] = None) -> None:
        """Returns once the SUBACK has come; ``MQTTException(0x80)`` if refused."""

    def unsubscribe(self, topic: _Buffer, properties: Optional[Dict[int, Any]] = None) -> None:
        """Returns once the UNSUBACK has come."""

    def check_msg(self) -> Optional[int]:
        """Handles at most one waiting packet; returns the PUBLISH's first
        byte (e.g. ``0x30``) after a message, the packet type for other
        packets, ``None`` when idle."""

    def wait_msg(self) -> Optional[int]:
        """Waits for a packet, then handles it like :meth:`check_msg`."""
