# The non-blocking entry points (mqtt_as's) queue packets in the transmit
# buffer; a blocking call made while something is queued sends the queue
# first, so the broker gets every packet once, in the order they were made
# (the blocking publish used to overwrite the queue: the broker got it
# twice and the queued one never). A callback that queues a large publish
# (the buffer grows) while the blocking receive that called it still owes
# an ack: the ack goes out, once, and the queued publish too.
# needs: nonblocking
import testenv
from mqttutil import check, eq, uid, topic, wait_until, Recorder, close_quietly
from umqtt.simple2 import MQTTClient

rec = Recorder()
sub = MQTTClient(uid("nbsub"), testenv.HOST, port=testenv.PORT)
rec.install(sub)
sub.connect()
t = topic("nb")
sub.subscribe(t, 0)
check(wait_until(sub, lambda: rec.stats), "SUBACK")

c = MQTTClient(uid("nb"), testenv.HOST, port=testenv.PORT)
c.connect()
eq(c._nb_publish(t, b"queued", False, 0, False, 0), True, "queued")
c.publish(t, b"blocking")
eq(c._nb_flush(), 0, "queue empty")
check(wait_until(sub, lambda: len(rec.msgs) >= 2), "messages: %r" % rec.msgs)
wait_until(sub, lambda: False, 0.3)  # a duplicate would arrive now
eq([m[1] for m in rec.msgs], [b"queued", b"blocking"], "each once, in order")

# A message callback that queues a PUBLISH larger than the transmit buffer.
rec.msgs.clear()
cmd = topic("nbcmd")
big = b"B" * 5000


def cb(tp, msg, *flags):
    if tp == cmd:
        c._nb_publish(t, big, False, 0, False, 0)


c.set_callback(cb)
cid = c.client_id
c.connect(clean_session=False)
c.subscribe(cmd, 1)
check(wait_until(c, lambda: not c.rcv_pids), "SUBACK")
sub.publish(cmd, b"go", qos=1)
check(wait_until([c, sub], lambda: rec.msgs), "queued big publish delivered")
eq(rec.msgs[0][1], big, "payload")
c.disconnect()
got = []
c = MQTTClient(cid, testenv.HOST, port=testenv.PORT)
c.set_callback(lambda tp, msg, *f: got.append(msg))
eq(c.connect(clean_session=False), 1, "session present")
wait_until(c, lambda: got, 1.0)
eq(got, [], "the command was acked (not redelivered)")
c.connect(clean_session=True)
close_quietly(c, sub)
print("OK")
