# umqtt-rs: the umqtt package. `from umqtt import MQTTClient` is the
# UIFlow2/QuecPython-style client (umqtt/_client.py), loaded on first use so
# that `import umqtt.simple2` (or .simple, .robust, .robust2) stays cheap.


def __getattr__(name):
    if name in ("MQTTClient", "MQTTException", "pid_gen"):
        return getattr(__getattr__("_client"), name)
    # `from . import simple` asks the package first: load the submodule. An
    # ImportError from inside one of ours (a module the firmware lacks) is
    # the real error and propagates.
    # (A constant tuple: frozen, it costs no heap.)
    if name not in ("simple2", "simple", "robust", "robust2", "errno", "_net", "_client"):
        raise AttributeError(name)
    return __import__(name, None, None, (name,), 1)  # `from . import <name>`
