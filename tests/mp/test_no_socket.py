# offline
# A firmware without a `socket` module (the QEMU boards have none) imports
# every façade; connect() then raises the ImportError that names the
# missing module (the package once turned it into "AttributeError: _net").
# Where the firmware has socket, a socket.py that raises ImportError,
# first on sys.path, hides it (only this test's process sees it).
# needs: simple robust robust2 client
import sys

try:
    import socket  # noqa: F401

    import os

    d = "/tmp/umqtt-no-socket-%d" % id(sys)
    try:
        os.mkdir(d)
    except OSError:
        pass
    with open(d + "/socket.py", "w") as f:
        f.write("raise ImportError(\"no module named 'socket'\")\n")
    sys.path.insert(0, d)
    sys.modules.pop("socket", None)
    try:
        import socket  # noqa: F811
        raise AssertionError("socket still importable")
    except ImportError:
        pass
except ImportError:
    pass  # really absent

import umqtt.simple2
import umqtt.simple
import umqtt.robust
import umqtt.robust2
from umqtt import MQTTClient as UClient
from umqtt.errno import ECONNOT

for cls in (umqtt.simple2.MQTTClient, umqtt.simple.MQTTClient, umqtt.robust.MQTTClient,
            umqtt.robust2.MQTTClient, UClient):
    c = cls("no-socket", "127.0.0.1")
    try:
        r = c.connect()
    except ImportError as e:
        if "socket" not in str(e):
            raise AssertionError("%s: ImportError without the module's name: %r" % (cls, e))
    except Exception as e:  # robust2 records connection issues
        raise AssertionError("%s: %r instead of ImportError" % (cls, e))
    else:
        raise AssertionError("%s: connect() returned %r" % (cls, r))
print("OK")
