# offline
# A firmware built without MQTT 3.1 (cargo without the feature mqtt31 and
# -DUMQTT_MQTT31=0, the minimal profile): _umqtt.MQTT31 is False, and asking
# for version 3 is one clear ValueError from the engine (_connect /
# _nb_connect with version 3, where the firmware has them;
# umqtt.MQTTClient(version=3) at connect), before anything is sent;
# connect() (version 4) then still connects.
import _umqtt
import umqtt.simple2
from mqttutil import eq, have, raises, skip, ok
from fakesock import CONNACK, FakeSock, over_fake_socket, scripted, finish

if _umqtt.MQTT31:
    skip("MQTT 3.1 is built into this firmware")

TEXT = "MQTT version 3 is not in this firmware (built without UMQTT_MQTT31)"


def refused(fn, *args):
    eq(str(raises(ValueError, fn, *args)), TEXT, "message")


if have("umqtt._client"):  # umqtt.MQTTClient, if the firmware has it
    from umqtt import MQTTClient

    q = MQTTClient("c", "127.0.0.1", version=3, thread=False)
    q._attach(FakeSock(CONNACK))
    refused(q._connect, True, q._VERSION)
c, fake, real = scripted("nov31", CONNACK)
# _connect comes with what asks for a version (the other façades, MQTT 3.1
# or 5): simple2's connect() alone, the minimal profile, always asks for
# MQTT 3.1.1 and has no way to ask for 3.
if hasattr(c, "_connect"):
    refused(c._connect, True, 3)
if hasattr(c, "_nb_connect"):  # the non-blocking calls come with mqtt_as
    refused(c._nb_connect, True, 3)
eq(bytes(fake.tx), b"", "nothing sent")
fake = FakeSock(CONNACK)  # simple2's connect() (not offline_client's), over a new FakeSock
eq(over_fake_socket(fake, umqtt.simple2.MQTTClient.connect, c), 0, "MQTT 3.1.1 connects")
sent = bytes(fake.tx)
eq((sent[:1], sent[2:9]), (b"\x10", b"\x00\x04MQTT\x04"), "MQTT 3.1.1 CONNECT")
finish(c, real)
ok()
