# Last will: delivered (with its retain flag) when the client's socket is
# closed abruptly (client.sock.close()), and not delivered after a clean
# disconnect().
from mqttutil import (check, eq, client, connected, topic, Recorder,
                      wait_until, subscribe_sync, drain, close_quietly)

rec = Recorder()
watcher = connected("watch", rec)
t = topic("will")
subscribe_sync(watcher, rec, t + b"/#")

a = client("dies")
a.set_last_will(t + b"/a", b"gone", qos=1)
a.connect()
drain([watcher], 0.2)
a.sock.close()  # abrupt: no DISCONNECT packet
check(wait_until(watcher, lambda: rec.msgs, 5), "last will not delivered")
eq(rec.msgs[0], (t + b"/a", b"gone", False, False), "last will message")

# retained will
b = client("dies2")
b.set_last_will(t + b"/b", b"gone-r", retain=True, qos=0)
b.connect()
b.sock.close()
check(wait_until(watcher, lambda: len(rec.msgs) >= 2, 5), "second last will not delivered")
eq(rec.msgs[1][:2], (t + b"/b", b"gone-r"), "second will")
rec3 = Recorder()
late = connected("late", rec3)
subscribe_sync(late, rec3, t + b"/b")
check(wait_until(late, lambda: rec3.msgs, 3), "retained will not kept")
eq(rec3.msgs[0], (t + b"/b", b"gone-r", True, False), "retained will")
late.publish(t + b"/b", b"", retain=True)

# clean disconnect: no will
n = len(rec.msgs)
d = client("clean")
d.set_last_will(t + b"/c", b"should-not-arrive")
d.connect()
d.disconnect()
drain([watcher], 1.0)
eq([m for m in rec.msgs[n:] if m[0] == t + b"/c"], [], "will sent after clean disconnect")
close_quietly(watcher, late)
print("OK")
