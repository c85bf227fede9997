# QoS 2 on `from umqtt import MQTTClient`: exactly-once publish and receive.
# The publisher's connection is dropped while its QoS 2 publishes are
# unacknowledged; connect(clean_session=False) resends them with DUP and the
# same packet id, and a QoS 2 subscriber counts exactly one delivery each.
# timeout: 60
# needs: client
import time
import testenv
from mqttutil import check, eq, topic, uid
from umqtt import MQTTClient

t = topic("qos2")
counts = {}
sub = MQTTClient(uid("sub"), testenv.HOST, testenv.PORT, keepalive=0)
sub.set_callback(lambda tp, m: counts.__setitem__(m, counts.get(m, 0) + 1))
sub.connect()
sub.subscribe(t, 2)

# The publisher goes through the test proxy, so its acks can be held back.
proxy = int(testenv.broker_ctl("proxy", testenv.PORT))
pub = MQTTClient(uid("pub"), testenv.HOST, proxy, keepalive=0)
pub.connect(clean_session=False)
eq(pub.publish(t, b"m0", qos=2), True, "QoS2 publish completes (PUBCOMP)")

# Unacknowledged: every byte now takes 200 ms through the proxy and the
# client does not wait for the handshake (message_timeout 0). Then drop the
# connection under the client while PUBRECs wait in its socket.
eq(testenv.broker_ctl("proxy", proxy, "delay", 200), "ok", "proxy delay")
pub.message_timeout = 0
N = 8
for i in range(1, N + 1):
    eq(pub.publish(t, b"m%d" % i, qos=2), False, "not yet acknowledged")
eq(len(pub._unacked), N, "kept for resending")
time.sleep_ms(500)
pub.close()
eq(testenv.broker_ctl("proxy", proxy, "pass"), "ok", "proxy pass")
pub.message_timeout = 10
eq(pub.connect(clean_session=False), 1, "session resumed")
deadline = time.ticks_add(time.ticks_ms(), 10000)
while pub._unacked and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    pub.check_msg()
eq(pub._unacked, {}, "all completed after the resend")

deadline = time.ticks_add(time.ticks_ms(), 5000)
while len(counts) < N + 1 and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    sub.check_msg()
drain = time.ticks_add(time.ticks_ms(), 500)  # any duplicate would arrive now
while time.ticks_diff(drain, time.ticks_ms()) > 0:
    sub.check_msg()
eq(counts, {b"m%d" % i: 1 for i in range(N + 1)}, "each message delivered exactly once")
pub.connect(clean_session=True)
pub.disconnect()
sub.disconnect()
print("OK")
