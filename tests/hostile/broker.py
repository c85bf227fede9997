"""A hostile MQTT broker for umqtt-rs (CPython, standard library only).

It listens on 127.0.0.1 only. Each scenario is a script of what the broker
sends (after reading the client's CONNECT) and the reaction expected from
the client, as the tokens tests/hostile/client.py prints:

    connect:E       connect() raised E (nothing else runs)
    sp1             connect() returned 1 (session present)
    op-NAME:E       the operation NAME (sub0, pub1, ping, ...) raised E
    msg(T,P,rR,dD)  the message callback ran with topic T, payload P (repr,
                    or len=N,sum=S when longer than 16 bytes), retained and dup
    stat(PID,S)     the status callback ran with (PID, S)
    ret(0xNN)       check_msg()/wait_msg() returned NN
    E               check_msg()/wait_msg() raised E: MQTTException(N[,M]),
                    OSError(errno), ...
    after:X         what one more check_msg() did after that exception
    end             the broker's end-of-script PUBLISH (topic hostile/end)
                    reached the callback: the client worked through the script
    idle            check_msg() mode only: nothing happened for the budget

An expected token may use '*' as a wildcard (OSError(*)); a scenario may list
several acceptable sequences. Broker-side checks (`rx`) name packets the
client must (or, with '!', must not) have sent, e.g. PUBACK(7).

Script steps (tuples):
    ("send", bytes)            write the bytes
    ("slow", bytes, seconds)   write one byte every `seconds`
    ("sleep", seconds)
    ("wait", "PREFIX")         wait (5 s at most) until the client has sent a
                               packet whose token starts with PREFIX
    ("fin",)                   shutdown(SHUT_WR): EOF for the client; keep reading
    ("rst",)                   SO_LINGER 0 + close: the client gets a RST
    ("stall",)                 send nothing more; hold the connection open
    ("end",)                   send the end-of-script PUBLISH, then hold
A script must end with fin, rst, stall or end. A second connection (a façade
that reconnects) gets a plain CONNACK and the end PUBLISH.

MQTT 5 scenarios (v5=True, groups "v5 ..."): the script speaks MQTT 5 (the
end PUBLISH and a second connection's CONNACK too), the broker plays it
only after a CONNECT of protocol level 5 (every CONNECT must be one: rx
checks CONNECT(v5), !CONNECT(v3), !CONNECT(v4)), and the scenario runs only
for the façades that speak MQTT 5: umqtt (umqtt.MQTTClient(version=5),
client.py) and mqtt_as (mqttv5=True, client_as.py). `expect` is then
written for umqtt (micropython-lib conventions: OSError for a closed
connection, publish() returning False) and `expect_as` for mqtt_as; the
properties a callback gets print as {id:value,...} (see tokens.py), and
extra tokens appear:
    connack({props})   umqtt: connect() succeeded with these CONNACK properties
    dr(R,{props})      umqtt: client.disconnect_reason after the broker's DISCONNECT
    op-X:False         umqtt: publish() returned False
An rx check "N*PREFIX" requires exactly N packets starting with PREFIX.
"""

import select
import socket
import struct
import threading
import time

HOST = "127.0.0.1"
END_TOPIC = b"hostile/end"

# --------------------------------------------------------------------------
# Packet builders


