# MicroPython side of the umqtt-rs benchmark. Driven by bench/run.py.
#
#   micropython -X heapsize=8M bench.py CLIENT MODE PORT [ARGS...]
#
# CLIENT: native   -> from umqtt.simple2 import MQTTClient   (frozen facade over built-in _umqtt)
#         frozen   -> from umqtt.simple2 import MQTTClient   (PyPI umqtt.simple2 2.2.0 frozen in
#                     as package umqtt: the firmware of bench/build-pure.sh, without umqtt-rs)
#         pure     -> from pyumqtt.simple2 import MQTTClient (PyPI umqtt.simple2 2.2.0, renamed)
#         floor    -> no library: CONNECT by hand, then prebuilt packets via sock.write()
#         n-simple / p-simple   -> umqtt.simple: native facade / PyPI micropython-umqtt.simple
#         n-robust2 / p-robust2 -> umqtt.robust2: native facade / PyPI umqtt.robust2 2.2.0
#                                  (on the renamed pure simple2)
#         n-mqtt_as             -> the native mqtt_as facade (asyncio; no pure original runs here)
# MODE:   probe                      -> is the native client in this firmware? (CLIENT ignored)
#         heap N0 N1                 -> heap bytes: import, create+connect, per QoS0 (N0) / QoS1 (N1)
#                                       (n-mqtt_as: heap N0 N1 W N, then receives as in recvheap)
#         calls K                    -> heap bytes of single calls (mean of K after 3 warm-up calls)
#         speed N0 N1 NW             -> msg/s: N0 QoS0 16 B, N0 QoS0 1 KiB, N1 QoS1 stop-and-wait,
#                                       NW QoS1 with a window of 32 publishes in flight
#         cg N                       -> connect, N QoS0 16 B publishes, sync (run under callgrind)
#         recv W N                   -> subscribe to bench/r, print READY, then receive W + N
#         recvheap W N                  messages of 16 B that run.py floods: msg/s over the last N
#         cgrecv W N                    (recv), heap per message over the last N (recvheap), or
#                                       just receive them (cgrecv, under callgrind)
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
# API family: "s2" simple2/robust2 (status callback, publish(qos=1) returns a pid), "mplib"
# micropython-lib umqtt.simple (publish(qos=1) blocks until its PUBACK), "as" mqtt_as, "floor".
KIND = ("floor" if FLOOR else "mplib" if CLIENT.endswith("simple")
        else "as" if CLIENT.endswith("mqtt_as") else "s2")
RTOPIC = b"bench/r"  # the topic run.py floods for the receive figures
WINDOW = 32  # QoS1 publishes in flight in the windowed figure


def result(name, value):
    print("RESULT", name, value)


# The native type every client derives from when the firmware has _umqtt
# (main() looks, before counting): Client, or Simple2 in a firmware without
# the micropython-lib facades (it has no Client).
NATIVE_BASE = [None]


def load():
    if CLIENT in ("native", "n-simple", "n-robust2"):
        if CLIENT == "native":
            from umqtt.simple2 import MQTTClient
        elif CLIENT == "n-simple":
            from umqtt.simple import MQTTClient
        else:
            from umqtt.robust2 import MQTTClient
        import _umqtt
        # never measure a pure copy as "native"
        if not issubclass(MQTTClient, getattr(_umqtt, "Client", _umqtt.Simple2)):
            raise RuntimeError("%s: MQTTClient is not built on the native client" % CLIENT)
    elif CLIENT == "frozen":
        from umqtt.simple2 import MQTTClient
        if NATIVE_BASE[0] and issubclass(MQTTClient, NATIVE_BASE[0]):  # never measure ours as "frozen"
            raise RuntimeError("frozen: umqtt.simple2 is the native client, not pure simple2")
    elif CLIENT == "pure":
        from pyumqtt.simple2 import MQTTClient
    elif CLIENT == "p-simple":
        from pyumqtt.simple import MQTTClient
    elif CLIENT == "p-robust2":
        from pyumqtt.robust2 import MQTTClient
    elif CLIENT == "n-mqtt_as":
        from mqtt_as import MQTTClient
        import _umqtt  # noqa: F401  (the native engine must be there)
    elif FLOOR:
        MQTTClient = Floor
    else:
        raise ValueError(CLIENT)
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
        self.rbuf = bytearray(len(packet(RTOPIC, MSG16, 0, 0)))  # one flooded PUBLISH

    def subscribe(self, topic):
        """SUBSCRIBE (pid 1, QoS 0), then wait for its 5-byte SUBACK."""
        body = b"\x00\x01" + len(topic).to_bytes(2, "big") + topic + b"\x00"
        self.sock.write(bytes([0x82, len(body)]) + body)
        ack = bytearray(5)
        read_exact(self.sock, ack)
        if ack[0] != 0x90 or ack[4] != 0:
            raise OSError("SUBACK %r" % bytes(ack))

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

