# MicroPython side of the umqtt-rs benchmark. Driven by bench/run.py.
#
#   micropython -X heapsize=8M bench.py CLIENT MODE PORT [ARGS...]
#
# CLIENT: native  -> from umqtt.simple2 import MQTTClient   (frozen facade over built-in _umqtt)
#         pure    -> from pyumqtt.simple2 import MQTTClient (PyPI umqtt.simple2 2.2.0, renamed)
#         floor   -> no library: CONNECT by hand, then prebuilt packets via sock.write()
# MODE:   probe                      -> is the native client in this firmware? (CLIENT ignored)
#         heap N0 N1                 -> heap bytes: import, create+connect, per QoS0 (N0) / QoS1 (N1)
#         calls K                    -> heap bytes of single calls (mean of K after 3 warm-up calls)
#         speed N0 N1                -> msg/s: N0 QoS0 16 B, N0 QoS0 1 KiB, N1 QoS1 stop-and-wait
#         cg N                       -> connect, N QoS0 16 B publishes, sync (run under callgrind)
# Output: one "RESULT name value" line per figure.
import sys
import gc
import socket
import select
import time

# Imported above, before anything is measured, so that "import" heap counts the library only.
CLIENT, MODE, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
ARGS = [int(a) for a in sys.argv[4:]]
HOST = "127.0.0.1"
TOPIC = b"bench/t"
MSG16 = b"0123456789abcdef"
MSG1K = bytes(range(256)) * 4
FLOOR = CLIENT == "floor"


def result(name, value):
    print("RESULT", name, value)


def load():
    if CLIENT == "native":
        from umqtt.simple2 import MQTTClient
        import _umqtt
        if not issubclass(MQTTClient, _umqtt.Client):  # never measure a pure copy as "native"
            raise RuntimeError("umqtt.simple2.MQTTClient is not built on _umqtt.Client")
    elif CLIENT == "pure":
        from pyumqtt.simple2 import MQTTClient
    else:
        MQTTClient = Floor
    return MQTTClient


# ---- floor: the least work any client can do --------------------------------------------

def packet(topic, msg, qos, pid):
    """A complete PUBLISH packet (built once, outside the timed loops)."""
    body = len(topic).to_bytes(2, "big") + topic
    if qos:
        body += pid.to_bytes(2, "big")
    body += msg
    n, hdr = len(body), bytearray([0x30 | (qos << 1)])
    while True:
        hdr.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(hdr) + body


def read_exact(s, buf):
    n = s.readinto(buf)  # no allocation unless the packet arrives in pieces
    while n < len(buf):
        r = s.readinto(memoryview(buf)[n:])
        if not r:
            raise OSError("EOF")
        n += r


class Floor:
    def __init__(self, client_id, server, port):
        self.client_id, self.server, self.port = client_id, server, port
        self.sock = None
        self.buf = bytearray(4)

    def connect(self):
        s = socket.socket()
        s.connect(socket.getaddrinfo(self.server, self.port)[0][-1])
        cid = self.client_id
        body = b"\x00\x04MQTT\x04\x02\x00\x00" + len(cid).to_bytes(2, "big") + cid
        s.write(bytes([0x10, len(body)]) + body)
        read_exact(s, self.buf)
        if self.buf[0] != 0x20 or self.buf[3] != 0:
            raise OSError("CONNACK %r" % bytes(self.buf))
        self.sock = s

    def puback(self):
        read_exact(self.sock, self.buf)
        if self.buf[0] != 0x40:
            raise OSError("expected PUBACK, got %r" % bytes(self.buf))

    def disconnect(self):
        self.sock.write(b"\xe0\x00")
        self.sock.close()


# ---- library clients ----------------------------------------------------------------------

ST = [0, 0]  # last (pid, status) reported by the status callback


def on_status(pid, status):
    ST[0] = pid
    ST[1] = status


def connect(MQTTClient):
    cid = ("bench-%s-%07d" % (CLIENT, time.ticks_us() & 0xFFFFF)).encode()  # fixed length
    c = MQTTClient(cid, HOST, PORT)
    if not FLOOR:
        c.set_callback_status(on_status)
    c.connect()
    return c


