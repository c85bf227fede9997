# umqtt.simple TLS: ssl=True with ssl_params (wrap_socket() keywords, as
# restored in micropython-lib 1.6.0), ssl=<tls.SSLContext> (wrap_socket is
# called with server_hostname=server), mutual TLS with key/cert, and a
# wrong CA failing.
# needs: simple
import testenv
from mqttutil import check, eq, raises, topic, uid
from umqtt.simple import MQTTClient
import tls

CA = testenv.read(testenv.CA_DER)
msgs = []


def roundtrip(c, tag):
    c.set_callback(lambda t, m: msgs.append((t, m)))
    eq(c.connect(), 0, tag + " connect")
    t = topic(tag)
    c.subscribe(t, qos=1)
    c.publish(t, tag.encode(), qos=1)
    while not msgs or msgs[-1] != (t, tag.encode()):
        c.wait_msg()
    c.disconnect()


params = {"server_hostname": testenv.SERVER_HOSTNAME, "cert_reqs": tls.CERT_REQUIRED, "cadata": CA}
roundtrip(MQTTClient(uid("tls"), testenv.HOST, port=testenv.PORT_TLS, ssl=True, ssl_params=params),
          "ssl_params")

ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(CA)
ctx.verify_mode = tls.CERT_REQUIRED
# The context gets server_hostname=server, so connect by name (mbedTLS
# does not match the certificate's IP SAN); localhost is 127.0.0.1 here.
c = MQTTClient(uid("ctx"), testenv.SERVER_HOSTNAME, port=testenv.PORT_TLS, ssl=ctx)
eq(c.port, testenv.PORT_TLS, "port")
eq(MQTTClient("x", "h", ssl=ctx).port, 8883, "port 0 with a context")
roundtrip(c, "context")

# mutual TLS, key/cert as bytes, then as file paths
mparams = dict(params, key=testenv.read(testenv.CLIENT_KEY_DER), cert=testenv.read(testenv.CLIENT_CERT_DER))
roundtrip(MQTTClient(uid("mtls"), testenv.HOST, port=testenv.PORT_MTLS, ssl=True, ssl_params=mparams),
          "mtls")
fparams = {"server_hostname": testenv.SERVER_HOSTNAME, "cert_reqs": tls.CERT_REQUIRED,
           "cafile": testenv.CA_PEM, "key": testenv.CLIENT_KEY_PEM, "cert": testenv.CLIENT_CERT_PEM}
roundtrip(MQTTClient(uid("mtlsf"), testenv.HOST, port=testenv.PORT_MTLS, ssl=True, ssl_params=fparams),
          "mtls-files")

# the wrong CA: the handshake fails (OSError / ValueError from tls), nothing hangs
bad = dict(params, cadata=testenv.read(testenv.OTHER_CA_DER))
c = MQTTClient(uid("bad"), testenv.HOST, port=testenv.PORT_TLS, ssl=True, ssl_params=bad)
e = raises(Exception, c.connect, True, 5)
print("wrong CA:", repr(e))
eq(c.sock, None, "no socket after a failed handshake")
print("OK")
