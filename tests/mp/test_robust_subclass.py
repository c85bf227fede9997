# umqtt.robust subclasses umqtt.simple (as in micropython-lib), and user code
# subclasses robust: reconnect() calls the subclass's connect(), which is
# where micropython-lib's README says to resubscribe. The connection is
# broken under the client by closing its socket.
# needs: simple robust
import time
import testenv
from mqttutil import check, eq, topic, uid
import umqtt.simple
import umqtt.robust
from umqtt.robust import MQTTClient

check(issubclass(umqtt.robust.MQTTClient, umqtt.simple.MQTTClient), "robust subclasses simple")
eq(MQTTClient.DELAY, 2, "DELAY")
eq(MQTTClient.DEBUG, False, "DEBUG")
t = topic("sub")


class Resubscribing(MQTTClient):
    DELAY = 0

    def connect(self, clean_session=True, timeout=None):
        r = super().connect(clean_session, timeout)
        self.subscribe(t)  # not a persistent session: subscribe again
        return r


msgs = []
c = Resubscribing(uid("rs"), testenv.HOST, port=testenv.PORT)
c.set_callback(lambda tp, m: msgs.append(m))
c.connect()
pub = umqtt.simple.MQTTClient(uid("pub"), testenv.HOST, port=testenv.PORT)
pub.connect()
pub.publish(t, b"one", qos=1)
while b"one" not in msgs:
    c.wait_msg()

# Break the connection: the next check_msg fails, reconnects through our
# connect() (clean session, so the subscription exists only because it
# subscribed again) and returns.
c.sock.close()
c.check_msg()
pub.publish(t, b"two", qos=1)
deadline = time.ticks_add(time.ticks_ms(), 5000)
while b"two" not in msgs and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    c.check_msg()
eq(msgs, [b"one", b"two"], "messages across a reconnect through the subclass")

# robust publish after the socket broke: reconnects and publishes
c.sock.close()
c.publish(t, b"three")
deadline = time.ticks_add(time.ticks_ms(), 5000)
while b"three" not in msgs and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    c.check_msg()
eq(msgs[-1], b"three", "publish after a broken socket")
c.disconnect()
pub.disconnect()
print("OK")