def wait_delivered(c, pid):
    """The library's own loop: check_msg() until the status callback says pid was delivered."""
    while ST[0] != pid:
        c.check_msg()
    if ST[1] != 1:
        raise RuntimeError("pid %d status %d" % (pid, ST[1]))


SYNC_PKT = packet(TOPIC, b"sync", 1, 1)


def push(sock):
    """Send at once what Nagle's algorithm holds back: setting TCP_NODELAY pushes pending data
    (Linux: IPPROTO_TCP=6, TCP_NODELAY=1). Without this, the last few small segments of a
    QoS0 burst wait for the broker's delayed ACK (~40 ms), which would swamp short runs.
    TCP_NODELAY stays on afterwards (MicroPython has no getsockopt to restore the client's own
    setting: the native client turns it on, pure simple2 does not), so only the clock-stopping
    sync of a timed loop pushes, and the connection is not used for anything else afterwards."""
    sock.setsockopt(6, 1, 1)


def sync(c, flush=False):
    """One QoS1 round trip: once PUBACK is back, the broker has read everything sent before.
    flush=True pushes the packets out at once (see push); the connection must then be dropped."""
    if FLOOR:
        c.sock.write(SYNC_PKT)
        if flush:
            push(c.sock)
        c.puback()
    else:
        pid = c.publish(TOPIC, b"sync", qos=1)
        if flush:
            push(c.sock)
        wait_delivered(c, pid)


def qos0_loop(c, msg, pkt, n):
    """n QoS0 publishes of msg; the floor writes pkt, the same PUBLISH prebuilt."""
    if FLOOR:
        s = c.sock
        for _ in range(n):
            s.write(pkt)
    else:
        t = TOPIC
        for _ in range(n):
            c.publish(t, msg)


def qos0_rate(MQTTClient, msg, n):
    """Its own connection: the clock-stopping sync leaves TCP_NODELAY on (see push)."""
    c = connect(MQTTClient)
    pkt = packet(TOPIC, msg, 0, 0)
    qos0_loop(c, msg, pkt, 100)  # warm-up
    sync(c)  # untimed: may wait ~40 ms for Nagle, on the client's own socket settings
    gc.collect()
    t0 = time.ticks_us()
    qos0_loop(c, msg, pkt, n)
    sync(c, True)
    r = n * 1_000_000 / time.ticks_diff(time.ticks_us(), t0)
    c.disconnect()
    return r


def qos1_rate(MQTTClient, n):
    """Its own connection, on the client's own socket settings; untimed warm-up of 3."""
    c = connect(MQTTClient)
    t, msg = TOPIC, MSG16
    pkt = packet(t, msg, 1, 1)

    def loop(n):
        if FLOOR:
            s = c.sock
            for _ in range(n):
                s.write(pkt)
                c.puback()
        else:
            for _ in range(n):
                wait_delivered(c, c.publish(t, msg, qos=1))

    loop(3)
    gc.collect()
    t0 = time.ticks_us()
    loop(n)
    r = n * 1_000_000 / time.ticks_diff(time.ticks_us(), t0)
    c.disconnect()
    return r


def heap_qos1(c, n):
    """Heap allocated per QoS1 publish: the publish() call plus the check_msg() call that
    handles its PUBACK. Waiting for the PUBACK (poll) is outside the count, so the figure
    does not depend on how many idle check_msg() calls the timing happened to need."""
    poller = select.poll()
    poller.register(c.sock, select.POLLIN)
    pkt = packet(TOPIC, MSG16, 1, 1)
    t, msg, alloc = TOPIC, MSG16, gc.mem_alloc
    gc.collect()
    gc.disable()
    total = 0
    for _ in range(n):
        a = alloc()
        if FLOOR:
            c.sock.write(pkt)
        else:
            pid = c.publish(t, msg, qos=1)
        total += alloc() - a
        poller.poll(5000)
        a = alloc()
        if FLOOR:
            c.puback()
        else:
            c.check_msg()
            if ST[0] != pid:  # PUBACK arrived in pieces: the rest of the loop still counts
                wait_delivered(c, pid)
        total += alloc() - a
    gc.enable()
    poller.unregister(c.sock)
    return total / n


