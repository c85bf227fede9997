"""
The umqtt package of umqtt-rs.

``from umqtt import MQTTClient`` gives the UIFlow2/QuecPython-style client
(QoS 0/1/2, per-topic handlers, automatic reconnect). The other façades are
submodules: :mod:`umqtt.simple2`, :mod:`umqtt.robust2`, :mod:`umqtt.simple`,
:mod:`umqtt.robust`; error codes are in :mod:`umqtt.errno`.
"""

from typing import Any, Callable, ClassVar, Dict, Generator, Optional, Union

from _umqtt import MQTTException as MQTTException, _Buffer
from . import errno as errno, robust as robust, robust2 as robust2, simple as simple, simple2 as simple2

def pid_gen(pid: int = 0) -> Generator[int, None, None]:
    """Packet ids 1..65535 after *pid*, wrapping to 1."""

class MQTTClient(robust.MQTTClient):
    """One client for programs written for M5Stack UIFlow2's and QuecPython's umqtt.

    Where the port has ``_thread``, ``connect()`` with *keepalive* > 0 starts
    a background thread (as QuecPython's does) that pings, reconnects, and
    receives messages (callbacks run on it) while no program thread is in
    ``wait_msg()``, so no ``check_msg()``/``wait_msg()`` loop is needed;
    ``close()`` and ``disconnect()`` stop it. Every method may be called
    from any thread: calls into the native client are serialised by one
    lock. Without ``_thread``, with ``keepalive=0`` (the default) or with
    ``thread=False``, keepalive and reconnect happen inside
    ``check_msg()``/``wait_msg()``/``publish()`` (one reconnect attempt per
    call at most, ``DELAY`` s apart)."""

    CONNECTEXCE: ClassVar[int]
    """``-1``: ``get_mqttsta()`` value for an error."""
    CONNECTSUCCESS: ClassVar[int]
    ARECONNECT: ClassVar[int]
    SEVCLOSE: ClassVar[int]
    reconn: bool
    """Reconnect (and resubscribe) on a connection error (background thread, check_msg/wait_msg/publish).
    False: the loss is reported once (error callback, then ``OSError`` from
    check_msg/wait_msg)."""
    last_ping: int
    last_cpacket: int
    connack_properties: Dict[int, Any]
    """MQTT 5: the properties of the last CONNACK (``{}`` before the first
    connect and on MQTT 3), e.g. ``0x12`` assigned client id, ``0x13``
    server keep alive, ``0x21`` receive maximum, ``0x22`` topic alias
    maximum, ``0x24`` maximum QoS, ``0x27`` maximum packet size."""
    disconnect_reason: Optional[Any]
    """MQTT 5: ``(reason_code, properties)`` of the last DISCONNECT the
    broker sent (``None`` if none)."""

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
        reconn: bool = True,
        version: int = 4,
        pingmaxnum: int = 0,
        *,
        thread: bool = True,
        **kw: Any,
    ) -> None:
        """*keepalive* (s, 0: none) is pinged automatically (background
        thread, or check_msg/wait_msg). *version* 3
        speaks MQTT 3.1 (``MQIsdp``), 5 speaks MQTT 5 (properties on every
        operation, reason codes; see ``docs/mqtt5.md``); a firmware built
        without one raises ValueError for it (``_umqtt.MQTT5``: here;
        ``_umqtt.MQTT31``: at connect). *pingmaxnum* is accepted and ignored.
        *thread* False: never start the background thread. *kw*:
        ``socket_timeout``, ``message_timeout``, ``max_packet_size`` (see
        :mod:`umqtt.simple`)."""

    def set_callback(self, f: Optional[Callable[..., Any]]) -> None:
        """Callback ``f(topic, msg)`` for every message; MQTT 5:
        ``f(topic, msg, properties)`` (handlers get ``(topic, msg,
        properties)`` too)."""

    def error_register_cb(self, f: Callable[[str], Any]) -> None:
        """``f("reconnect_start")`` (on the thread that met the error),
        ``f("reconnect_success")`` (on the one that reconnected), or, when
        ``reconn`` is False, ``f(str(error))`` once per lost connection (the
        background thread then ends; check_msg/wait_msg raise the error
        after it, or return ``None`` if *f* reconnected)."""

    def connect(
        self, clean_session: bool = True, timeout: Optional[float] = None,
        properties: Optional[Dict[int, Any]] = None,
    ) -> int:
        """Returns the session-present flag. After ``clean_session=False``,
        unacknowledged QoS 1/2 publishes are resent (DUP, same pid). Starts
        the background thread (see the class). MQTT 5: *properties* of the
        CONNECT (kept for reconnects), e.g. ``{0x11: 3600}`` (session
        expiry); a refused CONNACK raises ``MQTTException(reason_code)``."""

    def reconnect(self) -> Optional[int]:
        """Reconnects now (whatever ``reconn`` says), resubscribing and
        resending, retrying ``delay(i)`` apart until connected: returns the
        session-present flag; ``None`` once ``close()``/``disconnect()`` stops
        it, or at once from a callback of the native client."""

    def close(self) -> None:
        """Closes the socket only and stops the background thread (waiting
        for it to end); ``connect()`` may be called again."""

    def disconnect(self, reason: int = 0, properties: Optional[Dict[int, Any]] = None) -> None:
        """Stops the background thread (waiting for it to end), sends
        DISCONNECT, closes, and ends the client (no more reconnects). MQTT 5:
        with *reason* (``0x04``: the broker publishes the will) and
        *properties*."""

    def get_mqttsta(self) -> int:
        """-1 not connected / error, 0 connected, 1 reconnecting, 2 closed by the server."""

    def check_msg(self, attempts: int = 2) -> Optional[int]:  # type: ignore[override]
        """Handles a waiting packet, if any (UIFlow2's signature): up to
        *attempts* reads, each that meets a connection error followed by a
        reconnect (``reconn=True``: the background thread's, or one attempt
        here); ``None`` once every attempt failed, and at once while the
        background thread reconnects."""

    def wait_msg(self) -> Optional[int]:
        """Waits for the next packet and handles it here (the background
        thread leaves the socket to this call); returns ``None`` at once if
        the background thread handled a packet since the last
        ``wait_msg()``/``check_msg()``/``connect()``. Waits through a
        reconnect."""

    def publish(  # type: ignore[override]
        self, topic: _Buffer, msg: _Buffer, retain: bool = False, qos: int = 0,
        properties: Optional[Dict[int, Any]] = None,
    ) -> bool:
        """True once sent (QoS 0) or acknowledged (QoS 1 PUBACK, QoS 2
        PUBCOMP) within ``message_timeout``; never raises a connection error
        (False at once while the background thread reconnects).
        MQTT 5: *properties* of the PUBLISH; False also when the broker
        refuses it (reason code >= 0x80); ``ValueError`` for what the
        broker's CONNACK does not allow (QoS, retain, packet size, receive
        maximum, topic alias)."""

    def subscribe(  # type: ignore[override]
        self, topic: _Buffer, handler: Any = None, qos: int = 0,
        properties: Optional[Dict[int, Any]] = None, *, no_local: bool = False,
        retain_as_published: bool = False, retain_handling: int = 0,
    ) -> None:
        """``subscribe(topic, handler, qos)`` (UIFlow2: ``handler((topic, msg))``,
        wildcards allowed, run through ``micropython.schedule``) or
        ``subscribe(topic, qos)`` (QuecPython). MQTT 5: *properties* (e.g.
        ``{0x0B: 1}``, a subscription identifier) and the subscription
        options; a refusal raises ``MQTTException(reason_code)``. Handlers
        run through ``micropython.schedule`` in arrival order, never on the
        background thread; one that raises is printed. While the client
        reconnects the topic is only recorded: the reconnect subscribes it."""

    def unsubscribe(self, topic: _Buffer, properties: Optional[Dict[int, Any]] = None) -> None: ...
