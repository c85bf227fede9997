"""
umqtt.robust2 API (fizista micropython-umqtt.robust2 2.2.0) over umqtt-rs.

A subclass of :class:`umqtt.simple2.MQTTClient` that never raises connection
errors: they are recorded in ``conn_issue`` as ``(exception, place)``, and
what could not be sent is queued for :meth:`send_queue`::

    c.connect()
    while True:
        if c.is_conn_issue():
            while c.is_conn_issue():
                c.reconnect()
            else:
                c.resubscribe()
        c.check_msg()
        c.send_queue()
"""

from typing import Any, Callable, ClassVar, Dict, List, Optional, Tuple

from . import simple2
from .simple2 import MQTTException as MQTTException
from _umqtt import _Buffer

class MQTTClient(simple2.MQTTClient):
    DEBUG: ClassVar[bool]
    KEEP_QOS0: ClassVar[bool]
    """Queue QoS 0 messages that could not be sent (default True)."""
    NO_QUEUE_DUPS: ClassVar[bool]
    """Do not queue a message or subscription already queued (default True)."""
    MSG_QUEUE_MAX: ClassVar[int]
    """Queued plus unconfirmed messages stay below this (default 5)."""
    CONFIRM_QUEUE_MAX: ClassVar[int]
    """Packet ids remembered per identical message or subscription (default 10)."""
    RESUBSCRIBE: ClassVar[bool]
    """Remember subscriptions in ``subs`` for :meth:`resubscribe` (default True)."""

    subs: List[Tuple[_Buffer, int]]
    msg_to_send: List[Tuple[_Buffer, _Buffer, bool, int]]
    sub_to_send: List[Tuple[_Buffer, int]]
    msg_to_confirm: Dict[Tuple[_Buffer, _Buffer, bool, int], List[int]]
    sub_to_confirm: Dict[Tuple[_Buffer, int], List[int]]
    conn_issue: Optional[Tuple[Exception, int]]
    """``(exception, place)``; place: 1 connect, 2 publish, 3 subscribe,
    4 reconnect, 5 sendqueue, 6 disconnect, 7 ping, 8 wait_msg, 9 keepalive,
    10 check_msg."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        """The arguments of :class:`umqtt.simple2.MQTTClient`."""

    def is_keepalive(self) -> bool:
        """False (and ``conn_issue = (MQTTException(7), 9)``) when nothing
        came from the broker for longer than ``keepalive``."""

    def set_callback_status(self, f: Callable[[int, int], Any]) -> None: ...

    def cbstat(self, pid: int, stat: int) -> None:  # type: ignore[override]
        """Called for every ack and timeout: calls the status callback, then
        settles the confirm queues (a timed-out entry is queued again)."""

    def connect(self, clean_session: bool = True) -> Optional[int]:
        """Returns the session-present flag, or ``None`` on failure (see ``conn_issue``)."""

    def log(self) -> None: ...

    def reconnect(self) -> Optional[int]:
        """``connect(False)``; closes the socket again if that failed."""

    def resubscribe(self) -> None:
        """Subscribes again to everything in ``subs``."""

    def things_to_do(self) -> int:
        """Queued messages and subscriptions plus packet ids awaiting an ack."""

    def add_msg_to_send(self, data: Tuple[_Buffer, _Buffer, bool, int]) -> None:
        """Queues *data*, making room under ``MSG_QUEUE_MAX``; meant to be overridden."""

    def disconnect(self) -> None: ...

    def ping(self) -> None: ...

    def publish(self, topic: _Buffer, msg: _Buffer, retain: bool = False, qos: int = 0) -> Optional[int]:  # type: ignore[override]
        """Returns the packet id (QoS 1), or ``None``; on a connection error
        the message is queued (QoS 1, and QoS 0 with ``KEEP_QOS0``)."""

    def subscribe(self, topic: _Buffer, qos: int = 0, resubscribe: bool = True) -> Optional[int]:  # type: ignore[override]
        """Returns the packet id, or ``None`` (queued on a connection error)."""

    def send_queue(self) -> bool:
        """Sends what is queued (new pids, DUP=0); ``True`` once all is out."""

    def is_conn_issue(self) -> bool:
        """True while a connection problem is recorded in ``conn_issue``."""

    def wait_msg(self) -> Optional[int]: ...

    def check_msg(self) -> Optional[int]: ...
