# MicroPython side of tests/leak/run.py: N connect/publish/disconnect cycles
# against mosquitto; prints "S <cycle> <gc.mem_free() after gc.collect()>"
# every EVERY cycles and waits for a line on stdin (the runner samples
# /proc/<pid>/ meanwhile), then "DONE".
import gc
import sys
import time

facade, host, port, n, every = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
if facade == "simple2":
    from umqtt.simple2 import MQTTClient
elif facade == "simple":
    from umqtt.simple import MQTTClient
elif facade == "robust2":
    from umqtt.robust2 import MQTTClient
else:
    from umqtt.robust import MQTTClient

payload = b"x" * 100
t0 = time.ticks_ms()
for i in range(1, n + 1):
    c = MQTTClient("leak-%d" % port, host, port, keepalive=30)
    c.connect()
    c.publish(b"leak/t", payload)
    c.publish(b"leak/t", payload, qos=1)
    c.disconnect()
    if i % every == 0:
        c = None
        gc.collect()
        print("S %d %d %d" % (i, gc.mem_free(), time.ticks_diff(time.ticks_ms(), t0)))
        sys.stdin.readline()  # paused while the runner reads /proc/<pid>/
print("DONE")
