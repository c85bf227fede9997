# umqtt.robust API (micropython-lib umqtt.robust 1.0.3) over umqtt-rs: a
# subclass of umqtt.simple.MQTTClient that reconnects (connect(False), i.e.
# resuming the broker session) when publish, wait_msg or check_msg hit a
# connection error (OSError), then repeats the operation.
#
# As in micropython-lib: subscribe, unsubscribe, connect, disconnect and ping
# are not wrapped; reconnect() retries only OSError (a refused CONNACK,
# MQTTException, propagates); nothing is resubscribed (use a persistent
# session, or override connect()). reconnect() calls self.connect, so a
# subclass's connect() runs on every reconnect.

import time

from . import simple


class MQTTClient(simple.MQTTClient):
    # The parent's methods are called as simple.MQTTClient.name(self, ...), not
    # through super(): the same lookup (MicroPython's super() searches the
    # bases of the class it is written in), and no method is a closure over
    # __class__.
    DELAY = 2
    DEBUG = False

    def delay(self, i):
        # Pause before reconnect attempt i (1, 2, ...).
        time.sleep(self.DELAY)

    def log(self, in_reconnect, e):
        if self.DEBUG:
            print(("mqtt reconnect: %r" if in_reconnect else "mqtt: %r") % e)

    def reconnect(self):
        attempt = 0
        while True:
            try:
                return self.connect(False)
            except OSError as e:
                self.log(True, e)
            attempt += 1
            self.delay(attempt)

    def publish(self, topic, msg, retain=False, qos=0):
        while True:
            try:
                return simple.MQTTClient.publish(self, topic, msg, retain, qos)
            except OSError as e:
                self.log(False, e)
            self.reconnect()

    def wait_msg(self):
        while True:
            try:
                return simple.MQTTClient.wait_msg(self)
            except OSError as e:
                self.log(False, e)
            self.reconnect()

    def check_msg(self, attempts=2):
        # Returns None once every attempt failed (each followed by a reconnect).
        while attempts:
            try:
                return simple.MQTTClient.check_msg(self)
            except OSError as e:
                self.log(False, e)
            self.reconnect()
            attempts -= 1
