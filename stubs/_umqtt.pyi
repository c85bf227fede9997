"""
The native MQTT engine of umqtt-rs (built-in C module ``_umqtt``).

Not meant to be used directly: the frozen façades ``umqtt.simple2``,
``umqtt.simple``, ``umqtt.robust``, ``umqtt.robust2`` and ``umqtt.MQTTClient``
subclass :class:`Client`. A firmware without the façades built on
micropython-lib's conventions (umqtt.simple, umqtt.robust, umqtt.MQTTClient,
mqtt_as: C define ``UMQTT_MPLIB``; the minimal profile) has no
:class:`Client`, :class:`Simple`, :data:`API_SIMPLE2`, :data:`API_MPLIB`,
:func:`topic_matches` or :func:`close`: there :class:`Simple2` stands alone,
with every method of :class:`Client` but :meth:`Client._connect` (its
``connect()`` does CONNECT itself). The native client reads its settings (``client_id``,
``user``, ``pswd``, ``keepalive``, ``lw_*``, ``newpid``, ``cb``, ``cbstat``,
``socket_timeout``, ``message_timeout``) from its *owner*, the Python
instance passed to the constructor, and stores ``last_ping`` and
``last_cpacket`` on it.
"""

from typing import Any, Dict, Iterable, Iterator, Optional, Tuple, Union

_Buffer = Union[bytes, bytearray, memoryview, str]

API_SIMPLE2: int
"""Conventions of fizista's umqtt.simple2: ``cb(topic, msg, retained, dup)``,
``check_msg()`` returns ``None`` after a PUBLISH, every error is
``MQTTException(code)``. Like the ``api`` keyword, only with ``UMQTT_MPLIB``
(without, every client has these conventions)."""

API_MPLIB: int
"""Conventions of micropython-lib's umqtt.simple: ``cb(topic, msg)``,
``check_msg()`` returns the PUBLISH's first byte, connection errors are
``OSError``, a refused CONNACK is ``MQTTException(rc)``. Only in a firmware
with one of the façades built on them (umqtt.simple, umqtt.robust,
umqtt.MQTTClient, mqtt_as: C define ``UMQTT_MPLIB``)."""

MQTT5: bool
"""Whether MQTT 5 is built in. A firmware built without it (cargo
``--no-default-features``, ``-DUMQTT_MQTT5=0``) raises
``ValueError("MQTT version 5 is not in this firmware (built without UMQTT_MQTT5)")``
for version 5."""

MQTT31: bool
"""Whether MQTT 3.1 (version 3, ``MQIsdp``) is built in. A firmware built
without it (cargo without the feature ``mqtt31``, ``-DUMQTT_MQTT31=0``: the
minimal profile) raises
``ValueError("MQTT version 3 is not in this firmware (built without UMQTT_MQTT31)")``
for version 3."""

class MQTTException(Exception):
    """Raised for MQTT-level errors; ``args[0]`` is a code from
    :mod:`umqtt.errno` (or, for the micropython-lib façades, a CONNACK return
    code or ``0x80``)."""

def open_conn(
    server: str, port: int, ssl: Any, ssl_params: Optional[Dict[str, Any]], timeout: Optional[float],
    hostname: Optional[str] = None, socket: Any = None,
) -> Tuple[Any, Any]:
    """Opens the broker connection every façade uses; returns ``(raw socket,
    stream)``. TCP connect and TLS handshake are blocking, bounded by
    *timeout* (s; ``None``: no limit); the raw socket is then made
    non-blocking, and closed if anything fails. *ssl*: false, ``True``
    (*ssl_params* are the old ``ssl.wrap_socket()`` keywords, a dict), or an
    SSLContext-like object (its ``wrap_socket(sock, server_hostname=...)``).
    *hostname*: the TLS server name (default: ``ssl_params["server_hostname"]``).
    *socket*: the module to use (default: the port's). Like :func:`close`,
    only in a firmware with the façades built on micropython-lib's
    conventions (``Simple2.connect()`` opens its connection itself)."""

def topic_matches(filter: _Buffer, topic: _Buffer) -> bool:
    """MQTT wildcard matching (``+``, ``#``; ``$`` topics are not matched by a
    leading wildcard). Raises ``ValueError`` if *filter* or *topic* is not a
    valid filter / topic name. Like :data:`API_MPLIB`, only in a firmware with
    the façades built on micropython-lib's conventions."""

def close(sock: Any) -> None:
    """``sock.close()`` unless *sock* is ``None``; an ``OSError`` from it is
    swallowed (the clean-up of the façades that open their own sockets). Like
    :func:`topic_matches`, only in a firmware with the façades built on
    micropython-lib's conventions."""

