# needs: tls
# Mutual TLS: the 4th listener requires a client certificate signed by the
# test CA.  ssl_params as for ssl.wrap_socket() on MicroPython 1.26:
# key/cert (DER or PEM bytes, as tls.SSLContext.load_cert_chain takes),
# cadata (DER), cert_reqs, server_hostname.  Fails with the pure-Python
# reference because it does `import ussl` (gone since MicroPython 1.23).
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


def params(key, cert):
    p = {"server_hostname": testenv.SERVER_HOSTNAME,
         "cert_reqs": _ssl.CERT_REQUIRED, "cadata": CA}
    if key is not None:
        p["key"] = key
        p["cert"] = cert
    return p


for kind, key, cert in (("DER", testenv.CLIENT_KEY_DER, testenv.CLIENT_CERT_DER),
                        ("PEM", testenv.CLIENT_KEY_PEM, testenv.CLIENT_CERT_PEM)):
    c = MQTTClient(uid("mtls"), testenv.HOST, port=testenv.PORT_MTLS, ssl=True,
                   ssl_params=params(testenv.read(key), testenv.read(cert)))
    eq(c.connect(), 0, "mTLS connect with %s client cert" % kind)
    rec = Recorder()
    rec.install(c)
    t = topic("mtls")
    subscribe_sync(c, rec, t)
    pid = c.publish(t, kind.encode(), qos=1)
    check(wait_until(c, lambda: rec.msgs and (pid, 1) in rec.stats, 5), "no mTLS round trip")
    eq(rec.msgs[0][1], kind.encode(), "mTLS message")
    c.disconnect()

# no client certificate: the broker refuses (exception, not hang)
n = MQTTClient(uid("mtlsno"), testenv.HOST, port=testenv.PORT_MTLS, ssl=True,
               ssl_params=params(None, None), socket_timeout=5)
try:
    n.connect()
    # some TLS stacks only notice the rejection on the first read/write
    n.publish(b"x", b"y")
    n.ping()
    n.wait_msg()
    raise AssertionError("mTLS listener accepted a client without a certificate")
except AssertionError:
    raise
except Exception as e:
    print("no client cert ->", repr(e))
print("OK")
