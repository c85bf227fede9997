# A message larger than the free heap but within max_packet_size: the client
# reads it off the socket without holding it, raises MQTTException(54,
# EMSGSKIPPED), and stays in step: the next message is delivered. A skipped
# QoS 1 message is not acknowledged, so the broker sends it again on the next
# connection of the persistent session, where (with memory back) it arrives.
import gc
from umqtt.simple2 import MQTTException
from umqtt import errno
from mqttutil import (check, eq, client, connected, topic, Recorder, wait_until,
                      subscribe_sync, close_quietly)

t = topic("heap")
rec = Recorder()
sub = client("sub", max_packet_size=4 * 1024 * 1024)
rec.install(sub)
sub.connect(clean_session=False)
subscribe_sync(sub, rec, t, qos=1)
pub = connected("pub")

gc.collect()
size = gc.mem_free() // 3
big = bytes(size)
pub.publish(t, big, qos=1)
gc.collect()
# Leave less free heap than the message needs (in one block or in total).
ballast = bytearray(gc.mem_free() - size // 2)
errors = []


def poll():
    try:
        sub.check_msg()
    except MQTTException as e:
        errors.append(e.args[0])
    return errors


check(wait_until((), poll, 10), "the oversized message raised nothing")  # poll() reads
eq(errors, [errno.EMSGSKIPPED], "MQTTException(EMSGSKIPPED)")
eq(rec.msgs, [], "nothing delivered for the skipped message")
pub.publish(t, b"next", qos=1)
check(wait_until(sub, lambda: rec.msgs), "the next message was not delivered")
eq(rec.msgs[0][:2], (t, b"next"), "next message after the skipped one")

# Memory back: the persistent session redelivers the unacknowledged message.
del ballast
gc.collect()
rec.msgs.clear()
sub.sock.close()
eq(sub.connect(clean_session=False), 1, "session present")
check(wait_until(sub, lambda: rec.msgs, 10), "the skipped QoS 1 message was not sent again")
eq((rec.msgs[0][0], len(rec.msgs[0][1])), (t, size), "redelivered message")
check(rec.msgs[0][1] == big, "redelivered payload")
check(rec.msgs[0][3], "redelivered with DUP")
sub.disconnect()
close_quietly(pub)
print("OK")