def _no_version(version: int) -> ValueError:
    """Private: the ``ValueError`` for a *version* this firmware was built
    without (the text under :data:`MQTT5`), not raised: umqtt.MQTTClient and
    mqtt_as raise it when asked for MQTT 5 at construction. Only in a
    firmware without MQTT 5 that has the façades built on micropython-lib's
    conventions."""

class _PendingAcks:
    """``rcv_pids``: a live, dict-like view ``pid -> deadline`` (``ticks_ms``)
    of the packet ids awaiting an acknowledgement. Assigning ``view[pid] =
    deadline`` makes a pid time out; ``del view[pid]`` forgets it.
    Iteration, ``==``, ``keys()``, ``values()`` and ``items()`` work on a
    dict of the table as it is then (the last three return that dict's
    views, as simple2's own dict does)."""
    def __getitem__(self, pid: int) -> int: ...
    def __setitem__(self, pid: int, deadline: int) -> None: ...
    def __delitem__(self, pid: int) -> None: ...
    def __contains__(self, pid: object) -> bool: ...
    def __iter__(self) -> Iterator[int]: ...
    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...
    def keys(self) -> Iterable[int]: ...
    def values(self) -> Iterable[int]: ...
    def items(self) -> Iterable[Tuple[int, int]]: ...
    def get(self, pid: int, default: Any = None) -> Any: ...
    def pop(self, pid: int, default: Any = ...) -> Any: ...
    def clear(self) -> None: ...

class Client:
    """The native client. ``owner`` is the Python object holding the
    settings (normally ``self`` of a subclass). Only in a firmware with
    ``UMQTT_MPLIB`` (see above)."""

    def __init__(
        self,
        owner: Any,
        *,
        max_packet_size: int = 16384,
        max_qos: int = 1,
        api: int = ...,
        props_dict: bool = False,
    ) -> None:
        """*max_packet_size*: the largest incoming packet accepted (a limit,
        not a buffer: a packet is read into a block of its own size, a
        PUBLISH's becoming the payload's ``bytes``). Outgoing packets have no
        limit beyond MQTT's. *max_qos*: 1 or 2 (2 needs the QoS 2 flows, which
        come with umqtt.MQTTClient and mqtt_as; the ``minimal`` profile lacks
        them). *api*: :data:`API_SIMPLE2` or
        :data:`API_MPLIB`. *props_dict*: received MQTT 5 user properties as
        ``{name: value}`` (mqtt_as) instead of ``[(name, value), ...]``.
        ``ValueError`` for invalid values.

        MQTT 5 properties are dicts ``{id: value}``: ints for integer
        properties, ``str`` for strings, ``bytes`` for binary data, a user
        property (``0x26``) a list of ``(name, value)`` pairs or a dict. Every
        rule of the spec is checked before sending (``ValueError``)."""

    def publish(
        self, topic: _Buffer, msg: _Buffer, retain: bool = False, qos: int = 0, dup: bool = False,
        properties: Optional[Dict[int, Any]] = None,
    ) -> Optional[int]:
        """Sends a PUBLISH; returns its packet id for QoS > 0, else ``None``.
        Does not wait for the acknowledgement (it is reported through
        ``cbstat``). MQTT 5: *properties*; with a topic alias (``0x23``) an
        empty *topic* sends the alias alone."""

    def subscribe(self, topic: _Buffer, qos: int = 0, properties: Optional[Dict[int, Any]] = None) -> int:
        """Sends a SUBSCRIBE; returns its packet id. ``AssertionError`` if no
        message callback is set. MQTT 5: bits 2-5 of *qos* are the
        subscription options (No Local ``0x04``, Retain As Published ``0x08``,
        Retain Handling ``<< 4``)."""

    def unsubscribe(self, topic: _Buffer, properties: Optional[Dict[int, Any]] = None) -> int:
        """Sends an UNSUBSCRIBE; returns its packet id."""

    def ping(self) -> None:
        """Sends a PINGREQ."""

    def check_msg(self) -> Optional[int]:
        """Handles at most one waiting packet; ``None`` when none is waiting."""

    def wait_msg(self) -> Optional[int]:
        """Waits for one packet and handles it like :meth:`check_msg`."""

    def _receive(self, timeout_ms: Optional[int]) -> Optional[int]:
        """Like :meth:`check_msg`, waiting up to *timeout_ms* for a packet to
        start (``None``: forever). Like :meth:`_pending`, only in a firmware
        with :data:`API_MPLIB`."""

    def _republish(
        self, topic: _Buffer, msg: _Buffer, retain: bool, qos: int, pid: int,
        properties: Optional[Dict[int, Any]] = None,
    ) -> Optional[int]:
        """Resends an unacknowledged publish with DUP and its packet id. Only
        in a firmware with :data:`API_MPLIB`."""

    def _attach(self, sock: Any) -> None:
        """Makes the client talk through *sock* (``None``: no socket)."""

    def _read(self, n: int) -> bytes:
        """Reads *n* bytes from the socket, bounded by ``socket_timeout``.
        A subclass may override it (and :meth:`_write`): all I/O then goes
        through the override."""

    def _write(self, buf: _Buffer, length: int = -1) -> int:
        """Writes *buf* (its first *length* bytes), bounded by ``socket_timeout``."""

    def _sock(self) -> Any:
        """The attached socket, or ``None``."""

    def _connect(
        self, clean_session: bool = True, version: int = 4,
        properties: Optional[Dict[int, Any]] = None,
    ) -> int:
        """Sends CONNECT on the attached socket and reads CONNACK; returns the
        session-present flag. *version* 3 (MQTT 3.1, if :data:`MQTT31`), 4
        (3.1.1) or 5 (if :data:`MQTT5`). MQTT 5:
        *properties* of the CONNECT (a Maximum Packet Size of
        *max_packet_size* is added unless given), the will's from the owner's
        ``lw_properties``; the CONNACK's become the owner's
        ``connack_properties``. A Topic Alias Maximum (``0x22``, at most 32)
        lets the broker use aliases for topics of up to 128 bytes. Only in a
        firmware with a façade that calls it (all but umqtt.simple2) or with
        MQTT 3.1 or 5: not in the minimal profile."""

    def _send_disconnect(self, reason: int = 0, properties: Optional[Dict[int, Any]] = None) -> None:
        """Sends DISCONNECT (MQTT 5: with *reason* and *properties*), best
        effort (errors swallowed)."""

    def _pending(self) -> _PendingAcks:
        """The live ``rcv_pids`` view."""

    def _clear_pending(self) -> None:
        """Forgets every packet id in flight (clean session)."""


