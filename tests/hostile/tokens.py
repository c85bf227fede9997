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
