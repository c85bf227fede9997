# umqtt-rs: the umqtt package. `from umqtt import MQTTClient` is the
# UIFlow2/QuecPython-style client (umqtt/_client.py), loaded on first use so
# that `import umqtt.simple2` (or .simple, .robust, .robust2) stays cheap.


def __getattr__(name):
    if name in ("MQTTClient", "MQTTException", "pid_gen"):
        from . import _client

        return getattr(_client, name)
    # `from . import simple` asks the package first: load the submodule.
    try:
        return __import__("umqtt." + name, None, None, (name,))
    except ImportError:
        raise AttributeError(name)