ST = [0, 0, 0]  # last (pid, status) reported by the status callback, number of reports
CNT = [0]  # messages received by on_msg


def on_status(pid, status):
    ST[0] = pid
    ST[1] = status
    ST[2] += 1


def on_msg(topic, msg, retained=False, dup=False):  # simple2: 4 arguments, simple: 2
    CNT[0] += 1


def connect(MQTTClient):
    cid = ("bench-%s-%07d" % (CLIENT, time.ticks_us() & 0xFFFFF)).encode()  # fixed length
    c = MQTTClient(cid, HOST, PORT)
    if KIND == "s2":
        c.set_callback_status(on_status)
    if not FLOOR:
        c.set_callback(on_msg)
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
    elif KIND == "mplib":  # publish(qos=1) returns once its PUBACK is in
        if flush:
            push(c.sock)
        c.publish(TOPIC, b"sync", qos=1)
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


def qos1w_rate(MQTTClient, n, w=WINDOW):
    """QoS1 with a window: up to w publishes await their PUBACK; each PUBACK that comes in
    lets one more publish go. Sustained msg/s over n, untimed warm-up of w."""
    c = connect(MQTTClient)
    t, msg = TOPIC, MSG16
    pkt = packet(t, msg, 1, 1)

    def loop(n):
        if FLOOR:
            s = c.sock
            for i in range(n):
                if i >= w:
                    c.puback()
                s.write(pkt)
            for _ in range(min(n, w)):
                c.puback()
        else:
            pub, chk = c.publish, c.check_msg
            acked, sent = ST[2], 0
            while sent < n:
                if sent - (ST[2] - acked) < w:
                    pub(t, msg, qos=1)
                    sent += 1
                else:
                    chk()
            while ST[2] - acked < n:
                chk()
            if ST[1] != 1:
                raise RuntimeError("pid %d status %d" % (ST[0], ST[1]))

    loop(w)
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
        elif KIND == "mplib":  # the PUBACK is read inside publish(): all counted here
            c.publish(t, msg, qos=1)
            total += alloc() - a
            continue
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


# ---- receive: run.py floods RTOPIC once the client has printed READY ----------------------

def recv_setup(MQTTClient):
    """Connect, subscribe to RTOPIC at QoS 0 and wait for the SUBACK, then tell run.py."""
    c = connect(MQTTClient)
    if KIND == "s2":
        wait_delivered(c, c.subscribe(RTOPIC))
    else:  # the floor and umqtt.simple return once the SUBACK is in
        c.subscribe(RTOPIC)
    print("READY")
    return c


def recv_n(c, n, w=None):
    """Receive n flooded messages: the library's wait_msg(), or for the floor readinto() of
    each whole PUBLISH (they all have the same length) into one preallocated buffer."""
    if FLOOR:
        s, buf = c.sock, c.rbuf
        for _ in range(n):
            read_exact(s, buf)
            if buf[0] != 0x30:
                raise OSError("expected PUBLISH, got %r" % bytes(buf))
    else:
        end = CNT[0] + n
        w = w or c.wait_msg  # a bound method: 32 B, so recvheap passes it in
        while CNT[0] < end:
            w()


def objects_cost():
    """Heap bytes of the objects a receive callback is handed: bytes(topic) + bytes(payload)."""
    tb, mb, alloc = bytearray(len(RTOPIC)), bytearray(len(MSG16)), gc.mem_alloc
    gc.collect()
    gc.disable()
    a = alloc()
    x = bytes(tb)
    y = bytes(mb)
    a = alloc() - a
    gc.enable()
    return a if x is not y else -1


def recv(mode, w, n):
    c = recv_setup(load())
    recv_n(c, w)  # warm-up; run.py flooded w + n before letting us run
    if mode == "cgrecv":
        recv_n(c, n)
        result("cg_n", n)
    elif mode == "recv":
        gc.collect()
        t0 = time.ticks_us()
        recv_n(c, n)
        result("recv_msgps", n * 1_000_000 / time.ticks_diff(time.ticks_us(), t0))
    else:
        result("heap_recv_objects", objects_cost())
        w = None if FLOOR else c.wait_msg
        gc.collect()
        gc.disable()
        a = gc.mem_alloc()
        recv_n(c, n, w)
        b = gc.mem_alloc()
        gc.enable()
        result("heap_recv_per_msg", (b - a) / n)
    c.disconnect()


