"""
umqtt.robust API (micropython-lib umqtt.robust 1.0.3) over umqtt-rs.

A subclass of :class:`umqtt.simple.MQTTClient` whose ``publish``,
``wait_msg`` and ``check_msg`` reconnect (``connect(False)``) on a
connection error (``OSError``) and repeat the operation.
"""

import time
from typing import ClassVar, Optional

from . import simple
from _umqtt import _Buffer

class MQTTClient(simple.MQTTClient):
    DELAY: ClassVar[int]
    """Seconds :meth:`delay` sleeps between reconnect attempts."""
    DEBUG: ClassVar[bool]
    """Print connection errors through :meth:`log`."""

    def delay(self, i: int) -> None:
        """Pause before reconnect attempt *i* (1, 2, ...); override to back off."""

    def log(self, in_reconnect: bool, e: Exception) -> None: ...

    def reconnect(self) -> int:
        """``connect(False)`` until it succeeds; retries only ``OSError``."""

    def publish(self, topic: _Buffer, msg: _Buffer, retain: bool = False, qos: int = 0) -> None: ...

    def wait_msg(self) -> Optional[int]: ...

    def check_msg(self, attempts: int = 2) -> Optional[int]:
        """Returns ``None`` once every attempt failed (each followed by a reconnect)."""