class Simple2(Client):
    """:class:`Client` with umqtt.simple2's attributes and methods: the native
    base of ``umqtt.simple2.MQTTClient``. It keeps simple2's attributes
    (``client_id`` ... ``message_timeout``, ``cb``, ``cbstat``, ``newpid``,
    ``rcv_pids``, ``last_ping``, ``last_cpacket``, ``sock_raw``, ``lw_*``)
    itself, read through the owner while the owner has none of its own."""

    def __init__(
        self,
        owner: Any,
        client_id: _Buffer,
        server: str,
        port: int = 0,
        user: Optional[_Buffer] = None,
        password: Optional[_Buffer] = None,
        keepalive: int = 0,
        ssl: Any = False,
        ssl_params: Optional[Dict[str, Any]] = None,
        socket_timeout: Optional[float] = 5,
        message_timeout: Optional[float] = 10,
        *,
        max_packet_size: int = 16384,
        max_qos: int = 1,
        api: int = ...,
        props_dict: bool = False,
    ) -> None:
        """The keywords as :class:`Client`'s; *api* and *props_dict* only
        with ``UMQTT_MPLIB``."""
    def connect(self, clean_session: bool = True) -> int:
        """simple2's: ``disconnect()``, :func:`open_conn`, CONNECT/CONNACK."""
    def disconnect(self) -> None:
        """simple2's: DISCONNECT (best effort), close, detach."""
    def set_callback(self, f: Any) -> None: ...
    def set_callback_status(self, f: Any) -> None: ...
    def set_last_will(self, topic: _Buffer, msg: _Buffer, retain: bool = False, qos: int = 0) -> None: ...

class Simple(Client):
    """:class:`Client` with micropython-lib umqtt.simple's attributes: the
    native base of ``umqtt.simple.MQTTClient`` (so of umqtt.robust and
    ``umqtt.MQTTClient``); only in a firmware with umqtt.simple. It keeps
    the façade's attributes (``client_id`` ... ``message_timeout``, ``cb``,
    ``cbstat``, ``newpid``, ``lw_*``) itself, read through the owner while
    the owner has none of its own; ``cbstat`` and ``newpid`` default to the
    owner's ``_status`` and ``_next_pid()``. The façade passes every
    argument (the defaults here are Simple2's)."""

    def __init__(
        self,
        owner: Any,
        client_id: _Buffer,
        server: str,
        port: int = 0,
        user: Optional[_Buffer] = None,
        password: Optional[_Buffer] = None,
        keepalive: int = 0,
        ssl: Any = False,
        ssl_params: Optional[Dict[str, Any]] = None,
        socket_timeout: Optional[float] = 5,
        message_timeout: Optional[float] = 10,
        *,
        max_packet_size: int = 16384,
        max_qos: int = 1,
        api: int = ...,
        props_dict: bool = False,
    ) -> None: ...
    def set_callback(self, f: Any) -> None: ...