def vbi(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def pkt(first, body=b""):
    return bytes([first]) + vbi(len(body)) + body


def s16(b):
    return struct.pack(">H", len(b)) + b


def pid16(p):
    return struct.pack(">H", p)


def publish(topic, payload=b"", qos=0, pid=None, retain=False, dup=False):
    first = 0x30 | (qos << 1) | (1 if retain else 0) | (8 if dup else 0)
    body = s16(topic)
    if pid is not None:
        body += pid16(pid)
    return pkt(first, body + payload)


def ack(first, p):
    return pkt(first, pid16(p))


CONNACK = pkt(0x20, b"\x00\x00")
END_PUBLISH = publish(END_TOPIC, b"")


# MQTT 5 forms: a property block (its length, then the properties) after
# the variable header.
def props5(*parts):
    body = b"".join(parts)
    return vbi(len(body)) + body


def connack5(props=b"", flags=0, reason=0):
    return pkt(0x20, bytes([flags, reason]) + props5(props))


def publish5(topic, payload=b"", props=b"", qos=0, pid=None, retain=False, dup=False):
    first = 0x30 | (qos << 1) | (1 if retain else 0) | (8 if dup else 0)
    body = s16(topic)
    if pid is not None:
        body += pid16(pid)
    return pkt(first, body + props5(props) + payload)


def ack5(first, p, reason=None, props=None):
    """PUBACK/PUBREC/PUBREL/PUBCOMP: pid, then an optional reason and properties."""
    body = pid16(p)
    if reason is not None:
        body += bytes([reason])
        if props is not None:
            body += props5(props)
    return pkt(first, body)


def suback5(p, codes, props=b"", first=0x90):
    return pkt(first, pid16(p) + props5(props) + bytes(codes))


def disconnect5(reason, props=None, first=0xE0):
    return pkt(first, bytes([reason]) + (props5(props) if props is not None else b""))


def u8p(pid, v):
    return bytes([pid, v])


def u16p(pid, v):
    return bytes([pid]) + struct.pack(">H", v)


def u32p(pid, v):
    return bytes([pid]) + struct.pack(">I", v)


def strp(pid, b):
    return bytes([pid]) + s16(b)


def userp(k, v):
    return b"\x26" + s16(k) + s16(v)


CONNACK5 = connack5()
END_PUBLISH5 = publish5(END_TOPIC, b"")

# --------------------------------------------------------------------------
# What the client sends


NAMES = {1: "CONNECT", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC", 6: "PUBREL",
         7: "PUBCOMP", 8: "SUBSCRIBE", 10: "UNSUBSCRIBE", 12: "PINGREQ",
         14: "DISCONNECT"}


def describe(first, body):
    t = first >> 4
    name = NAMES.get(t, "TYPE%d" % t)
    if t in (4, 5, 6, 7, 8, 10) and len(body) >= 2:
        return "%s(%d)" % (name, struct.unpack(">H", body[:2])[0])
    if t == 1:  # CONNECT(vN): N the protocol level (3: MQTT 3.1, 4: 3.1.1, 5)
        nl = struct.unpack(">H", body[:2])[0] if len(body) >= 2 else 0
        if len(body) > 2 + nl:
            return "CONNECT(v%d)" % body[2 + nl]
        return name
    if t == 3:
        qos = (first >> 1) & 3
        tl = struct.unpack(">H", body[:2])[0] if len(body) >= 2 else 0
        if qos and len(body) >= 4 + tl:
            return "PUBLISH(q%d,%d)" % (qos, struct.unpack(">H", body[2 + tl:4 + tl])[0])
        return "PUBLISH(q%d)" % qos
    return name


class ClientReader(threading.Thread):
    """Reads and names every packet the client sends; notices EOF."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock = sock
        self.packets = []
        self.eof = False
        self.halt = False  # set to stop reading (before an RST)
        self.cond = threading.Condition()

    def _recv(self, n):
        out = b""
        while len(out) < n:
            # Never block in recv(): a blocked recv() keeps the socket open
            # in the kernel, so a close() from the script thread would send
            # neither the RST nor the FIN it asks for.
            while True:
                if self.halt:
                    raise EOFError
                try:
                    ready, _, _ = select.select([self.sock], [], [], 0.05)
                except (OSError, ValueError):
                    raise EOFError
                if ready:
                    break
            try:
                chunk = self.sock.recv(min(n - len(out), 65536))
            except OSError:
                chunk = b""
            if not chunk:
                raise EOFError
            out += chunk
        return out

    def run(self):
        try:
            while True:
                first = self._recv(1)[0]
                n, shift = 0, 0
                while True:
                    b = self._recv(1)[0]
                    n |= (b & 0x7F) << shift
                    shift += 7
                    if not b & 0x80 or shift > 21:
                        break
                body = self._recv(n) if n else b""
                with self.cond:
                    self.packets.append(describe(first, body))
                    self.cond.notify_all()
        except EOFError:
            pass
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def wait_for(self, prefix, timeout, start=0):
        """Index of the first packet from `start` on whose name starts with prefix."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.packets)):
                    if self.packets[i].startswith(prefix):
                        return i
                left = deadline - time.monotonic()
                if self.eof or left <= 0:
                    return None
                self.cond.wait(left)

    def wait_eof(self, stop, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.eof and not stop.is_set() and time.monotonic() < deadline:
                self.cond.wait(0.1)


# --------------------------------------------------------------------------
# The broker


class HostileBroker:
    """Serves one scenario to every connection on an ephemeral loopback port."""

    HOLD_MAX = 120.0  # a held connection is closed after this, whatever happens

    def __init__(self, scenario):
        self.scenario = scenario
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((HOST, 0))
        self.lsock.listen(4)
        self.port = self.lsock.getsockname()[1]
        self.stop = threading.Event()
        self.connections = 0
        self.readers = []
        self.log = []  # broker-side notes (wait timeouts, send failures)
        self.threads = []

    def start(self):
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def _accept(self):
        self.lsock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            index = self.connections
            self.connections += 1
            t = threading.Thread(target=self._serve, args=(conn, index), daemon=True)
            t.start()
            self.threads.append(t)

    def received(self):
        out = []
        for r in self.readers:
            with r.cond:
                out.extend(r.packets)
        return out

    def _serve(self, conn, index):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = ClientReader(conn)
        self.readers.append(reader)
        reader.start()
        v5 = self.scenario.v5
        script = self.scenario.script if index == 0 else [("send", CONNACK5 if v5 else CONNACK), ("end",)]
        closed = False
        try:
            i = reader.wait_for("CONNECT", 5)
            if i is None:
                self.log.append("conn %d: no CONNECT" % index)
                return
            if v5 and reader.packets[i] != "CONNECT(v5)":
                # An MQTT 5 script for an MQTT 3 client would test nothing.
                self.log.append("conn %d: %s, not MQTT 5: script not played" % (index, reader.packets[i]))
                return
            seen = 0
            for step in script:
                if self.stop.is_set():
                    break
                op = step[0]
                if op == "send":
                    conn.sendall(step[1])
                elif op == "slow":
                    for b in step[1]:
                        if self.stop.is_set() or reader.eof:
                            break
                        conn.sendall(bytes([b]))
                        time.sleep(step[2])
                elif op == "sleep":
                    self.stop.wait(step[1])
                elif op == "wait":
                    i = reader.wait_for(step[1], 5, seen)
                    if i is None:
                        self.log.append("conn %d: no %s from the client" % (index, step[1]))
                        break
                    seen = i + 1
                elif op == "fin":
                    conn.shutdown(socket.SHUT_WR)
                    reader.wait_eof(self.stop, self.HOLD_MAX)
                elif op == "rst":
                    reader.halt = True
                    reader.join(2)
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    conn.close()
                    closed = True
                elif op == "stall":
                    reader.wait_eof(self.stop, self.HOLD_MAX)
                elif op == "end":
                    conn.sendall(END_PUBLISH5 if v5 else END_PUBLISH)
                    reader.wait_eof(self.stop, self.HOLD_MAX)
                else:
                    raise ValueError("unknown step %r" % (step,))
        except OSError as e:
            self.log.append("conn %d: %s" % (index, e.__class__.__name__))
        finally:
            if not closed:
                try:
                    conn.close()
                except OSError:
                    pass

    def close(self):
        # The client has exited: let the readers take in what it sent
        # before its sockets closed, then stop everything.
        for r in list(self.readers):
            r.join(2)
        self.stop.set()
        try:
            self.lsock.close()
        except OSError:
            pass
        for t in self.threads:
            t.join(2)


# --------------------------------------------------------------------------
# Scenarios


V5_FACADES = ("umqtt", "mqtt_as")  # the façades that speak MQTT 5


class Scenario:
    def __init__(self, group, name, script, expect, ops="", rx=(), st=1, limit=None, note="",
                 v5=False, expect_as=None, aliases=0, facades=None):
        self.group = group
        self.name = name
        self.script = script
        if script[-1][0] not in ("fin", "rst", "stall", "end"):
            raise ValueError("%s: script must end with fin/rst/stall/end" % name)
        # alternatives separated by ' | ', tokens by spaces
        self.expect = [alt.split() for alt in expect.split(" | ")]
        # MQTT 5: expect is umqtt's, expect_as mqtt_as's; aliases: the Topic
        # Alias Maximum the client announces (0: none, the default)
        self.v5 = v5
        self.expect_as = [alt.split() for alt in expect_as.split(" | ")] if expect_as else None
        self.aliases = aliases
        # the façades the scenario applies to (None: all)
        self.facades = tuple(facades) if facades else (V5_FACADES if v5 else None)
        if v5 and "mqtt_as" in self.facades and self.expect_as is None:
            raise ValueError("%s: an MQTT 5 scenario needs expect_as" % name)
        if v5:
            rx = ["CONNECT(v5)", "!CONNECT(v3)", "!CONNECT(v4)"] + list(rx)
        self.ops = ops
        self.rx = tuple(rx)
        self.st = st  # socket_timeout given to the client
        # the longest a single client call may take (s): a hang is longer
        self.limit = limit if limit is not None else 2 * st + 1.5
        self.note = note

    def expect_text(self):
        return " \\| ".join(" ".join(a) for a in self.expect)

    def applies(self, facade):
        return self.facades is None or facade in self.facades

    def client_args(self):
        # the client's optional last argument: v5[:ALIASES]
        if not self.v5:
            return []
        return ["v5:%d" % self.aliases if self.aliases else "v5"]


SCENARIOS = []


def S(*args, **kw):
    SCENARIOS.append(Scenario(*args, **kw))


C = CONNACK
M = "MQTTException"
E_OUT = "%s(1) after:%s(1)" % (M, M)  # closed: and every later call too


def bad(code):
    """A malformed packet: code, then the connection is unusable (1)."""
    return "%s(%d) after:%s(1)" % (M, code, M)


def msg_t(topic, payload, r=0, d=0):
    p = repr(payload) if len(payload) <= 16 else "len=%d,sum=%d" % (len(payload), sum(payload) & 0xFFFF)
    return "msg(%r,%s,r%d,d%d)" % (topic, p, r, d)


# --- CONNACK ---------------------------------------------------------------
G = "CONNACK"
S(G, "connack_length_3", [("send", pkt(0x20, b"\x00\x00\x00")), ("stall",)], "connect:%s(29)" % M)
S(G, "connack_length_1", [("send", pkt(0x20, b"\x00")), ("stall",)], "connect:%s(29)" % M)
S(G, "connack_length_0", [("send", pkt(0x20)), ("stall",)], "connect:%s(29)" % M)
S(G, "connack_wrong_type_suback", [("send", pkt(0x90, b"\x00\x01\x00")), ("stall",)], "connect:%s(29)" % M)
S(G, "connack_wrong_type_publish", [("send", publish(b"a/b", b"hi")), ("stall",)], "connect:%s(29)" % M)
S(G, "connack_wrong_type_pingresp", [("send", pkt(0xD0)), ("stall",)], "connect:%s(29)" % M)
for rc in range(1, 6):
    S(G, "connack_rc_%d" % rc, [("send", pkt(0x20, bytes([0, rc]))), ("stall",)], "connect:%s(%d)" % (M, 20 + rc))
for rc in (6, 0x80, 0xFF):
    S(G, "connack_rc_%d" % rc, [("send", pkt(0x20, bytes([0, rc]))), ("stall",)], "connect:%s(20,%d)" % (M, rc))
S(G, "connack_refused_session_present", [("send", pkt(0x20, b"\x01\x05")), ("stall",)], "connect:%s(25)" % M,
  note="session present with a refusal: the refusal wins")
S(G, "connack_reserved_ack_flags", [("send", pkt(0x20, b"\x02\x00")), ("stall",)], "connect:%s(29)" % M)
S(G, "connack_fixed_header_flags", [("send", b"\x21\x02\x00\x00"), ("stall",)], "connect:%s(29)" % M)
S(G, "connack_length_5_bytes", [("send", b"\x20\xff\xff\xff\xff\x7f"), ("stall",)], "connect:%s(29)" % M)
S(G, "connack_length_huge", [("send", b"\x20\xff\xff\xff\x7f"), ("stall",)], "connect:%s(29)" % M)
S(G, "connack_session_present", [("send", pkt(0x20, b"\x01\x00")), ("end",)], "sp1 end")
S(G, "connack_duplicate", [("send", C + C), ("end",)], bad(52))
S(G, "connack_none_stall", [("stall",)], "connect:%s(30)" % M)
S(G, "connack_half_stall", [("send", C[:3]), ("stall",)], "connect:%s(30)" % M)
S(G, "connack_slow_within", [("slow", C, 0.1), ("end",)], "end", st=2)

# --- framing ---------------------------------------------------------------
G = "framing"
S(G, "length_5_bytes", [("send", C + b"\x30\xff\xff\xff\xff\x7f"), ("stall",)], bad(50))
S(G, "length_endless_continuation", [("send", C + b"\x30" + b"\xff" * 20000), ("stall",)], bad(50))
S(G, "length_beyond_data_fin", [("send", C + b"\x30\x0a\x00\x03a/b"), ("fin",)], E_OUT)
S(G, "length_beyond_data_stall", [("send", C + b"\x30\x0a\x00\x03a/b"), ("stall",)],
  "%s(30) after:%s(30)" % (M, M), note="the partial packet is kept: the next call waits for the rest again")
S(G, "length_above_max", [("send", C + b"\x30" + vbi(16385) + b"\x00\x01a"), ("stall",)], bad(51),
  note="max_packet_size 16384 (default): refused from the header")
S(G, "length_protocol_max", [("send", C + b"\x30\xff\xff\xff\x7f"), ("stall",)], bad(51))
S(G, "length_at_max", [("send", C + publish(b"t", bytes(range(256)) * 63 + bytes(16384 - 3 - 256 * 63))), ("end",)],
  msg_t(b"t", bytes(range(256)) * 63 + bytes(16384 - 3 - 256 * 63)) + " end")
S(G, "length_non_minimal", [("send", C + b"\x30\x87\x00\x00\x03a/bhi"), ("end",)],
  msg_t(b"a/b", b"hi") + " end", note="MQTT 3.1.1 does not forbid a non-minimal length")

# --- PUBLISH ---------------------------------------------------------------
G = "PUBLISH"
S(G, "topic_length_beyond_packet", [("send", C + pkt(0x30, b"\x00\x10abc")), ("end",)], bad(50))
S(G, "topic_length_beyond_by_one", [("send", C + pkt(0x30, b"\x00\x04abc")), ("end",)], bad(50))
S(G, "topic_zero_length", [("send", C + pkt(0x30, b"\x00\x00hi")), ("end",)], bad(50))
S(G, "topic_invalid_utf8", [("send", C + publish(b"\xc3\x28", b"hi")), ("end",)], bad(50))
S(G, "topic_utf16_surrogate", [("send", C + publish(b"a\xed\xa0\x80", b"hi")), ("end",)], bad(50))
S(G, "topic_nul", [("send", C + publish(b"a\x00b", b"hi")), ("end",)], bad(50))
S(G, "topic_wildcard_hash", [("send", C + publish(b"a/#", b"hi")), ("end",)], bad(50))
S(G, "topic_wildcard_plus", [("send", C + publish(b"+/b", b"hi")), ("end",)], bad(50))
S(G, "topic_utf8_multibyte", [("send", C + publish("é/ü/€".encode(), b"hi")), ("end",)],
  msg_t("é/ü/€".encode(), b"hi") + " end")
S(G, "qos3", [("send", C + pkt(0x36, s16(b"a/b") + pid16(5) + b"hi")), ("end",)],
  "%s(-1) after:%s(1)" % (M, M), rx=["!PUBACK", "!PUBREC"], note="simple2's EUNKNOWN, before any callback")
S(G, "qos1_pid_0", [("send", C + publish(b"a/b", b"hi", 1, 0)), ("end",)], bad(50), rx=["!PUBACK"])
S(G, "qos1_pid_missing", [("send", C + pkt(0x32, s16(b"a/b") + b"\x00")), ("end",)], bad(50))
S(G, "qos2_to_qos0_subscription",
  [("send", C), ("wait", "SUBSCRIBE"), ("send", pkt(0x90, pid16(1) + b"\x00")),
   ("send", publish(b"a/b", b"q2", 2, 5)), ("wait", "PUBREC(5)"), ("send", pkt(0x62, pid16(5))),
   ("wait", "PUBCOMP(5)"), ("end",)],
  "stat(1,1) ret(0x90) %s ret(0x60) end" % msg_t(b"a/b", b"q2"), ops="sub0",
  rx=["PUBREC(5)", "PUBCOMP(5)"], note="handled as QoS 2 (PUBREC/PUBREL/PUBCOMP), delivered once")
S(G, "qos2_resent_before_pubrel",
  [("send", C + publish(b"a/b", b"x", 2, 6)), ("wait", "PUBREC(6)"),
   ("send", publish(b"a/b", b"x", 2, 6, dup=True)), ("wait", "PUBREC(6)"),
   ("send", pkt(0x62, pid16(6))), ("wait", "PUBCOMP(6)"), ("end",)],
  "%s ret(0x60) end" % msg_t(b"a/b", b"x"), rx=["PUBREC(6)", "PUBCOMP(6)"],
  note="the resent copy is acknowledged again but not delivered twice")
S(G, "payload_oversized_2MiB", [("send", C + b"\x30" + vbi(2 * 1024 * 1024) + s16(b"a/b") + b"x" * 1000), ("stall",)],
  bad(51), note="refused from the header, nothing allocated")
S(G, "qos0_retain", [("send", C + publish(b"a/b", b"r", retain=True)), ("end",)], msg_t(b"a/b", b"r", 1) + " end")
S(G, "qos0_dup", [("send", C + pkt(0x38, s16(b"a/b") + b"d")), ("end",)], bad(50),
  note="DUP must be 0 at QoS 0 (3.3.1.1)")
S(G, "qos1_dup", [("send", C + publish(b"a/b", b"d", 1, 7, dup=True)), ("wait", "PUBACK(7)"), ("end",)],
  msg_t(b"a/b", b"d", 0, 1) + " end", rx=["PUBACK(7)"])
S(G, "qos1_retain_dup", [("send", C + publish(b"a/b", b"rd", 1, 8, retain=True, dup=True)), ("wait", "PUBACK(8)"), ("end",)],
  msg_t(b"a/b", b"rd", 1, 1) + " end", rx=["PUBACK(8)"])
S(G, "qos2_retain_dup", [("send", C + publish(b"a/b", b"q", 2, 9, retain=True, dup=True)), ("wait", "PUBREC(9)"), ("end",)],
  msg_t(b"a/b", b"q", 1, 1) + " end", rx=["PUBREC(9)"])

# --- acknowledgements ------------------------------------------------------
G = "acks"
S(G, "puback_known", [("send", C), ("wait", "PUBLISH(q1,1)"), ("send", ack(0x40, 1)), ("end",)],
  "stat(1,1) ret(0x40) end", ops="pub1")
S(G, "puback_unknown_id", [("send", C + ack(0x40, 7)), ("end",)], "stat(7,2) ret(0x40) end")
S(G, "puback_length_3", [("send", C + pkt(0x40, b"\x00\x07\x00")), ("end",)], bad(50))
S(G, "puback_length_1", [("send", C + pkt(0x40, b"\x07")), ("end",)], bad(50))
S(G, "puback_length_0", [("send", C + pkt(0x40)), ("end",)], bad(50))
S(G, "puback_pid_0", [("send", C + ack(0x40, 0)), ("end",)], bad(50))
S(G, "puback_for_subscribe", [("send", C), ("wait", "SUBSCRIBE(1)"), ("send", ack(0x40, 1)), ("end",)],
  bad(52), ops="sub0", note="an ack of the wrong kind for a pid in flight")
S(G, "pubrec_for_qos1", [("send", C), ("wait", "PUBLISH(q1,1)"), ("send", ack(0x50, 1)), ("end",)],
  bad(52), ops="pub1")
S(G, "suback_known", [("send", C), ("wait", "SUBSCRIBE(1)"), ("send", pkt(0x90, pid16(1) + b"\x01")), ("end",)],
  "stat(1,1) ret(0x90) end", ops="sub1")
S(G, "suback_unknown_id", [("send", C + pkt(0x90, pid16(9) + b"\x00")), ("end",)], "stat(9,2) ret(0x90) end",
  note="simple2 raised 5 here")
S(G, "suback_0x80", [("send", C), ("wait", "SUBSCRIBE(1)"), ("send", pkt(0x90, pid16(1) + b"\x80")), ("stall",)],
  "%s(44) after:None" % M, ops="sub0", note="ESUBACKFAIL; the connection stays usable")
S(G, "suback_reserved_code_3", [("send", C), ("wait", "SUBSCRIBE(1)"), ("send", pkt(0x90, pid16(1) + b"\x03")), ("end",)],
  bad(50), ops="sub0")
S(G, "suback_reserved_code_0x81", [("send", C), ("wait", "SUBSCRIBE(1)"), ("send", pkt(0x90, pid16(1) + b"\x81")), ("end",)],
  bad(50), ops="sub0")
S(G, "suback_two_codes_one_filter", [("send", C), ("wait", "SUBSCRIBE(1)"), ("send", pkt(0x90, pid16(1) + b"\x00\x00")), ("end",)],
  bad(40), ops="sub0", note="ESUBACKUNKNOWN")
S(G, "suback_no_codes", [("send", C), ("wait", "SUBSCRIBE(1)"), ("send", pkt(0x90, pid16(1))), ("end",)],
  bad(50), ops="sub0")
S(G, "unsuback_unknown_id", [("send", C + ack(0xB0, 9)), ("end",)], "stat(9,2) ret(0xb0) end")
S(G, "unsuback_known", [("send", C), ("wait", "UNSUBSCRIBE(1)"), ("send", ack(0xB0, 1)), ("end",)],
  "ret(0xb0) end", ops="unsub")
S(G, "unsuback_length_3", [("send", C + pkt(0xB0, b"\x00\x09\x00")), ("end",)], bad(50))
S(G, "pubrel_without_pubrec", [("send", C + ack(0x62, 9)), ("wait", "PUBCOMP(9)"), ("end",)], "ret(0x60) end",
  rx=["PUBCOMP(9)"], note="PUBCOMP is still sent (4.3.3)")
S(G, "pubrel_flags_0", [("send", C + ack(0x60, 9)), ("end",)], bad(50), rx=["!PUBCOMP"])
S(G, "pubcomp_unknown_id", [("send", C + ack(0x70, 9)), ("end",)], "stat(9,2) ret(0x70) end")
S(G, "pubrec_unknown_id", [("send", C + ack(0x50, 9)), ("end",)], "stat(9,2) ret(0x50) end", rx=["!PUBREL"])

# --- reserved packet types, flags, packets a server never sends ------------
G = "types and flags"
S(G, "type_0", [("send", C + pkt(0x00)), ("end",)], bad(50))
S(G, "type_0_with_body", [("send", C + pkt(0x00, b"\x00\x01")), ("end",)], bad(50))
S(G, "type_15", [("send", C + pkt(0xF0)), ("end",)], bad(50))
S(G, "puback_flags_2", [("send", C + pkt(0x42, pid16(1))), ("end",)], bad(50))
S(G, "suback_flags_2", [("send", C + pkt(0x92, pid16(1) + b"\x00")), ("end",)], bad(50))
S(G, "pingresp_flags_1", [("send", C + pkt(0xD1)), ("end",)], bad(50))
S(G, "server_sends_connect", [("send", C + pkt(0x10, s16(b"MQTT") + b"\x04\x02\x00\x00" + s16(b"x"))), ("end",)], bad(52))
S(G, "server_sends_subscribe", [("send", C + pkt(0x82, pid16(1) + s16(b"a/#") + b"\x00")), ("end",)], bad(52))
S(G, "server_sends_pingreq", [("send", C + pkt(0xC0)), ("end",)], bad(52))
S(G, "server_sends_disconnect", [("send", C + pkt(0xE0)), ("end",)], bad(52))
S(G, "pingresp", [("send", C), ("wait", "PINGREQ"), ("send", pkt(0xD0)), ("end",)], "end", ops="ping")
S(G, "pingresp_with_body", [("send", C + pkt(0xD0, b"\x00\x00")), ("end",)], bad(50))

# --- slowloris and stalls --------------------------------------------------
G = "slow and stalled"
S(G, "slowloris_within_timeout", [("send", C), ("slow", publish(b"a/b", b"slow-but-ok"), 0.1), ("end",)],
  msg_t(b"a/b", b"slow-but-ok") + " end", st=3, note="18 bytes at 1 byte/100 ms, socket_timeout 3 s")
S(G, "slowloris_beyond_timeout", [("send", C), ("slow", publish(b"a/b", b"z" * 95), 0.1), ("stall",)],
  "%s(30) after:%s(30)" % (M, M), st=3, note="102 bytes at 1 byte/100 ms: each call gives up after socket_timeout 3 s")
S(G, "stall_after_first_byte", [("send", C + b"\x30"), ("stall",)], "%s(30) after:%s(30)" % (M, M))
S(G, "stall_mid_length", [("send", C + b"\x30\x80"), ("stall",)], "%s(30) after:%s(30)" % (M, M))
S(G, "stall_mid_body_then_rest",
  [("send", C + publish(b"a/b", b"halves")[:5]), ("sleep", 1.6), ("send", publish(b"a/b", b"halves")[5:]), ("end",)],
  "%s(30) %s after:None" % (M, msg_t(b"a/b", b"halves")),
  note="the rest arrives after the first timeout: the next call completes the packet")

# --- FIN and RST at each stage ----------------------------------------------
G = "FIN and RST"
RST_CONNECT = "connect:OSError(*) | connect:%s(1)" % M
RST_RECV = "OSError(*) after:%s(1) | %s(1) after:%s(1)" % (M, M, M)
S(G, "fin_before_connack", [("fin",)], "connect:%s(1)" % M)
S(G, "rst_before_connack", [("rst",)], RST_CONNECT)
S(G, "fin_mid_connack", [("send", C[:3]), ("fin",)], "connect:%s(1)" % M)
S(G, "rst_mid_connack", [("send", C[:3]), ("sleep", 0.1), ("rst",)], RST_CONNECT)
S(G, "fin_after_connack", [("send", C), ("fin",)], E_OUT)
S(G, "rst_after_connack", [("send", C), ("sleep", 0.1), ("rst",)], RST_RECV)
S(G, "fin_mid_header", [("send", C + b"\x30"), ("fin",)], E_OUT)
S(G, "rst_mid_header", [("send", C + b"\x30"), ("sleep", 0.1), ("rst",)], RST_RECV)
S(G, "fin_mid_body", [("send", C + publish(b"a/b", b"cut")[:6]), ("fin",)], E_OUT)
S(G, "rst_mid_body", [("send", C + publish(b"a/b", b"cut")[:6]), ("sleep", 0.1), ("rst",)], RST_RECV)
S(G, "fin_before_suback", [("send", C), ("wait", "SUBSCRIBE"), ("fin",)], E_OUT, ops="sub0")
S(G, "rst_before_suback", [("send", C), ("wait", "SUBSCRIBE"), ("rst",)], RST_RECV, ops="sub0")
S(G, "fin_during_publish", [("send", C), ("wait", "PINGREQ"), ("fin",)], E_OUT, ops="ping,sleep:200,pubbig:300000",
  rx=["PUBLISH(q0)"], note="half-close: the broker still reads, the 300 KB publish goes through")
S(G, "rst_during_publish", [("send", C), ("wait", "PINGREQ"), ("rst",)],
  "op-pubbig:OSError(*) after:%s(1)" % M, ops="ping,sleep:200,pubbig:300000",
  note="writing to a reset connection: OSError (EPIPE/ECONNRESET), no SIGPIPE")

# --- MQTT 5 ------------------------------------------------------------------
# umqtt.MQTTClient(version=5) and mqtt_as (mqttv5=True) only; docs/mqtt5.md
# and docs/errors.md give the reactions: malformed properties (unknown id,
# duplicate, not allowed in the packet, beyond the packet, invalid UTF-8 or
# range, alias 0 included) are MQTTException(50) and close the connection
# (in a CONNACK they make it an invalid CONNACK: MQTTException(-1), as any
# other); an alias used before it is set or above the maximum we announced,
# and AUTH, are MQTTException(52); reason codes >= 0x80 are
# MQTTException(reason) (a refused publish: umqtt's publish() returns False,
# mqtt_as's raises it); the broker's DISCONNECT is OSError(-1, "<reason
# name>") with client.disconnect_reason set. mqtt_as: the first connect()
# raises OSError (a refusal: OSError(-1, "CONNACK reason code 0x..")); after
# that an error is an outage and a reconnect (`down`, then the second
# connection's `end`); a subscribe/unsubscribe/publish whose ack did not
# come, or was a refused SUBACK/UNSUBACK (mqtt_as: an OSError and a
# reconnect), is retried on the new connection: `op-X:pending`.
C5 = CONNACK5
T5 = b"a/b"


def S5(group, name, script, expect, expect_as=None, **kw):
    SCENARIOS.append(Scenario(group, name, script, expect, v5=True, expect_as=expect_as, **kw))


def bad5(code):
    """umqtt: MQTTException(code), then the connection is closed (OSError(-1))."""
    return "%s(%d) after:OSError(-1)" % (M, code)


AS_DOWN = "down end"  # mqtt_as: an outage, the reconnect, the end message
AS_CONNECT = "connect:OSError(*)"  # mqtt_as: the first connect() raises OSError


def refused_connect(reason):
    return ("connect:%s(%d)" % (M, reason),
            "connect:OSError(-1,'CONNACK_reason_code_0x%x')" % reason)


def msg5(topic, payload, props):
    return "msg(%r,%s,%s)" % (topic, repr(payload), props)


def msg5_as(topic, payload, props, r=0):
    return "msg(%r,%s,r%d,%s)" % (topic, repr(payload), r, props)


def still_usable(op_token):
    """umqtt: an op refused by a reason code; the connection stays usable:
    the after-call finds nothing and the end message, sent 0.5 s later,
    arrives (or, in a slow run, the after-call already gets it)."""
    return "%s after:None end | %s end after:ret(0x30)" % (op_token, op_token)


def pause_end():
    return [("sleep", 0.5), ("end",)]


# --- v5 CONNACK ----------------------------------------------------------------
G = "v5 CONNACK"
S5(G, "v5_connack_properties",
   [("send", connack5(u16p(0x21, 10) + strp(0x12, b"given-id") + strp(0x1F, b"welcome"))), ("end",)],
   "connack({18:'given-id',31:'welcome',33:10}) end", "end",
   note="valid: Receive Maximum, Assigned Client Identifier, Reason String")
S5(G, "v5_connack_bad_property_id", [("send", connack5(b"\x7f\x00")), ("stall",)],
   "connect:%s(-1)" % M, AS_CONNECT)
S5(G, "v5_connack_duplicate_property", [("send", connack5(u16p(0x21, 5) + u16p(0x21, 6))), ("stall",)],
   "connect:%s(-1)" % M, AS_CONNECT, note="Receive Maximum twice")
S5(G, "v5_connack_topic_alias", [("send", connack5(u16p(0x23, 1))), ("stall",)],
   "connect:%s(-1)" % M, AS_CONNECT, note="Topic Alias (0x23) is not a CONNACK property")
S5(G, "v5_connack_property_length_beyond", [("send", pkt(0x20, b"\x00\x00\x05\x21\x00")), ("stall",)],
   "connect:%s(-1)" % M, AS_CONNECT, note="property length 5, 2 bytes follow")
S5(G, "v5_connack_no_property_length", [("send", pkt(0x20, b"\x00\x00")), ("stall",)],
   "connect:%s(-1)" % M, AS_CONNECT, note="the MQTT 3 form: a CONNACK of the wrong length")
S5(G, "v5_connack_reason_not_for_connack", [("send", connack5(reason=0x8E)), ("stall",)],
   "connect:%s(-1)" % M, AS_CONNECT,
   note="0x8E Session taken over is a DISCONNECT reason: an invalid CONNACK, not a refusal")
U, A = refused_connect(0x87)
S5(G, "v5_connack_refused_0x87", [("send", connack5(strp(0x1F, b"no-access"), reason=0x87)), ("stall",)],
   U, A, note="Not authorized, with a reason string")
U, A = refused_connect(0x86)
S5(G, "v5_connack_refused_0x86", [("send", connack5(strp(0x1F, b"bad-password"), reason=0x86)), ("stall",)],
   U, A, note="Bad User Name or Password, with a reason string")
S5(G, "v5_connack_session_present_refused", [("send", connack5(flags=1, reason=0x87)), ("stall",)],
   "connect:%s(-1)" % M, AS_CONNECT,
   note="session present with an error reason (forbidden, 3.2.2.1.1): an invalid CONNACK")
S5(G, "v5_connack_reserved_ack_flags", [("send", connack5(flags=2)), ("stall",)],
   "connect:%s(-1)" % M, AS_CONNECT)

# --- v5 PUBLISH ------------------------------------------------------------------
G = "v5 PUBLISH"
P5 = (u8p(0x01, 1) + u32p(0x02, 60) + strp(0x03, b"text/plain") + b"\x0b\x05"
      + userp(b"k", b"v") + userp(b"n", b"1"))
S5(G, "v5_publish_properties",
   [("send", C5 + publish5(T5, b"hi", P5, 1, 7)), ("wait", "PUBACK(7)"), ("end",)],
   msg5(T5, b"hi", "{1:1,2:60,3:'text/plain',11:[5],38:[('k','v'),('n','1')]}") + " ret(0x32) end",
   msg5_as(T5, b"hi", "{1:1,2:60,3:'text/plain',11:5,38:{'k':'v','n':'1'}}") + " end",
   rx=["PUBACK(7)"], note="valid QoS 1: payload format, expiry, content type, subscription id, user properties")


def bad_publish(name, props, note="", code=50, aliases=0, topic=T5):
    S5(G, name, [("send", C5 + publish5(topic, b"x", props)), ("end",)], bad5(code), AS_DOWN,
       note=note, aliases=aliases)


bad_publish("v5_publish_bad_property_id", b"\x7f\x00")
bad_publish("v5_publish_duplicate_content_type", strp(0x03, b"a") + strp(0x03, b"b"))
bad_publish("v5_publish_session_expiry", u32p(0x11, 1), note="Session Expiry Interval is not a PUBLISH property")
bad_publish("v5_publish_string_beyond_block", b"\x03\x00\x09ab", note="content type of 9 bytes, 2 in the block")
bad_publish("v5_publish_user_property_invalid_utf8", userp(b"k", b"\xff"))
bad_publish("v5_publish_content_type_nul", strp(0x03, b"a\x00b"), note="U+0000 in a UTF-8 string (1.5.4)")
bad_publish("v5_publish_subscription_id_0", b"\x0b\x00")
bad_publish("v5_publish_payload_format_2", u8p(0x01, 2))
S5(G, "v5_publish_property_length_beyond_packet", [("send", C5 + pkt(0x30, s16(T5) + b"\x05\x01\x00")), ("end",)],
   bad5(50), AS_DOWN, note="property length 5, 2 bytes left in the packet")
bad_publish("v5_publish_empty_topic_no_alias", b"", topic=b"")
bad_publish("v5_publish_topic_alias_0", u16p(0x23, 0), code=50, aliases=2,
            note="we announce Topic Alias Maximum 2; alias 0 is not permitted (3.3.2.3.4)")
bad_publish("v5_publish_alias_not_announced", u16p(0x23, 1), code=52,
            note="no Topic Alias Maximum announced (the default): no alias may be used")
bad_publish("v5_publish_alias_before_set", u16p(0x23, 2), code=52, aliases=2, topic=b"",
            note="empty topic with alias 2, which was never set")
bad_publish("v5_publish_alias_above_max", u16p(0x23, 3), code=52, aliases=2,
            note="alias 3 with Topic Alias Maximum 2")
S5(G, "v5_publish_alias_set_and_used",
   [("send", C5 + publish5(T5, b"1", u16p(0x23, 1)) + publish5(b"", b"2", u16p(0x23, 1))), ("end",)],
   "%s ret(0x30) %s ret(0x30) end" % (msg5(T5, b"1", "{35:1}"), msg5(T5, b"2", "{35:1}")),
   "%s %s end" % (msg5_as(T5, b"1", "{35:1}"), msg5_as(T5, b"2", "{35:1}")), aliases=2,
   note="valid: alias 1 set with the topic, then used alone; the callback gets the topic")

# --- v5 acknowledgements, DISCONNECT, AUTH, flags ------------------------------------
G = "v5 acks"
S5(G, "v5_puback_0x10",
   [("send", C5), ("wait", "PUBLISH(q1,1)"), ("send", ack5(0x40, 1, 0x10)), ("end",)],
   "end", "end", ops="pub1", rx=["1*PUBLISH(q1"], note="No matching subscribers: a success")
S5(G, "v5_puback_0x87",
   [("send", C5), ("wait", "PUBLISH(q1,1)"), ("send", ack5(0x40, 1, 0x87, strp(0x1F, b"denied")))] + pause_end(),
   still_usable("op-pub1:False"), "op-pub1:%s(135) end" % M, ops="pub1", rx=["1*PUBLISH(q1"],
   note="refused: publish() returns False (mqtt_as: raises); not resent")
S5(G, "v5_puback_bad_property",
   [("send", C5), ("wait", "PUBLISH(q1,1)"), ("send", ack5(0x40, 1, 0x00, u8p(0x01, 1))), ("end",)],
   "op-pub1:False after:OSError(-1)", "down op-pub1:pending end", ops="pub1",
   note="Payload Format Indicator in a PUBACK: malformed, the connection closes")
S5(G, "v5_puback_reason_not_for_puback",
   [("send", C5), ("wait", "PUBLISH(q1,1)"), ("send", ack5(0x40, 1, 0x8E)), ("end",)],
   "op-pub1:False after:OSError(-1)", "down op-pub1:pending end", ops="pub1",
   note="0x8E is not a PUBACK reason code: malformed")
S5(G, "v5_suback_granted_with_reason_string",
   [("send", C5), ("wait", "SUBSCRIBE(1)"), ("send", suback5(1, [0], strp(0x1F, b"ok"))), ("end",)],
   "end", "end", ops="sub0")
S5(G, "v5_suback_0x87",
   [("send", C5), ("wait", "SUBSCRIBE(1)"), ("send", suback5(1, [0x87]))] + pause_end(),
   still_usable("op-sub0:%s(135)" % M), "down op-sub0:pending end", ops="sub0",
   note="Not authorized")
S5(G, "v5_suback_0xa2",
   [("send", C5), ("wait", "SUBSCRIBE(1)"), ("send", suback5(1, [0xA2]))] + pause_end(),
   still_usable("op-sub0:%s(162)" % M), "down op-sub0:pending end", ops="sub0",
   note="Wildcard Subscriptions not supported")
S5(G, "v5_suback_reserved_0x03",
   [("send", C5), ("wait", "SUBSCRIBE(1)"), ("send", suback5(1, [0x03])), ("end",)],
   "op-sub0:%s(50) after:OSError(-1)" % M, "down op-sub0:pending end", ops="sub0",
   note="not a SUBACK reason code: malformed")
S5(G, "v5_unsuback_0x11",
   [("send", C5), ("wait", "UNSUBSCRIBE(1)"), ("send", suback5(1, [0x11], first=0xB0)), ("end",)],
   "end", "end", ops="unsub", note="No subscription existed: a success")
S5(G, "v5_unsuback_0x87",
   [("send", C5), ("wait", "UNSUBSCRIBE(1)"), ("send", suback5(1, [0x87], first=0xB0))] + pause_end(),
   still_usable("op-unsub:%s(135)" % M), "down op-unsub:pending end", ops="unsub")
S5(G, "v5_pubrec_0x80",
   [("send", C5), ("wait", "PUBLISH(q2,1)"), ("send", ack5(0x50, 1, 0x80))] + pause_end(),
   still_usable("op-pub2:False"), ops="pub2", rx=["!PUBREL", "1*PUBLISH(q2"], facades=["umqtt"],
   note="refused QoS 2 publish: no PUBREL follows, not resent (umqtt only: mqtt_as publishes QoS 0/1)")
S5(G, "v5_disconnect_0x8e",
   [("send", C5 + disconnect5(0x8E, strp(0x1F, b"bye"))), ("fin",)],
   "OSError(-1,'Session_taken_over') dr(142,{31:'bye'}) after:OSError(-1)", AS_DOWN,
   note="Session taken over, with a reason string")
S5(G, "v5_disconnect_reason_only",
   [("send", C5 + disconnect5(0x8B)), ("fin",)],
   "OSError(-1,'Server_shutting_down') dr(139,{}) after:OSError(-1)", AS_DOWN,
   note="no property length (3.14.2.2.1)")
S5(G, "v5_disconnect_session_expiry", [("send", C5 + disconnect5(0x8E, u32p(0x11, 10))), ("fin",)],
   bad5(50), AS_DOWN, note="the server must not send Session Expiry Interval (3.14.2.2.2): not allowed")
S5(G, "v5_disconnect_reason_not_for_disconnect", [("send", C5 + disconnect5(0x86)), ("fin",)],
   bad5(50), AS_DOWN, note="0x86 (CONNACK only) is not a DISCONNECT reason code: malformed")
S5(G, "v5_auth", [("send", C5 + pkt(0xF0, b"\x18\x00")), ("end",)], bad5(52), AS_DOWN,
   note="AUTH Continue authentication: enhanced authentication is not supported")
S5(G, "v5_auth_reauthenticate", [("send", C5 + pkt(0xF0, b"\x19" + props5(strp(0x15, b"SCRAM")))), ("end",)],
   bad5(52), AS_DOWN, note="AUTH Re-authenticate, with an Authentication Method")
S5(G, "v5_disconnect_flags", [("send", C5 + disconnect5(0x8E, first=0xE1)), ("end",)], bad5(50), AS_DOWN,
   note="reserved fixed-header flags 1")
S5(G, "v5_auth_flags", [("send", C5 + pkt(0xF1, b"\x18\x00")), ("end",)], bad5(50), AS_DOWN,
   note="reserved fixed-header flags 1")
S5(G, "v5_puback_flags", [("send", C5 + pkt(0x42, pid16(1) + b"\x00\x00")), ("end",)], bad5(50), AS_DOWN,
   note="reserved fixed-header flags 2")