# ---- mqtt_as (asyncio): heap only ------------------------------------------------------------

def as_heap(n0, n1, w, n):
    """mqtt_as: import, create + connect, per QoS0 publish, then (after READY) per received
    message. Counted the same way as the others, with asyncio's own work included."""
    import asyncio
    alloc = gc.mem_alloc
    gc.collect()
    gc.disable()
    a = alloc()
    from mqtt_as import MQTTClient, config
    import _umqtt  # noqa: F401
    b = alloc()
    gc.collect()
    result("heap_import_alloc", b - a)
    result("heap_import_retained", alloc() - a)

    def subs_cb(topic, msg, retained, *props):
        CNT[0] += 1

    config["server"], config["port"] = HOST, PORT
    config["client_id"] = ("bench-%s-%07d" % (CLIENT, time.ticks_us() & 0xFFFFF)).encode()
    config["subs_cb"] = subs_cb
    config["keepalive"] = 0

    async def run():
        gc.collect()
        gc.disable()
        a = alloc()
        c = MQTTClient(config)
        await c.connect()
        b = alloc()
        gc.collect()
        result("heap_connect_alloc", b - a)
        result("heap_connect_retained", alloc() - a)
        t, msg = TOPIC, MSG16
        for _ in range(100):
            await c.publish(t, msg)
        await c.publish(t, b"sync", qos=1)
        gc.collect()
        gc.disable()
        a = alloc()
        for _ in range(n0):
            await c.publish(t, msg)
        b = alloc()
        gc.enable()
        result("heap_qos0_per_msg", (b - a) / n0)
        await c.publish(t, b"sync", qos=1)
        gc.collect()
        gc.disable()
        a = alloc()
        for _ in range(n1):
            await c.publish(t, msg, qos=1)
        b = alloc()
        gc.enable()
        result("heap_qos1_per_msg", (b - a) / n1)
        await c.subscribe(RTOPIC, 0)
        result("heap_recv_objects", objects_cost())
        # The reader task drains all that is readable in one go, so no warm-up split here:
        # counted over all w + n messages, from before they arrive.
        gc.collect()
        gc.disable()
        a = alloc()
        print("READY")
        end = w + n
        while CNT[0] < end:
            await asyncio.sleep_ms(0)
        b = alloc()
        gc.enable()
        result("heap_recv_per_msg", (b - a) / CNT[0])
        await c.disconnect()

    asyncio.run(run())


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
    if CLIENT == "frozen":  # here, not in load(): a failed import allocates its exception
        try:
            import _umqtt
            NATIVE_BASE[0] = getattr(_umqtt, "Client", _umqtt.Simple2)
        except ImportError:
            pass
    if MODE == "probe":
        # The native client: _umqtt is built in, and umqtt.simple2 is the facade over it.
        try:
            import _umqtt
        except ImportError as e:
            print("PROBE absent", repr(e))
            return
        try:
            from umqtt.simple2 import MQTTClient
            ok = issubclass(MQTTClient, getattr(_umqtt, "Client", _umqtt.Simple2))
        except Exception as e:
            print("PROBE broken", repr(e))
            return
        print("PROBE native" if ok else "PROBE broken: umqtt.simple2.MQTTClient is not built on _umqtt")
        return
    if MODE == "heap" and KIND == "as":
        as_heap(*ARGS)
        return
    if MODE == "heap":
        heap(*ARGS)
        return
    if MODE in ("recv", "recvheap", "cgrecv"):
        recv(MODE, *ARGS)
        return
    if MODE == "calls":
        calls(*ARGS)
        return
    MQTTClient = load()
    if MODE == "speed":
        n0, n1, nw = ARGS
        result("qos0_16_msgps", qos0_rate(MQTTClient, MSG16, n0))
        result("qos0_1k_msgps", qos0_rate(MQTTClient, MSG1K, n0))
        result("qos1_msgps", qos1_rate(MQTTClient, n1))
        result("qos1w_msgps", qos1w_rate(MQTTClient, nw))
    elif MODE == "cg":
        c = connect(MQTTClient)
        qos0_loop(c, MSG16, packet(TOPIC, MSG16, 0, 0), ARGS[0])
        sync(c, True)
        result("cg_n", ARGS[0])
        c.disconnect()
    else:
        raise ValueError(MODE)


main()
