"""A small blocking MQTT 3.1.1 / 5.0 client over a plain socket (CPython,
standard library only): the challenger of the two-process test.

It is written apart from umqtt-rs on purpose: what the target (our firmware)
sends is decoded here from the bytes on the wire, so a bug shared by our
encoder and decoder cannot hide itself.

Properties are dicts {id: value}: int, str or bytes; a user property (0x26)
is a list of (name, value) pairs and a subscription identifier (0x0B) a list
of ints, both in wire order.
"""

import socket
import struct
import time

_BYTE = (0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A)
_U16 = (0x13, 0x21, 0x22, 0x23)
_U32 = (0x02, 0x11, 0x18, 0x27)
_STR = (0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F)
_BIN = (0x09, 0x16)
_VARINT = 0x0B
_PAIR = 0x26


class ProtocolError(Exception):
    pass


def vbi(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _s(v):
    if isinstance(v, str):
        v = v.encode("utf-8")
    return struct.pack("!H", len(v)) + v


def encode_props(props):
    body = bytearray()
    for pid, value in (props or {}).items():
        items = value if pid in (_PAIR, _VARINT) and isinstance(value, list) else [value]
        for v in items:
            body.append(pid)
            if pid in _BYTE:
                body.append(v)
            elif pid in _U16:
                body += struct.pack("!H", v)
            elif pid in _U32:
                body += struct.pack("!I", v)
            elif pid in _STR or pid in _BIN:
                body += _s(v)
            elif pid == _VARINT:
                body += vbi(v)
            elif pid == _PAIR:
                body += _s(v[0]) + _s(v[1])
            else:
                raise ValueError("property 0x%02x" % pid)
    return vbi(len(body)) + bytes(body)


class _Reader:
    def __init__(self, data, pos=0):
        self.data = data
        self.pos = pos

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ProtocolError("packet too short")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack("!H", self.take(2))[0]

    def vbi(self):
        n = shift = 0
        for _ in range(4):
            b = self.u8()
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7
        raise ProtocolError("variable byte integer too long")

    def bin(self):
        return self.take(self.u16())

    def str(self):
        return self.bin().decode("utf-8")

    def props(self):
        end = self.vbi() + self.pos
        if end > len(self.data):
            raise ProtocolError("property length beyond the packet")
        out = {}
        while self.pos < end:
            pid = self.u8()
            if pid in _BYTE:
                v = self.u8()
            elif pid in _U16:
                v = self.u16()
            elif pid in _U32:
                v = struct.unpack("!I", self.take(4))[0]
            elif pid in _STR:
                v = self.str()
            elif pid in _BIN:
                v = self.bin()
            elif pid == _VARINT:
                out.setdefault(pid, []).append(self.vbi())
                continue
            elif pid == _PAIR:
                out.setdefault(pid, []).append((self.str(), self.str()))
                continue
            else:
                raise ProtocolError("unknown property 0x%02x" % pid)
            if pid in out:
                raise ProtocolError("property 0x%02x twice" % pid)
            out[pid] = v
        if self.pos != end:
            raise ProtocolError("property overruns its block")
        return out


class Client:
    """One connection. Incoming PUBLISHes (QoS 1 ones acknowledged) collect
    in `inbox` as dicts: topic (str), payload (bytes), qos, retain, props
    (None on MQTT 3.1.1)."""

    def __init__(self, host, port, client_id, version=5, timeout=10.0):
        self.version = version
        self.timeout = timeout
        self.inbox = []
        self._acks = {}
        self._pid = 0
        self._buf = b""
        self.sock = socket.create_connection((host, port), timeout=timeout)
        level = 5 if version == 5 else 4
        body = _s("MQTT") + bytes([level, 0x02]) + struct.pack("!H", 0)  # clean, no keepalive
        if version == 5:
            body += encode_props(None)
        body += _s(client_id)
        self._send(0x10, body)
        first, r = self._packet(time.monotonic() + timeout)
        if first != 0x20:
            raise ProtocolError("expected CONNACK, got 0x%02x" % first)
        r.u8()
        rc = r.u8()
        if rc:
            raise ProtocolError("CONNACK refused: 0x%02x" % rc)

    def _send(self, first, body):
        self.sock.sendall(bytes([first]) + vbi(len(body)) + body)

    def _recv(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("nothing from the broker in time")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("nothing from the broker in time") from None
        if not chunk:
            raise ProtocolError("connection closed by the broker")
        self._buf += chunk

    def _packet(self, deadline):
        while True:
            buf = self._buf
            if len(buf) >= 2:
                n = shift = 0
                for i in range(1, min(len(buf), 5)):
                    n |= (buf[i] & 0x7F) << shift
                    shift += 7
                    if not buf[i] & 0x80:
                        if len(buf) >= i + 1 + n:
                            self._buf = buf[i + 1 + n:]
                            return buf[0], _Reader(buf[i + 1:i + 1 + n])
                        break
            self._recv(deadline)

    def _pump(self, deadline):
        # One packet: a PUBLISH into the inbox, an ack into _acks.
        first, r = self._packet(deadline)
        kind = first >> 4
        if kind == 3:
            qos = (first >> 1) & 3
            topic = r.str()
            pid = r.u16() if qos else 0
            props = r.props() if self.version == 5 else None
            self.inbox.append({"topic": topic, "payload": r.data[r.pos:], "qos": qos,
                               "retain": bool(first & 1), "props": props})
            if qos == 1:
                self._send(0x40, struct.pack("!H", pid))
            elif qos:
                raise ProtocolError("unexpected QoS %d" % qos)
        elif kind in (4, 9, 11):  # PUBACK, SUBACK, UNSUBACK
            pid = r.u16()
            codes = []
            if kind == 4:
                codes = [r.u8()] if r.pos < len(r.data) else [0]
            else:
                if self.version == 5:
                    r.props()
                codes = list(r.data[r.pos:])
            self._acks[pid] = (kind, codes)
        elif kind != 13:  # PINGRESP needs nothing
            raise ProtocolError("unexpected packet 0x%02x" % first)

    def _next_pid(self):
        self._pid = self._pid % 65535 + 1
        return self._pid

    def _await_ack(self, pid, kind):
        deadline = time.monotonic() + self.timeout
        while pid not in self._acks:
            self._pump(deadline)
        got, codes = self._acks.pop(pid)
        if got != kind or any(c >= 0x80 for c in codes):
            raise ProtocolError("ack %d for pid %d: %r" % (got, pid, codes))

    def subscribe(self, topic, qos=1):
        pid = self._next_pid()
        body = struct.pack("!H", pid) + (encode_props(None) if self.version == 5 else b"")
        self._send(0x82, body + _s(topic) + bytes([qos]))
        self._await_ack(pid, 9)

    def publish(self, topic, payload, qos=1, retain=False, props=None):
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        pid = self._next_pid() if qos else 0
        body = _s(topic) + (struct.pack("!H", pid) if qos else b"")
        if self.version == 5:
            body += encode_props(props)
        elif props:
            raise ValueError("properties need MQTT 5")
        self._send(0x30 | (qos << 1) | int(retain), body + payload)
        if qos:
            self._await_ack(pid, 4)

    def take(self, topic, timeout=None):
        """The first message on `topic` (waiting for it), removed from the inbox."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, m in enumerate(self.inbox):
                if m["topic"] == topic:
                    return self.inbox.pop(i)
            self._pump(deadline)

    def disconnect(self):
        try:
            self._send(0xE0, b"\x00\x00" if self.version == 5 else b"")
        except OSError:
            pass
        self.sock.close()
