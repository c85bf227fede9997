# offline
# connect() turns Nagle off on the raw socket: setsockopt(IPPROTO_TCP,
# TCP_NODELAY, 1) with the numbers every stack uses (6, 1), best effort: a
# socket without setsockopt connects as well.
from mqttutil import eq, ok
from fakesock import CONNACK, FakeSock, over_fake_socket
from umqtt.simple2 import MQTTClient


class OptSock(FakeSock):
    def __init__(self, data):
        super().__init__(data)
        self.opts = []

    def setsockopt(self, level, opt, value):
        self.opts.append((level, opt, value))


fake = OptSock(CONNACK)
c = MQTTClient("nodelay", "offline.invalid")
eq(over_fake_socket(fake, c.connect), 0, "connects")
eq(fake.opts, [(6, 1, 1)], "setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)")
c.disconnect()

bare = FakeSock(CONNACK)  # no setsockopt: AttributeError, ignored
c = MQTTClient("nodelay2", "offline.invalid")
eq(over_fake_socket(bare, c.connect), 0, "connects without setsockopt")
c.disconnect()
ok()
