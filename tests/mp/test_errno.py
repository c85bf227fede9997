# umqtt.errno: every name and value of simple2 2.2.0's errno.py.
# offline
# The S* names are the status-callback values: 0 timeout, 1 delivered,
# 2 unknown pid.
from mqttutil import eq, check
import umqtt.errno as E

EXPECTED = {
    "EUNKNOWN": -1, "ECONCLOSE": 1, "EREADLEN": 2, "EWRITELEN": 3,
    "ESTRTOLONG": 4, "ERESPONSE": 6, "EKEEPALIVE": 7, "ENOCON": 8,
    "ECONUNKNOWN": 20, "ECONPROTOCOL": 21, "ECONREJECT": 22,
    "ECONUNAVAIBLE": 23, "ECONCREDENTIALS": 24, "ECONAUTH": 25,
    "ECONNOT": 28, "ECONLENGTH": 29, "ECONTIMEOUT": 30,
    "ESUBACKUNKNOWN": 40, "ESUBACKFAIL": 44,
    "STIMEOUT": 0, "SDELIVERED": 1, "SUNKNOWNPID": 2,
}
for name, val in EXPECTED.items():
    check(hasattr(E, name), "umqtt.errno.%s missing" % name)
    got = getattr(E, name)
    check(isinstance(got, int), "%s is not an int: %r" % (name, got))
    eq(got, val, "umqtt.errno." + name)
print(len(EXPECTED), "constants")
print("OK")
