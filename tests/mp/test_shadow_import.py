# Import shadowing: a leftover umqtt/simple2.py (e.g. an old upip install
# in ~/.micropython/lib or /lib) on a sys.path entry *after* the frozen
# one must not replace the firmware's built-in umqtt.simple2.  Only
# meaningful for firmware with umqtt.simple2 built in; SKIPs otherwise.
import sys
import os
import testenv


def check(cond, msg="check failed"):
    if not cond:
        raise AssertionError(msg)


def eq(got, exp, what):
    if got != exp:
        raise AssertionError("%s: got %r, expected %r" % (what, got, exp))


def purge():
    for m in ("umqtt.simple2", "umqtt.errno", "umqtt"):
        if m in sys.modules:
            del sys.modules[m]


def builtin(mod):
    # Frozen modules report a relative __file__ ("umqtt/simple2.py" on 1.26,
    # ".frozen/..." on some versions); files found on sys.path are absolute
    # here, because every directory this test adds is.
    f = getattr(mod, "__file__", None)
    return f is None or not f.startswith("/")


d = "shadowlib"  # relative to the test's fresh working directory
for p in (d, d + "/umqtt"):
    try:
        os.mkdir(p)
    except OSError:
        pass
with open(d + "/umqtt/__init__.py", "w") as f:
    f.write("")
with open(d + "/umqtt/simple2.py", "w") as f:
    f.write("print('SHADOW')\nSHADOW = True\nclass MQTTClient:\n    SHADOW = True\n"
            "class MQTTException(Exception):\n    pass\n")
with open(d + "/umqtt/errno.py", "w") as f:
    f.write("SHADOW = True\n")
cwd = os.getcwd()
d = cwd + "/" + d
sys.path.append(d)
print("sys.path:", sys.path)

import umqtt.simple2 as m
if getattr(m, "SHADOW", False):
    # Either the built-in was shadowed, or there is no built-in at all.
    sys.path.remove(d)
    purge()
    try:
        import umqtt.simple2 as real
    except ImportError:
        print("SKIP no umqtt.simple2 built into this firmware")
        sys.exit(0)
    if not builtin(real):
        print("SKIP umqtt.simple2 is not built in (%s)" % real.__file__)
        sys.exit(0)
    raise AssertionError("built-in umqtt.simple2 shadowed by %s" % d)

if not builtin(m):
    print("SKIP umqtt.simple2 is not built in (%s)" % m.__file__)
    sys.exit(0)
check(not hasattr(m.MQTTClient, "SHADOW"), "shadow MQTTClient")
check(hasattr(m.MQTTClient, "connect") and hasattr(m.MQTTClient, "check_msg"),
      "MQTTClient is not the real client")
from umqtt.simple2 import MQTTClient, MQTTException, pid_gen
import umqtt.errno as E
check(not hasattr(E, "SHADOW"), "umqtt.errno shadowed")
eq(E.ECONTIMEOUT, 30, "umqtt.errno.ECONTIMEOUT")
c = MQTTClient("shadow", testenv.HOST, port=testenv.PORT)
eq(c.connect(), 0, "connect")
c.disconnect()
print("OK")
