# user/password on the password listener.  Rejections are MQTTException
# with code 20+rc: mosquitto answers rc 5 (not authorized) or 4 (bad user
# name or password), i.e. 25 or 24.  A user without a password is encoded
# without the password field (accepted by the anonymous listener).
import testenv
from mqttutil import (check, eq, uid, topic, Recorder, wait_until,
                      subscribe_sync, mqtt_code, close_quietly)
from umqtt.simple2 import MQTTClient, MQTTException
import umqtt.errno as E

H, P = testenv.HOST, testenv.PORT_AUTH

c = MQTTClient(uid("auth"), H, port=P, user=testenv.USER, password=testenv.PASSWORD)
eq(c.connect(), 0, "connect with user/password")
rec = Recorder().install(c)
t = topic("auth")
subscribe_sync(c, rec, t)
c.publish(t, b"authed")
check(wait_until(c, lambda: rec.msgs), "no message on the password listener")
c.disconnect()

def rejected(**kw):
    x = MQTTClient(uid("bad"), H, port=P, **kw)
    try:
        x.connect()
    except MQTTException as e:
        code = mqtt_code(e)
        print("rejected", kw, "->", e.args)
        check(code in (E.ECONCREDENTIALS, E.ECONAUTH), "unexpected code %r" % (code,))
        return code
    finally:
        try:
            x.disconnect()
        except Exception:
            pass
    raise AssertionError("connect with %r was accepted" % (kw,))

rejected(user=testenv.USER, password="wrong")
rejected(user="nobody", password="x")
rejected()                        # anonymous on the password listener
rejected(user=testenv.USER)       # user without password

# user without password on the anonymous listener: accepted
u = MQTTClient(uid("useronly"), H, port=testenv.PORT, user="someone")
eq(u.connect(), 0, "user without password on the anonymous listener")
u.publish(t, b"x")
u.disconnect()
# empty password string is sent as a (zero-length) password field
u = MQTTClient(uid("emptypw"), H, port=testenv.PORT, user="someone", password="")
eq(u.connect(), 0, "empty password on the anonymous listener")
u.disconnect()
print("OK")
