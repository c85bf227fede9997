# needs: tls
# TLS certificate verification (cert_reqs=CERT_REQUIRED): the right CA and
# host name connect; a wrong CA, a wrong host name or an expired server
# certificate are refused -- an exception from connect() that names the
# verification failure, within socket_timeout, and no connection.
#
# Listeners (tests/run.py): PORT_TLS serves server.pem (CN/SAN localhost,
# IP 127.0.0.1, signed by CA); PORT_TLS_EXPIRED serves the same key and
# names in a certificate valid only in January 2020.
# timeout: 60
import time

import testenv
from mqttutil import check, eq, uid
from umqtt.simple2 import MQTTClient

try:
    import ssl as _ssl
    _ssl.CERT_REQUIRED
except (ImportError, AttributeError):
    import tls as _ssl

if not getattr(testenv, "PORT_TLS_EXPIRED", 0):
    print("SKIP no expired-certificate listener")
    raise SystemExit

CA = testenv.read(testenv.CA_DER)


def params(hostname=testenv.SERVER_HOSTNAME, ca=CA):
    return {"server_hostname": hostname, "cert_reqs": _ssl.CERT_REQUIRED, "cadata": ca}


def refused(what, port, p):
    c = MQTTClient(uid("tlsv"), testenv.HOST, port=port, ssl=True, ssl_params=p, socket_timeout=5)
    t0 = time.ticks_ms()
    try:
        c.connect()
    except Exception as e:  # the error the application sees
        dt = time.ticks_diff(time.ticks_ms(), t0)
        text = repr(e)
        print("%s -> %s (%d ms)" % (what, text, dt))
        check(isinstance(e, OSError) or isinstance(e, ValueError), "%s: TLS error type %r" % (what, e))
        check("VERIFY" in text.upper() or "CERT" in text.upper(), "%s: error names the verification: %s" % (what, text))
        check(dt < 6000, "%s: refused within socket_timeout" % what)
        eq(c.sock, None, "%s: no socket left attached" % what)
        return
    c.disconnect()
    raise AssertionError("%s: connected" % what)


# the right CA and host name. (server_hostname="127.0.0.1" is refused too:
# the mbedTLS of MicroPython 1.26 matches DNS names and the CN, not the
# certificate's IP address SAN.)
ok = MQTTClient(uid("tlsv"), testenv.HOST, port=testenv.PORT_TLS, ssl=True, ssl_params=params())
eq(ok.connect(), 0, "CERT_REQUIRED with the right CA and server_hostname")
ok.disconnect()

refused("wrong CA", testenv.PORT_TLS, params(ca=testenv.read(testenv.OTHER_CA_DER)))
refused("wrong host name", testenv.PORT_TLS, params("not-the-server.example"))
refused("expired certificate", testenv.PORT_TLS_EXPIRED, params())
print("OK")
