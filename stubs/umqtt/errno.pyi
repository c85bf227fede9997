"""
MQTTException codes (``exc.args[0]``) and status-callback values of umqtt-rs.

The names and values are those of umqtt.simple2 2.2.0 (spelling included:
``ECONUNAVAIBLE``); 50..53 are umqtt-rs additions. See docs/errors.md.
"""
from typing import Final

EUNKNOWN: Final[int] = -1
"""malformed packet (e.g. PUBLISH with QoS bits 3)"""
ECONCLOSE: Final[int] = 1
"""connection closed by the broker (EOF)"""
EREADLEN: Final[int] = 2
"""_read(n) with n < 0"""
EWRITELEN: Final[int] = 3
"""kept for simple2 compatibility; never raised"""
ESTRTOLONG: Final[int] = 4
"""kept for simple2 compatibility; never raised"""
ERESPONSE: Final[int] = 6
"""kept for simple2 compatibility; never raised"""
EKEEPALIVE: Final[int] = 7
"""umqtt.robust2: nothing from the broker for longer than keepalive; recorded as conn_issue (MQTTException(7), 9)"""
ENOCON: Final[int] = 8
"""kept for simple2 compatibility; never raised"""
ECONUNKNOWN: Final[int] = 20
"""CONNACK refused with an unknown return code: MQTTException(20, rc)"""
ECONPROTOCOL: Final[int] = 21
"""CONNACK 1: unacceptable protocol version"""
ECONREJECT: Final[int] = 22
"""CONNACK 2: client id rejected"""
ECONUNAVAIBLE: Final[int] = 23
"""CONNACK 3: server unavailable"""
ECONCREDENTIALS: Final[int] = 24
"""CONNACK 4: bad user name or password"""
ECONAUTH: Final[int] = 25
"""CONNACK 5: not authorised"""
ECONNOT: Final[int] = 28
"""not connected (no socket)"""
ECONLENGTH: Final[int] = 29
"""invalid CONNACK"""
ECONTIMEOUT: Final[int] = 30
"""socket_timeout ran out"""
ESUBACKUNKNOWN: Final[int] = 40
"""invalid SUBACK"""
ESUBACKFAIL: Final[int] = 44
"""SUBACK refused the subscription (0x80)"""

# umqtt-rs additions: errors simple2 did not detect.
EMALFORMED: Final[int] = 50
"""malformed packet from the broker (bad length, empty topic...)"""
EPACKETSIZE: Final[int] = 51
"""incoming packet larger than the receive buffer (max_packet_size)"""
EPROTOCOL: Final[int] = 52
"""packet the broker must not send (MQTT protocol violation)"""
EINFLIGHT: Final[int] = 53
"""no room left to track another unacknowledged packet id within socket_timeout"""
EMSGSKIPPED: Final[int] = 54
"""a received message too large for the free heap was skipped (not delivered, not acked)"""

# Second argument of the status callback cbstat(pid, status).
STIMEOUT: Final[int] = 0
"""no ack within message_timeout"""
SDELIVERED: Final[int] = 1
"""acked by the broker"""
SUNKNOWNPID: Final[int] = 2
"""ack for a pid that is not (or no longer) awaited"""
