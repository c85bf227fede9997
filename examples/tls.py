# MQTT over TLS with umqtt.simple2: ssl=True and ssl_params as for
# ssl.wrap_socket() (the server certificate is verified against a CA).
#
#   python3 tests/broker.py --tls --run build/unix/micropython examples/tls.py
#
# tests/broker.py --tls opens a TLS listener and sets MQTT_TLS_PORT, MQTT_CA
# (the CA certificate, DER) and MQTT_SERVER_HOSTNAME. Without them this
# prints a SKIP line and exits 0. Exits 1 if the round trip fails.
import os
import sys
import time

from umqtt.simple2 import MQTTClient

PORT = os.getenv("MQTT_TLS_PORT")
if not PORT or not os.getenv("MQTT_CA"):
    print("SKIP no TLS listener: run under tests/broker.py --tls")
    sys.exit(0)
try:
    from ssl import CERT_REQUIRED
except ImportError:
    from tls import CERT_REQUIRED

with open(os.getenv("MQTT_CA"), "rb") as f:
    ca = f.read()
hostname = os.getenv("MQTT_SERVER_HOSTNAME") or "localhost"
stamp = time.ticks_ms()
topic = b"umqtt-rs/examples/tls/%d" % stamp
got = []

c = MQTTClient("ex-tls-%d" % stamp, "127.0.0.1", port=int(PORT), ssl=True,
               ssl_params={"server_hostname": hostname, "cert_reqs": CERT_REQUIRED, "cadata": ca})
c.set_callback(lambda t, m, retained, dup: got.append(m))
c.connect()  # TCP, TLS handshake (certificate checked against the CA and hostname), CONNECT
print("connected over TLS to 127.0.0.1:%s (server name %s)" % (PORT, hostname))
c.subscribe(topic, 1)
c.publish(topic, b"secret" * 100, qos=1)
deadline = time.ticks_add(time.ticks_ms(), 5000)
while not got and time.ticks_diff(deadline, time.ticks_ms()) > 0:
    c.check_msg()
    time.sleep_ms(5)
c.disconnect()
print("received %d bytes back" % (len(got[0]) if got else 0))
sys.exit(0 if got == [b"secret" * 100] else 1)
