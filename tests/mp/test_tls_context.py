# TLS with an SSLContext as simple2's `ssl` (every firmware: no umqtt._net
# needed), its server name from ssl_params["server_hostname"]; and, in a
# firmware without umqtt._net (the minimal profile, no `tls` in
# UMQTT_FACADES), ssl=True is the ImportError that names it, raised before
# any socket is left open.
import tls

import testenv
from mqttutil import check, eq, raises, uid, topic, Recorder, wait_until, subscribe_sync, have
from umqtt.simple2 import MQTTClient

ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
ctx.verify_mode = tls.CERT_REQUIRED
ctx.load_verify_locations(testenv.read(testenv.CA_DER))  # (positional only on 1.26)
c = MQTTClient(uid("tlsctx"), testenv.HOST, port=testenv.PORT_TLS, ssl=ctx,
               ssl_params={"server_hostname": testenv.SERVER_HOSTNAME})
eq(c.connect(), 0, "TLS connect with an SSLContext")
rec = Recorder()
rec.install(c)
t = topic("tlsctx")
subscribe_sync(c, rec, t, qos=1)
pid = c.publish(t, b"over-tls", qos=1)
check(wait_until(c, lambda: rec.msgs and (pid, 1) in rec.stats, 10), "msgs=%r stats=%r" % (rec.msgs, rec.stats))
eq(rec.msgs[0], (t, b"over-tls", False, False), "message over TLS")
c.disconnect()

# The wrong server name fails verification (not connect, not hang).
bad = MQTTClient(uid("tlsctxbad"), testenv.HOST, port=testenv.PORT_TLS, ssl=ctx,
                 ssl_params={"server_hostname": "wrong.invalid"}, socket_timeout=5)
print("wrong host name ->", repr(raises(Exception, bad.connect)))
eq(bad.sock, None, "no socket after a failed TLS connect")

if not have("umqtt._net"):
    c = MQTTClient(uid("tlsnonet"), testenv.HOST, port=testenv.PORT_TLS, ssl=True)
    e = raises(ImportError, c.connect)
    check("umqtt._net" in str(e), "ImportError names umqtt._net: %r" % e)
    eq(c.sock, None, "no socket after ssl=True without umqtt._net")
print("OK")
