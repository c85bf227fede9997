# umqtt.robust2's application-driven recovery (example_sub_robust.py) across
# a broker the harness stops and restarts: publishes and a subscribe made
# while the broker is down are queued; is_conn_issue()/reconnect() loop,
# resubscribe() and send_queue() deliver them; things_to_do() drains to 0.
# timeout: 60
# needs: robust2
import time
import testenv
from mqttutil import check, eq, topic, uid, wait_until
from umqtt.robust2 import MQTTClient
from umqtt.simple2 import MQTTClient as Simple2

port = testenv.broker_ctl("start")
msgs = []
c = MQTTClient(uid("r2"), testenv.HOST, port=port, socket_timeout=2, message_timeout=3)
c.DEBUG = True
c.set_callback(lambda t, m, r, d: msgs.append(m))
eq(c.connect(clean_session=False), 0, "connect")
t = topic("r2")
t2 = topic("r2b")
c.subscribe(t, 1)
check(wait_until(c, lambda: not c.sub_to_confirm, 5), "SUBACK")

testenv.broker_ctl("stop", port)
time.sleep_ms(200)
c.check_msg()  # sees the close
check(c.is_conn_issue(), "issue after the broker stopped")
c.publish(t, b"queued-1", qos=1)
c.publish(t, b"queued-0")
c.subscribe(t2, 0)
eq(c.msg_to_send, [(t, b"queued-1", False, 1), (t, b"queued-0", False, 0)], "queued publishes")
eq(c.sub_to_send, [(t2, 0)], "queued subscribe")
eq(c.reconnect(), None, "reconnect fails while the broker is down")
eq(c.conn_issue[1], 1, "place: connect")
eq(c.sock, None, "socket closed after a failed reconnect")

testenv.broker_ctl("start", port)
tries = 0
while c.is_conn_issue():
    tries += 1
    c.reconnect()
    if c.is_conn_issue():
        time.sleep_ms(100)
check(tries >= 1 and c.conn_issue is None, "reconnected")
c.resubscribe()
eq(c.send_queue(), True, "send_queue")
eq((c.msg_to_send, c.sub_to_send), ([], []), "queues sent")
check(wait_until(c, lambda: c.things_to_do() == 0 and len(msgs) >= 2, 10),
      "todo=%d msgs=%r" % (c.things_to_do(), msgs))
eq(sorted(msgs), [b"queued-0", b"queued-1"], "queued messages delivered once each")

# the queued subscription works
p = Simple2(uid("pub"), testenv.HOST, port=port)
p.connect()
p.publish(t2, b"on-t2")
p.disconnect()
check(wait_until(c, lambda: b"on-t2" in msgs, 5), "queued subscription active")
c.disconnect()
testenv.broker_ctl("stop", port)
print("OK")
