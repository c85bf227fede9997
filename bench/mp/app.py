# The "smallest heap" app of the umqtt-rs benchmark, the same for every client and firmware:
# bench/run.py runs it with `micropython -X heapsize=N app.py PORT FRAG` and bisects N;
# bench/qemu_bench.py runs it on QEMU over the in-memory broker (memsock.py) and bisects a
# ballast instead.
#
# It imports umqtt.simple2 (native façade or frozen pure simple2: whichever the firmware has),
# connects, subscribes to bench/app at QoS 1, publishes a 2 KiB message there at QoS 1, waits
# until the message is back and its PUBACK is in, disconnects, and prints APPOK.
# FRAG=1: before the import the app's own objects fragment the heap: 128 bytearray(64)
# allocated in a row and every other one kept (64 kept, 64 holes between them).
# A third argument `bare`: no client at all (APPOK before the import), the baseline: what the
# interpreter, the app's own objects and, on QEMU, the in-memory broker need.
import sys
import gc

PORT, FRAG = int(sys.argv[1]), int(sys.argv[2])
TOPIC = b"bench/app"
MSG = bytes(range(256)) * 8  # 2 KiB
GOT = [0, 0, 0]  # message back intact, PUBACK of PID, PID


def on_msg(topic, msg, retained=False, dup=False):
    if topic == TOPIC and msg == MSG:
        GOT[0] += 1


def on_status(pid, status):
    if pid == GOT[2] and status == 1:
        GOT[1] = 1




def main():
    if FRAG:
        keep = [None] * 64
        for i in range(128):
            b = bytearray(64)
            if not i & 1:
                keep[i >> 1] = b
        b = None
    gc.collect()
    if sys.argv[3:] == ["bare"]:
        return keep if FRAG else None

    from umqtt.simple2 import MQTTClient  # after the fragmentation, on purpose

    c = MQTTClient(b"bench-app", "127.0.0.1", PORT)
    c.set_callback(on_msg)
    c.set_callback_status(on_status)
    c.connect()
    c.subscribe(TOPIC, 1)
    GOT[2] = c.publish(TOPIC, MSG, qos=1)
    while not (GOT[0] and GOT[1]):
        c.wait_msg()
    c.disconnect()
    return keep if FRAG else None


main()
print("APPOK")
