# Sent as source to a firmware under QEMU with -icount shift=0 (bench/rv32_icount.py), where the
# virtual clock advances 1 ns per instruction: time.ticks_us() then counts instructions in
# thousands. The native umqtt.simple2 over an io.BytesIO (a native stream: no Python I/O code in
# the loop): N QoS 0 publishes, then N QoS 0 messages received with check_msg(). Prints
# "ICOUNT <instructions per publish> <instructions per received message> <messages delivered>".
import io
import time

from umqtt.simple2 import MQTTClient

N = 2000
TOPIC = b"bench/t"
c = MQTTClient("c", "qemu.invalid")
# _connect() writes its CONNECT (15 bytes for client id "c") over the zeros, then reads the CONNACK.
c._attach(io.BytesIO(bytes(15) + b"\x20\x02\x00\x00"))
c._connect(True)
t0 = time.ticks_us()
for _ in range(N):
    c.publish(TOPIC, b"0123456789")
publish = time.ticks_diff(time.ticks_us(), t0)

got = [0]


def cb(topic, msg, retained, dup):
    got[0] += 1


c.set_callback(cb)
c._attach(io.BytesIO((b"\x30\x15\x00\x07" + TOPIC + b"0123456789ab") * N))
t0 = time.ticks_us()
for _ in range(N):
    c.check_msg()
receive = time.ticks_diff(time.ticks_us(), t0)
print("ICOUNT", publish * 1000 // N, receive * 1000 // N, got[0])
