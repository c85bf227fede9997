# A firmware built without MQTT 5 (cargo --no-default-features and
# -DUMQTT_MQTT5=0, the minimal profile): _umqtt.MQTT5 is False, every façade
# still imports, and asking for MQTT 5 is one clear ValueError -- at
# construction (MQTTClient(version=5), mqtt_as mqttv5=True) and in the engine
# (_connect / _nb_connect with version 5, where the firmware has them),
# before anything is sent; so are properties (see below).
import _umqtt
from mqttutil import eq, have, raises, skip, ok
from fakesock import scripted, finish

if _umqtt.MQTT5:
    skip("MQTT 5 is built into this firmware")

import umqtt.simple2  # every profile has it; the others as the profile chose

TEXT = "MQTT version 5 is not in this firmware (built without UMQTT_MQTT5)"


def refused(fn, *args):
    eq(str(raises(ValueError, fn, *args)), TEXT, "message")


for module in ("umqtt.simple", "umqtt.robust", "umqtt.robust2"):
    have(module)  # imports (or is left out of the firmware)
if have("umqtt._client"):
    from umqtt import MQTTClient

    refused(lambda: MQTTClient("c", "127.0.0.1", version=5))
if have("mqtt_as"):
    import mqtt_as

    refused(lambda: mqtt_as.MQTTClient(dict(mqtt_as.config, mqttv5=True, server="127.0.0.1")))
c, fake, real = scripted("nov5")
# _connect comes with what asks for a version (the other façades, MQTT 3.1
# or 5): simple2's connect() alone, the minimal profile, always asks for
# MQTT 3.1.1 and has no way to ask for 5.
if hasattr(c, "_connect"):
    refused(c._connect, True, 5)
if hasattr(c, "_nb_connect"):  # the non-blocking calls come with mqtt_as
    refused(c._nb_connect, True, 5)
# The calls' properties: with the micropython-lib façades (which pass
# theirs through) the argument is there and anything but None is a
# ValueError; a simple2-only firmware has simple2's signatures: TypeError.
exc = ValueError if hasattr(_umqtt, "Client") else TypeError
raises(exc, lambda: c.publish("t", b"x", properties={1: 1}))
raises(exc, c.subscribe, "t", 0, {1: 1})
raises(exc, c.unsubscribe, "t", {1: 1})
# Subscription options beyond the QoS: MQTT 5's (ValueError) where the
# calls take MQTT 5's arguments, else simple2's qos (AssertionError).
c.set_callback(lambda *a: None)
raises(ValueError if hasattr(_umqtt, "Client") else AssertionError, c.subscribe, "t", 4)
eq(bytes(fake.tx), b"", "nothing sent")
finish(c, real)
ok()
