"""
Peter Hinch's asyncio MQTT client API (mqtt_as 0.8.x, MQTT 3.1.1) on the
umqtt-rs engine::

    from mqtt_as import MQTTClient, config
    import asyncio

    config["server"] = "192.168.1.10"
    config["queue_len"] = 1          # event interface: client.up/down/queue

    async def main(client):
        await client.connect()
        await client.subscribe("cmd/#", 1)
        async for topic, msg, retained in client.queue:
            print(topic, msg, retained)

    asyncio.run(main(MQTTClient(config)))

The first ``connect()`` raises ``OSError``; later outages reconnect in a
background task. MQTT 5: ``config["mqttv5"] = True``, with
``mqttv5_con_props`` (a dict ``{id: value}``) for the CONNECT; ``properties``
of publish/subscribe/unsubscribe are sent, ``subs_cb`` gets a 4th argument
(the message's properties, ``None`` when it has none; user properties as
``{name: value}``) and queue items a 4th element (see ``docs/mqtt5.md``).
Without ``mqttv5``, ``properties`` arguments are ignored. See the header of
python/mqtt_as.py for every difference from mqtt_as.
"""

import asyncio
import gc
import network
import socket
from binascii import hexlify
from sys import platform
from time import ticks_diff, ticks_ms
from typing import Any, Callable, ClassVar, Coroutine, Dict, Generator, List, Optional, Set, Tuple, Union

from _umqtt import API_MPLIB, MQTTException as MQTTException

_Buffer = Union[bytes, bytearray, memoryview, str]

VERSION: Tuple[int, int, int]
"""The mqtt_as version whose API this follows."""
IBUFSIZE: int
"""Kept for compatibility; the engine sizes its buffers per packet (``max_packet_size`` is the limit)."""
MSG_BYTES: bool
BUSY_ERRORS: List[int]
ESP32: bool
RP2: bool
ESP8266: bool
PYBOARD: bool

config: Dict[str, Any]
"""Defaults to copy and fill in: ``client_id``, ``server`` (required),
``port`` (0: 1883, or 8883 with ``ssl``), ``user``, ``password``,
``keepalive`` (60), ``ping_interval``, ``ssl``, ``ssl_params``,
``response_time`` (10 s), ``clean_init``, ``clean``, ``max_repubs`` (4),
``will`` ``(topic, msg, retain, qos[, properties])``, ``subs_cb(topic, msg, retained[, properties])``,
``wifi_coro``, ``connect_coro``, ``ssid``, ``wifi_pw``, ``queue_len`` (0:
callbacks; > 0: event interface), ``gateway``, ``mqttv5``,
``mqttv5_con_props``; umqtt-rs also reads ``max_packet_size`` (16384)."""

async def eliza(*_: Any) -> None:
    """The null coroutine of the config defaults."""

def pid_gen() -> Generator[int, None, None]:
    """Packet ids 1..65535, wrapping to 1."""

def qos_check(qos: int) -> None:
    """``ValueError`` unless qos is 0 or 1."""

class MsgQueue:
    """The event interface's message queue: ``async for topic, msg, retained
    in client.queue``. On overflow the oldest entry is discarded and counted."""

    discards: int
    def __init__(self, size: int) -> None: ...
    def put(self, *v: Any) -> None: ...
    def __aiter__(self) -> "MsgQueue": ...
    async def __anext__(self) -> Tuple[bytes, bytes, bool]: ...

class MQTTClient:
    DEBUG: ClassVar[bool]
    REPUB_COUNT: ClassVar[int]
    """QoS 1 republications so far (diagnostic, as in mqtt_as)."""

    server: str
    port: int
    lock: asyncio.Lock
    rcv_pids: Set[int]
    """Packet ids awaiting an ack."""
    newpid: Generator[int, None, None]
    last_rx: int
    """``ticks_ms()`` of the last packet received."""
    topic_alias_maximum: int
    up: asyncio.Event
    """Event interface only (``queue_len > 0``): set on (re)connection."""
    down: asyncio.Event
    """Event interface only: set on an outage."""
    queue: MsgQueue
    """Event interface only: incoming messages."""

    def __init__(self, config: Dict[str, Any]) -> None:
        """``ValueError`` without a server or for ``keepalive >= 65536``."""

    def dprint(self, msg: str, *args: Any) -> None:
        """Prints ``msg % args`` when ``DEBUG``."""

    async def wifi_connect(self, quick: bool = False) -> None:
        """Brings the WLAN up (``ssid``/``wifi_pw``); returns at once where there is no WLAN."""

    async def connect(self, *, quick: bool = False) -> None:
        """Connects (``OSError`` on failure), then keeps the connection up in
        the background: pings, outage detection, reconnects."""

    def isconnected(self) -> bool: ...

    async def publish(self, topic: _Buffer, msg: _Buffer, retain: bool = False, qos: int = 0, properties: Any = None) -> None:
        """QoS 0: returns once queued. QoS 1: returns once acknowledged;
        republished with DUP after ``response_time``, up to ``max_repubs``
        times, then after a reconnect. MQTT 5: a PUBACK with a reason code
        >= 0x80 raises ``MQTTException(reason_code)`` (not retried)."""

    async def subscribe(self, topic: _Buffer, qos: int = 0, properties: Any = None) -> None:
        """Returns once the SUBACK has come."""

    async def unsubscribe(self, topic: _Buffer, properties: Any = None) -> None:
        """Returns once the UNSUBACK has come."""

    async def broker_up(self) -> bool:
        """True if the broker answered recently or answers a ping within ``response_time``."""

    async def wan_ok(self, packet: bytes = ...) -> bool:
        """True if a DNS query to 8.8.8.8 is answered (as in mqtt_as)."""

    async def disconnect(self) -> None:
        """Sends DISCONNECT and stops the background tasks."""

    def close(self) -> None:
        """Closes the socket and stops the background tasks without DISCONNECT."""
