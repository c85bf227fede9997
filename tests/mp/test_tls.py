# needs: tls
# TLS: ssl=True with ssl_params against the TLS listener (server auth only).
#
# ssl_params are written the way a MicroPython 1.26 user writes them for
# ssl.wrap_socket() (micropython-lib `ssl`, a thin layer over the built-in
# `tls` module): keys server_hostname / cert_reqs / cadata, with cadata the
# CA certificate in DER (what tls.SSLContext.load_verify_locations(cadata=)
# takes).  CERT_REQUIRED comes from `ssl` if present, else from `tls`
# (stock unix 1.26 has only `tls`; the value is the same).
#
# The pure-Python simple2 2.2.0 does `import ussl`, which does not exist on
# MicroPython >= 1.23, so this test fails with the reference (upstream bug).
import testenv
from mqttutil import (check, eq, uid, topic, Recorder, wait_until,
                      subscribe_sync, close_quietly)
from umqtt.simple2 import MQTTClient

try:
    import ssl as _ssl
    _ssl.CERT_REQUIRED
except (ImportError, AttributeError):
    import tls as _ssl

CA = testenv.read(testenv.CA_DER)

params = {"server_hostname": testenv.SERVER_HOSTNAME,
          "cert_reqs": _ssl.CERT_REQUIRED,
          "cadata": CA}
c = MQTTClient(uid("tls"), testenv.HOST, port=testenv.PORT_TLS, ssl=True,
               ssl_params=params)
eq(c.ssl, True, "ssl attribute")
eq(c.connect(), 0, "TLS connect")
rec = Recorder()
rec.install(c)
t = topic("tls")
subscribe_sync(c, rec, t, qos=1)
pid = c.publish(t, b"over-tls", qos=1)
big = bytes(range(256)) * 40  # 10 KB across several TLS records
c.publish(t, big)
check(wait_until(c, lambda: len(rec.msgs) >= 2 and (pid, 1) in rec.stats, 10),
      "msgs=%d stats=%r" % (len(rec.msgs), rec.stats))
eq(rec.msgs[0], (t, b"over-tls", False, False), "message over TLS")
check(rec.msgs[1][1] == big, "10 KB payload over TLS")
c.ping()
check(wait_until(c, lambda: False, 0.3) is False)
eq(c.check_msg(), None, "check_msg idle over TLS")
c.disconnect()
eq(c.sock, None, "sock after TLS disconnect")
# reconnect the same object
eq(c.connect(), 0, "TLS reconnect")
c.disconnect()

# TLS without verification (cert_reqs CERT_NONE) also works
n = MQTTClient(uid("tlsnv"), testenv.HOST, port=testenv.PORT_TLS, ssl=True,
               ssl_params={"cert_reqs": _ssl.CERT_NONE})
eq(n.connect(), 0, "TLS connect without verification")
n.disconnect()

# verification against an unrelated CA must fail (not connect, not hang)
bad = MQTTClient(uid("tlsbad"), testenv.HOST, port=testenv.PORT_TLS, ssl=True,
                 ssl_params={"server_hostname": testenv.SERVER_HOSTNAME,
                             "cert_reqs": _ssl.CERT_REQUIRED,
                             "cadata": testenv.read(testenv.OTHER_CA_DER)},
                 socket_timeout=5)
try:
    bad.connect()
    raise AssertionError("TLS connect with the wrong CA succeeded")
except AssertionError:
    raise
except Exception as e:
    print("wrong CA ->", repr(e))
print("OK")