def heap(n0, n1):
    alloc = gc.mem_alloc
    gc.collect()
    gc.disable()
    a = alloc()
    MQTTClient = load()
    b = alloc()
    gc.collect()
    result("heap_import_alloc", b - a)
    result("heap_import_retained", alloc() - a)
    gc.disable()
    a = alloc()
    c = connect(MQTTClient)
    b = alloc()
    gc.collect()
    result("heap_connect_alloc", b - a)
    result("heap_connect_retained", alloc() - a)
    sync(c)
    pkt = packet(TOPIC, MSG16, 0, 0)
    gc.collect()
    gc.disable()
    a = alloc()
    qos0_loop(c, MSG16, pkt, n0)
    b = alloc()
    gc.enable()
    result("heap_qos0_per_msg", (b - a) / n0)
    sync(c)
    result("heap_qos1_per_msg", heap_qos1(c, n1))
    c.disconnect()


def calls(k):
    """Heap bytes of single library calls, gc disabled around each: the constructor and
    connect() once, the others as the mean of k calls after 3 warm-up calls."""
    alloc, t, msg = gc.mem_alloc, TOPIC, MSG16

    def count(f, *a, **kw):
        gc.collect()
        gc.disable()
        x = alloc()
        r = f(*a, **kw)
        x = alloc() - x
        gc.enable()
        return x, r

    MQTTClient = load()
    b, c = count(MQTTClient, b"bench-calls-" + CLIENT.encode(), HOST, PORT)
    result("call_create", b)
    c.set_callback_status(on_status)
    result("call_connect", count(c.connect)[0])
    poller = select.poll()
    poller.register(c.sock, select.POLLIN)

    def mean(f, *a, **kw):
        for _ in range(3):
            f(*a, **kw)
        return sum(count(f, *a, **kw)[0] for _ in range(k)) / k

    def qos1():
        return c.publish(t, msg, qos=1)

    def puback():  # one publish(qos=1) untimed, wait for its PUBACK, count check_msg()
        pid = c.publish(t, msg, qos=1)
        poller.poll(5000)
        b = count(c.check_msg)[0]
        wait_delivered(c, pid)  # no-op unless the PUBACK came in pieces
        return b

    result("call_publish0_16", mean(c.publish, t, msg))
    result("call_publish0_1k", mean(c.publish, t, MSG1K))
    sync(c)
    result("call_check_idle", mean(c.check_msg))
    res = []
    for _ in range(k + 3):
        b, pid = count(qos1)
        res.append(b)
        poller.poll(5000)
        wait_delivered(c, pid)
    result("call_publish1", sum(res[3:]) / k)
    for _ in range(3):
        puback()
    result("call_check_puback", sum(puback() for _ in range(k)) / k)
    poller.unregister(c.sock)
    c.disconnect()


def main():
    if MODE == "probe":
        # The native client: _umqtt is built in, and umqtt.simple2 is the facade over it.
        try:
            import _umqtt
        except ImportError as e:
            print("PROBE absent", repr(e))
            return
        try:
            from umqtt.simple2 import MQTTClient
            ok = issubclass(MQTTClient, _umqtt.Client)
        except Exception as e:
            print("PROBE broken", repr(e))
            return
        print("PROBE native" if ok else "PROBE broken: umqtt.simple2.MQTTClient is not an _umqtt.Client")
        return
    if MODE == "heap":
        heap(*ARGS)
        return
    if MODE == "calls":
        calls(*ARGS)
        return
    MQTTClient = load()
    if MODE == "speed":
        n0, n1 = ARGS
        result("qos0_16_msgps", qos0_rate(MQTTClient, MSG16, n0))
        result("qos0_1k_msgps", qos0_rate(MQTTClient, MSG1K, n0))
        result("qos1_msgps", qos1_rate(MQTTClient, n1))
    elif MODE == "cg":
        c = connect(MQTTClient)
        qos0_loop(c, MSG16, packet(TOPIC, MSG16, 0, 0), ARGS[0])
        sync(c, True)
        result("cg_n", ARGS[0])
        c.disconnect()
    else:
        raise ValueError(MODE)


main()
