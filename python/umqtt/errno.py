# MQTTException codes (exc.args[0]) and status-callback values.
# The names and values are those of umqtt.simple2 2.2.0, kept as they are,
# spelling included (ECONUNAVAIBLE), so existing code keeps working.

EUNKNOWN = -1  # malformed packet (e.g. PUBLISH with QoS bits 3)
ECONCLOSE = 1  # connection closed by the broker (EOF)
EREADLEN = 2
EWRITELEN = 3
ESTRTOLONG = 4
ERESPONSE = 6
EKEEPALIVE = 7
ENOCON = 8
ECONUNKNOWN = 20  # CONNACK refused with an unknown return code: MQTTException(20, rc)
ECONPROTOCOL = 21  # CONNACK 1: unacceptable protocol version
ECONREJECT = 22  # CONNACK 2: client id rejected
ECONUNAVAIBLE = 23  # CONNACK 3: server unavailable
ECONCREDENTIALS = 24  # CONNACK 4: bad user name or password
ECONAUTH = 25  # CONNACK 5: not authorised
ECONNOT = 28  # not connected (no socket)
ECONLENGTH = 29  # invalid CONNACK
ECONTIMEOUT = 30  # socket_timeout ran out
ESUBACKUNKNOWN = 40  # invalid SUBACK
ESUBACKFAIL = 44  # SUBACK refused the subscription (0x80)

# umqtt-rs additions: errors simple2 did not detect.
EMALFORMED = 50  # malformed packet from the broker (bad length, empty topic...)
EPACKETSIZE = 51  # incoming packet larger than the receive buffer (max_packet_size)
EPROTOCOL = 52  # packet the broker must not send (MQTT protocol violation)
EINFLIGHT = 53  # no room left to track another unacknowledged packet id within socket_timeout
EMSGSKIPPED = 54  # a received message too large for the free heap was skipped (not delivered, not acked)

# Second argument of the status callback cbstat(pid, status).
STIMEOUT = 0  # no ack within message_timeout
SDELIVERED = 1  # acked by the broker
SUNKNOWNPID = 2  # ack for a pid that is not (or no longer) awaited
