# Outage soak publisher for umqtt.robust2 (run by tests/soak.py, not by CI).
#
#   micropython robust2_pub.py HOST PORT TOPIC COUNT CLIENT_ID RATE
#
# Publishes COUNT QoS 1 messages (payload: the sequence number in decimal)
# through the robust2 façade with robust2's own application-driven recovery
# loop: is_conn_issue() -> reconnect() (connect(clean_session=False)) ->
# resubscribe(), then check_msg() / send_queue(). At most WINDOW messages are
# unconfirmed or queued at a time (the engine holds 32 in flight), and new
# ones start at most RATE per second (0: as fast as acks allow).
#
# A message counts as acknowledged when the status callback reports
# (pid, 1) for it: the pid is looked up in msg_to_confirm, which still holds
# it when the user callback runs (robust2 settles its queues afterwards).
# Output, one record per line, for the runner:
#   A seq seq ...   acknowledged sequence numbers
#   R n             reconnected (n-th time)
#   I text          a connection issue (place, exception)
#   W text          an anomaly (ack for an unknown pid, queue eviction...)
#   DONE key=value ...
import sys
import time

from umqtt.robust2 import MQTTClient

HOST, PORT, TOPIC, COUNT, CID = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), int(sys.argv[4]), sys.argv[5]
RATE = int(sys.argv[6]) if len(sys.argv) > 6 else 0
WINDOW = 16
KEEPALIVE = 4
PING_MS = 1000

acked = bytearray(COUNT)  # 1 once acknowledged
n_acked = 0
pending_out = []
stats = {"reconnects": 0, "issues": 0, "timeouts": 0, "unknown_acks": 0, "dup_acks": 0,
         "republished": 0, "failed_reconnects": 0}


def flush_acks():
    if pending_out:
        print("A " + " ".join(pending_out))
        pending_out.clear()


class Client(MQTTClient):
    MSG_QUEUE_MAX = 4 * WINDOW  # never evict: the window stays below it
    CONFIRM_QUEUE_MAX = 10

    def add_msg_to_send(self, data):
        n = len(self.msg_to_send) + sum(len(p) for p in self.msg_to_confirm.values())
        if n >= self.MSG_QUEUE_MAX:
            print("W queue full: robust2 evicts (queued %d)" % n)
        super().add_msg_to_send(data)


c = Client(CID, HOST, port=PORT, keepalive=KEEPALIVE, socket_timeout=2, message_timeout=3)


def on_status(pid, stat):
    global n_acked
    key = None
    for k, pids in c.msg_to_confirm.items():
        if pid in pids:
            key = k
            break
    if stat == 1:
        if key is None:
            stats["unknown_acks"] += 1
            print("W PUBACK for pid %d not in msg_to_confirm" % pid)
            return
        seq = int(key[1])
        if acked[seq]:
            stats["dup_acks"] += 1
            return
        acked[seq] = 1
        n_acked += 1
        pending_out.append(str(seq))
    elif stat == 0:
        stats["timeouts"] += 1
    elif key is not None:
        print("W status %d for pid %d of an unconfirmed message %r" % (stat, pid, key[1]))


c.set_callback(lambda *a: None)
c.set_callback_status(on_status)

while True:
    c.connect(clean_session=True)
    if not c.conn_issue:
        break
    time.sleep_ms(200)

seq = 0
last_ping = time.ticks_ms()
last_flush = time.ticks_ms()
t0 = time.ticks_ms()
while n_acked < COUNT:
    if c.is_conn_issue():
        stats["issues"] += 1
        e, place = c.conn_issue
        print("I place=%d %r" % (place, e))
        while True:
            c.reconnect()
            if not c.is_conn_issue():
                break
            stats["failed_reconnects"] += 1
            time.sleep_ms(200)
        stats["reconnects"] += 1
        print("R %d" % stats["reconnects"])
        c.resubscribe()
        last_ping = time.ticks_ms()
    # Handle what arrived (acks), at most a burst per round.
    for _ in range(64):
        if c.check_msg() is None or c.conn_issue:
            break
    if c.conn_issue:
        continue
    if c.msg_to_send:
        stats["republished"] += len(c.msg_to_send)
        c.send_queue()
        if c.conn_issue:
            continue
    allowed = COUNT
    if RATE:
        allowed = min(COUNT, time.ticks_diff(time.ticks_ms(), t0) * RATE // 1000 + 1)
    while seq < allowed and c.things_to_do() < WINDOW and not c.conn_issue:
        c.publish(TOPIC, b"%d" % seq, qos=1)
        seq += 1
    now = time.ticks_ms()
    if time.ticks_diff(now, last_ping) >= PING_MS:
        c.ping()
        last_ping = now
    if time.ticks_diff(now, last_flush) >= 100 or len(pending_out) >= 200:
        flush_acks()
        last_flush = now

flush_acks()
c.disconnect()
print("DONE sent=%d acked=%d ms=%d %s" % (seq, n_acked, time.ticks_diff(time.ticks_ms(), t0),
                                         " ".join("%s=%d" % kv for kv in stats.items())))
