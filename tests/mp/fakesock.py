# In-memory socket for scripted broker traffic (tests/mp/test_scripted_*.py).
#
# FakeSock behaves like a non-blocking MicroPython socket:
#   read(n)        -> bytes (at most n), None when no data yet (EAGAIN),
#                     b"" after the scripted data when eof=True
#   readinto(b[,n])-> count, None (EAGAIN) or 0 (EOF)
#   write(b[,n])   -> count; everything written is kept in .tx
#   ioctl(req,arg) -> stream ioctl: select.poll() works on it (it is an
#                     io.IOBase subclass, so native code can also use the
#                     stream protocol through readinto/write/ioctl)
#
# A real MicroPython stream read(n) allocates n bytes before reading, so
# read(n) here does the same: asking for a huge n raises MemoryError just
# like it would on a device.
#
# Watchdog: once `deadline_ms` has passed since creation, read/readinto/
# ioctl raise Hang.  A client that waits forever (e.g. poll(-1)) on this
# socket therefore fails the test instead of hanging it.
import io
import time

import select

from mqttutil import connected, uid, NETWORK

MP_STREAM_POLL = 3
MP_STREAM_CLOSE = 4
MP_STREAM_GET_FILENO = 10
POLLIN = select.POLLIN
POLLOUT = select.POLLOUT
POLLERR = select.POLLERR
POLLHUP = select.POLLHUP


class Hang(Exception):
    pass


class FakeSock(io.IOBase):
    def __init__(self, data=b"", eof=False, deadline_ms=15000):
        self.rx = bytearray(data)
        self.tx = bytearray()
        self.eof = eof
        self.closed = False
        self.t0 = time.ticks_ms()
        self.deadline_ms = deadline_ms
        self.polls = 0

    def feed(self, data):
        self.rx.extend(data)

    def _guard(self):
        if self.deadline_ms is not None and \
                time.ticks_diff(time.ticks_ms(), self.t0) > self.deadline_ms:
            raise Hang("client still waiting on the socket after %d ms"
                       % self.deadline_ms)

    def _take(self, n):
        m = min(n, len(self.rx))
        out = bytes(self.rx[:m])
        self.rx = self.rx[m:]
        return out

    def read(self, n=-1):
        self._guard()
        if self.closed:
            raise OSError(9)  # EBADF
        if n is None or n < 0:
            n = len(self.rx)
        bytearray(n)  # what a real stream read(n) allocates up front
        if not self.rx:
            return b"" if self.eof else None
        return self._take(n)

    def readinto(self, buf, n=-1):
        self._guard()
        if self.closed:
            raise OSError(9)
        if n is None or n < 0:
            n = len(buf)
        if not self.rx:
            return 0 if self.eof else None
        data = self._take(min(n, len(buf)))
        buf[:len(data)] = data
        return len(data)

    def write(self, buf, length=-1):
        if self.closed:
            raise OSError(9)
        if length is None or length < 0:
            length = len(buf)
        self.tx.extend(memoryview(buf)[:length])  # no copy: small heaps (QEMU)
        return length

    def send(self, buf):
        return self.write(buf)

    def recv(self, n):
        r = self.read(n)
        if r is None:
            raise OSError(11)  # EAGAIN
        return r

    def connect(self, addr):
        pass

    def setblocking(self, flag):
        pass

    def settimeout(self, t):
        pass

    def close(self):
        self.closed = True

    def fileno(self):
        return -1

    def ioctl(self, req, arg):
        if req == MP_STREAM_GET_FILENO:
            return -1  # not backed by a file descriptor
        if req == MP_STREAM_POLL:
            self.polls += 1
            self._guard()
            r = 0
            if (arg & POLLIN) and (self.rx or self.eof):
                r |= POLLIN
            if arg & POLLOUT:
                r |= POLLOUT
            if self.closed:
                r |= POLLHUP
            return r
        if req == MP_STREAM_CLOSE:
            self.closed = True
            return 0
        return 0

    def take_tx(self):
        out = bytes(self.tx)
        self.tx = bytearray()
        return out


