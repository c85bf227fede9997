# The reaction tokens the hostile clients (client.py, client_as.py) print;
# see broker.py for their meaning.


def ev(token):
    print("EV " + token)


def exc_token(e):
    name = type(e).__name__
    args = getattr(e, "args", ())
    if name == "OSError" and args:
        return "OSError(%s)" % args[0]
    return "%s(%s)" % (name, ",".join(str(a) for a in args))


def payload_text(b):
    if len(b) <= 16:
        return repr(bytes(b))
    return "len=%d,sum=%d" % (len(b), sum(b) & 0xFFFF)


def valid_topic(t):
    # What a callback may get as a topic: a valid MQTT topic name.
    if not isinstance(t, bytes) or not t:
        return False
    try:
        t.decode("utf-8")
    except UnicodeError:
        return False
    return b"#" not in t and b"+" not in t and b"\x00" not in t


# --- MQTT 5 (scenarios run with version=5 / mqttv5) ---------------------------
# Tokens never contain a space (the runner splits expectations on spaces):
# a space inside a string is written '_'.


def _text(v):
    if isinstance(v, dict):
        return "{" + ",".join("%s:%s" % (_text(k), _text(v[k])) for k in sorted(v)) + "}"
    if isinstance(v, (list, tuple)):
        inner = ",".join(_text(x) for x in v)
        return ("[%s]" if isinstance(v, list) else "(%s)") % inner
    return repr(v).replace(" ", "_")


def props_text(p):
    # A received properties dict, keys in order: {3:'text/plain',38:[('k','v')]}
    return _text(p)


def valid_props(p):
    # What a callback may get as MQTT 5 properties: a dict of property ids.
    return isinstance(p, dict) and all(isinstance(k, int) and 1 <= k <= 0x2A for k in p)


def exc_token5(e):
    # Every argument: OSError(-1,'Session_taken_over'), MQTTException(135).
    return "%s(%s)" % (type(e).__name__, ",".join(
        str(a) if isinstance(a, int) else _text(a) for a in getattr(e, "args", ())))
