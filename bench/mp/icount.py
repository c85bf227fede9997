# Sent as source to a firmware under QEMU with -icount shift=0 (bench/rv32_icount.py), where the
# virtual clock advances 1 ns per instruction: time.ticks_us() then counts instructions in
# thousands. The native umqtt.simple2 over an io.BytesIO (a native stream: no Python I/O code in
# the loop): N QoS 0 publishes, then N QoS 0 messages received with check_msg(). Prints
# "ICOUNT <instructions per publish> <instructions per received message> <messages delivered>".
import io
import sys
import time

from umqtt.simple2 import MQTTClient

N = 2000
TOPIC = b"bench/t"


class _Conn:
    # The connection connect() opens (the boards have no network): CONNECT goes nowhere, a
    # CONNACK comes back.
    rx = b"\x20\x02\x00\x00"

    def settimeout(self, t):
        pass

    def connect(self, addr):
        pass

    def setblocking(self, flag):
        pass

    def close(self):
        pass

    def write(self, buf):
        return len(buf)

    def read(self, n):
        data, self.rx = self.rx[:n], self.rx[n:]
        return data


class _Socket:
    # The module `socket` _umqtt.open_conn imports, for connect() only.
    def getaddrinfo(host, port):
        return [(2, 1, 0, "", (host, port))]

    def socket(*args):
        return _Conn()


c = MQTTClient("c", "qemu.invalid")
sys.modules["socket"] = _Socket
c.connect()
del sys.modules["socket"]
c._attach(io.BytesIO())
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
