# In-memory broker socket for the benchmark on boards without a network (QEMU).
# Frozen into the benchmark's QEMU firmware (bench/build-fw.sh); bench/qemu_bench.py
# imports it and calls install(), then runs bench.py or app.py.
#
# MemSock is a non-blocking socket that plays a broker: each whole packet the
# client writes is answered at once (CONNECT -> CONNACK, SUBSCRIBE -> SUBACK
# granting the QoS asked, PUBLISH QoS1 -> PUBACK, PINGREQ -> PINGRESP) and a
# PUBLISH is echoed back unchanged while a subscription exists (same QoS: the
# benchmark subscribes and publishes at the same QoS). PUBACK and DISCONNECT
# from the client are consumed.
#
# It allocates as little as a real socket would: everything is preallocated,
# bytes are copied in loops (no slices), and read(n) is io.BytesIO's read(n),
# which allocates what a real stream read(n) does (the returned bytes). So
# the heap a client allocates around it is the client's own.
import io
import sys

POLL, CLOSE = 3, 4
POLLIN, POLLOUT, POLLHUP = 1, 4, 16
CAP = 2304  # a 2 KiB PUBLISH and its header (the largest packet the benchmark sends)


class MemSock(io.IOBase):
    def __init__(self):
        self.rx = io.BytesIO(bytes(CAP))  # what the broker sent: bytes rp..rn
        self.rx.write(b"\0")  # BytesIO copies its initial bytes on the first write: now
        self.tx = bytearray(CAP)  # what the client wrote, not yet a whole packet: tx[:tn]
        self.rp = self.rn = self.tn = 0
        self.sub = -1  # QoS of the subscription, -1: none
        self.closed = False
        self.idle = 0  # polls in a row with nothing to read
        self.one = bytearray(1)  # one-byte writes to rx without allocating

    def reset(self):
        self.rx.seek(0)
        self.rp = self.rn = self.tn = 0
        self.sub = -1
        self.closed = False
        self.idle = 0

    # -- the socket's methods the clients call --
    def setblocking(self, flag):
        pass

    def settimeout(self, t):
        pass

    def setsockopt(self, level, opt, val):
        pass

    def connect(self, addr):
        pass

    def close(self):
        self.closed = True

    def _avail(self, n):
        a = self.rn - self.rp
        if self.closed:
            raise OSError(9)  # EBADF
        if a == 0:
            return 0
        return a if n is None or n < 0 or n > a else n

    def read(self, n=-1):
        m = self._avail(n)
        if not m:
            return None  # EAGAIN
        self.rp += m
        return self.rx.read(m)

    def readinto(self, buf, n=-1):
        m = self._avail(len(buf) if n is None or n < 0 else n)
        if not m:
            return None
        m = min(m, len(buf))
        self.rp += m
        return self.rx.readinto(buf, m)

    def write(self, buf, length=-1):
        if self.closed:
            raise OSError(9)
        n = len(buf) if length is None or length < 0 else length
        tx, t = self.tx, self.tn
        if t + n > CAP:
            raise OSError(105)  # ENOBUFS: a packet larger than the benchmark sends
        for i in range(n):
            tx[t + i] = buf[i]
        self.tn = t + n
        while self._packet():
            pass
        return n

    def ioctl(self, req, arg):
        if req == POLL:
            r = arg & POLLOUT
            if self.rn > self.rp:
                r |= arg & POLLIN
                self.idle = 0
            elif arg & POLLIN:
                self.idle += 1
                if self.idle > 1000:  # a client waiting for an answer that never comes
                    raise OSError(110)  # ETIMEDOUT
            if self.closed:
                r |= POLLHUP
            return r
        if req == CLOSE:
            self.closed = True
        return 0

    # -- the broker --
    def _packet(self):
        """Answers the first whole packet in tx, drops it; False when there is none."""
        tx, t = self.tx, self.tn
        if t < 2:
            return False
        n, shift, i = 0, 0, 1
        while True:
            if i >= t:
                return False
            b = tx[i]
            n |= (b & 0x7F) << shift
            i += 1
            if not b & 0x80:
                break
            shift += 7
        end = i + n
        if end > t:
            return False
        kind = tx[0] & 0xF0
        if kind == 0x10:  # CONNECT
            self._send4(0x20, 2, 0, 0)
        elif kind == 0x80:  # SUBSCRIBE: pid, then topics; grant the QoS asked (last byte)
            self.sub = tx[end - 1]
            self._send_from(b"\x90\x03", 0, 2)
            self._send_from(tx, i, 2)
            self._send_from(b"\x00\x01", self.sub, 1)
        elif kind == 0x30:  # PUBLISH
            qos = (tx[0] >> 1) & 3
            if qos:
                tl = (tx[i] << 8) | tx[i + 1]
                p = i + 2 + tl
                self._send4(0x40, 2, tx[p], tx[p + 1])
            if self.sub >= 0:
                if self.sub != qos:
                    raise OSError(95)  # EOPNOTSUPP: the echo keeps the QoS published
                self._send_from(tx, 0, end)
        elif kind == 0xC0:  # PINGREQ
            self._send4(0xD0, 0, 0, 0)
        for j in range(t - end):  # drop the packet
            tx[j] = tx[end + j]
        self.tn = t - end
        return True

    def _room(self, n):
        if self.rp == self.rn:  # everything read: start over at the front
            self.rx.seek(0)
            self.rp = self.rn = 0
        if self.rn + n > CAP:
            raise OSError(105)
        # BytesIO writes at its position: write at the end, read on from rp
        self.rx.seek(self.rn)

    def _send4(self, a, b, c, d):
        """A 2-byte packet (b == 0) or a 4-byte one."""
        self._room(4 if b else 2)
        self._byte(a)
        self._byte(b)
        self.rn += 2
        if b:
            self._byte(c)
            self._byte(d)
            self.rn += 2
        self.rx.seek(self.rp)

    def _byte(self, v):
        self.one[0] = v
        self.rx.write(self.one)

    def _send_from(self, src, start, n):
        self._room(n)
        for k in range(n):
            self._byte(src[start + k])
        self.rn += n
        self.rx.seek(self.rp)


class SocketModule:
    """Stands in for the `socket` module: socket() hands out the one MemSock."""

    AF_INET, SOCK_STREAM, IPPROTO_TCP, TCP_NODELAY = 2, 1, 6, 1

    def __init__(self):
        self.sock = MemSock()
        self.ai = [(2, 1, 0, "", ("127.0.0.1", 1883))]

    def getaddrinfo(self, host, port, af=0, type=0, proto=0, flags=0):
        return self.ai

    def socket(self, af=2, type=1, proto=0):  # no *args: a tuple would be allocated
        self.sock.reset()
        return self.sock


def install():
    """Make `import socket` / `import usocket` give the in-memory one."""
    m = SocketModule()
    sys.modules["socket"] = m
    sys.modules["usocket"] = m
    return m