def attach(client, fake):
    """Make `client` talk to `fake`.  Works whether `sock` is a plain
    attribute or a property.  The reference library polls through
    `poller_r`/`poller_w`, which are registered on the real socket, so
    those are re-registered on the fake when they exist and are writable.
    Returns the previous (real) socket."""
    real = client.sock
    client.sock = fake
    for name, mask in (("poller_r", POLLIN | POLLERR | POLLHUP),
                       ("poller_w", POLLOUT)):
        try:
            old = getattr(client, name)
        except AttributeError:
            continue
        if old is None:
            continue
        p = select.poll()
        p.register(fake, mask)
        try:
            setattr(client, name, p)
        except (AttributeError, TypeError):
            pass
    return real


CONNACK = b"\x20\x02\x00\x00"  # session present 0, return code 0


def owner_settings(o, client_id):
    """Give `o`, the owner of a bare _umqtt.Client (umqtt-rs only), the
    settings a façade keeps for the native client to read: no user, no
    will, keepalive 0, message_timeout 60, pids 1, 2, ... (socket_timeout
    and the callbacks are the caller's)."""
    o.client_id = client_id
    o.user = o.pswd = o.lw_topic = o.lw_properties = None
    o.lw_msg = b""
    o.lw_qos = o.keepalive = 0
    o.lw_retain = False
    o.message_timeout = 60
    o.newpid = iter(range(1, 100))
    o.disconnect_reason = o.connack_properties = None


class _SocketModule:
    """A `socket` module whose every connection is `sock` (over_fake_socket)."""

    def __init__(self, sock):
        self.sock = sock

    def getaddrinfo(self, host, port, *args):
        return [(2, 1, 0, "", (host, port))]

    def socket(self, *args):
        return self.sock


def over_fake_socket(fake, fn, *args):
    """fn(*args) -- a client's connect() -- with `fake` as the connection
    that _umqtt.open_conn opens: the module `socket` it imports is, for the
    call, one whose getaddrinfo() and socket() give `fake`. So simple2's whole
    connect() runs without a network (open_conn, _attach, CONNECT out,
    CONNACK in: `fake` must hold the CONNACK)."""
    import sys

    saved = sys.modules.get("socket")
    sys.modules["socket"] = _SocketModule(fake)
    try:
        return fn(*args)
    finally:
        if saved is None:
            del sys.modules["socket"]
        else:
            sys.modules["socket"] = saved


def offline_client(tag="c", rec=None, **kw):
    """A client connected without a network (mqttutil.NETWORK false): its
    connect() is simple2's, over a new FakeSock that holds a CONNACK
    (over_fake_socket) instead of a network socket.  The CONNECT bytes sent
    are kept in `connect_tx`."""
    from umqtt.simple2 import MQTTClient

    class OfflineClient(MQTTClient):
        def connect(self, clean_session=True):
            fake = FakeSock(CONNACK)
            r = over_fake_socket(fake, super().connect, clean_session)
            self.connect_tx = fake.take_tx()
            return r

    c = OfflineClient(uid(tag), "offline.invalid", **kw)
    if rec is not None:
        rec.install(c)
    c.connect()
    return c


def scripted(tag, data=b"", eof=False, rec=None, deadline_ms=15000, **kw):
    """Connect to the anonymous broker (without a network: offline_client),
    then swap in a FakeSock preloaded with `data`.  Returns (client, fake,
    real_socket)."""
    if NETWORK:
        c = connected(tag, rec=rec, **kw)
    else:
        c = offline_client(tag, rec=rec, **kw)
    fake = FakeSock(data, eof=eof, deadline_ms=deadline_ms)
    real = attach(c, fake)
    return c, fake, real


def finish(client, real):
    try:
        real.close()
    except Exception:
        pass


# --- packet builders (MQTT 3.1.1) ---

def vbi(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def publish_pkt(topic, msg, qos=0, retain=False, dup=False, pid=None):
    hdr = 0x30 | (qos << 1) | (1 if retain else 0) | (8 if dup else 0)
    body = len(topic).to_bytes(2, "big") + topic
    if qos:
        body += (pid or 1).to_bytes(2, "big")
    body += msg
    return bytes([hdr]) + vbi(len(body)) + body
