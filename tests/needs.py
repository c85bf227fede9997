"""What a test needs that a firmware profile may leave out (tests/README.md).

A test script declares it in a header line among its first lines:

    # needs: robust client mqtt5

The words are the facades of UMQTT_FACADES beyond umqtt.simple2 (every
build has simple2, umqtt.errno and the package's __init__), ``tls``
(umqtt._net: ssl=True with ssl_params; UMQTT_FACADES' tls), ``mqtt5``
(the engine's MQTT 5, UMQTT_MQTT5), ``mqtt31`` (its MQTT 3.1, UMQTT_MQTT31),
``nonblocking`` (the client's _nb_* calls and stream protocol, which come
with the mqtt_as facade) and ``qos2`` (the engine's QoS 2 flows, UMQTT_QOS2,
which come with umqtt.MQTTClient and mqtt_as). tests/run.py and tests/qemu.py probe
the firmware once (PROBE, run on it) and report a test whose needs it lacks
as skipped, with the reason, without running it.
"""

import re

# need -> (module that imports when the firmware has it, name in reasons)
FEATURES = {
    "robust2": ("umqtt.robust2", "umqtt.robust2"),
    "simple": ("umqtt.simple", "umqtt.simple"),
    "robust": ("umqtt.robust", "umqtt.robust"),
    "client": ("umqtt._client", "umqtt.MQTTClient"),
    "mqtt_as": ("mqtt_as", "mqtt_as"),
    "tls": ("umqtt._net", "umqtt._net (tls: ssl=True with ssl_params)"),
    "mqtt5": (None, "MQTT 5"),
    "mqtt31": (None, "MQTT 3.1"),
    "nonblocking": (None, "the non-blocking calls (built with mqtt_as)"),
    "qos2": (None, "the QoS 2 flows (built with umqtt.MQTTClient or mqtt_as)"),
}

NEEDS_RE = re.compile(rb"^#\s*needs:(.*)$", re.M)

# MicroPython code: prints one line "PROBE name=0|1 ...". A module is absent
# when importing it fails naming that very module; an ImportError naming
# another (mqtt_as needs socket, which the QEMU boards lack) means it is there.
PROBE = """\
def _have(m):
    try:
        __import__(m)
        return 1
    except ImportError as e:
        return 0 if repr(m) in str(e) else 1
try:
    import _umqtt
    _v5 = 1 if getattr(_umqtt, "MQTT5", True) else 0
    _v31 = 1 if getattr(_umqtt, "MQTT31", True) else 0
    # (no Client at all in a firmware without the micropython-lib facades)
    _nb = 1 if hasattr(getattr(_umqtt, "Client", None), "_nb_receive") else 0
    try:  # without the QoS 2 flows a client's max_qos is at most 1
        _umqtt.Simple2(None, "c", "h", max_qos=2)
        _q2 = 1
    except (ValueError, TypeError):  # (TypeError: no max_qos keyword at all)
        _q2 = 0
except ImportError:
    _v5 = _v31 = _nb = _q2 = 0
print("PROBE", %s, "mqtt5=%%d" %% _v5, "mqtt31=%%d" %% _v31, "nonblocking=%%d" %% _nb, "qos2=%%d" %% _q2)
""" % ", ".join('"%s=%%d" %% _have(%r)' % (n, m) for n, (m, _) in FEATURES.items() if m)


def parse_probe(text):
    """The set of FEATURES the firmware has, from PROBE's output."""
    for line in text.replace("\r", "").split("\n"):
        if line.startswith("PROBE "):
            have = set()
            for word in line.split()[1:]:
                name, _, v = word.partition("=")
                if v == "1":
                    have.add(name)
            return have
    raise RuntimeError("the firmware probe printed no PROBE line:\n" + text[-2000:])


def needs_of(source):
    """The needs a test's source (bytes) declares; ValueError for unknown words."""
    out = []
    for m in NEEDS_RE.finditer(source[:2000]):
        for word in m.group(1).decode().split():
            if word not in FEATURES:
                raise ValueError("unknown need %r (known: %s)" % (word, " ".join(FEATURES)))
            out.append(word)
    return out


def describe(have):
    """One line: what the probed firmware has."""
    return "facades simple2%s; MQTT 5 %s; MQTT 3.1 %s; QoS 2 %s" % (
        "".join(", " + FEATURES[n][1] for n in FEATURES if n not in ("mqtt5", "mqtt31", "qos2") and n in have),
        "on" if "mqtt5" in have else "off", "on" if "mqtt31" in have else "off",
        "on" if "qos2" in have else "off")


def skip_reason(source, have):
    """None when the firmware has everything the test needs, else the reason."""
    missing = [FEATURES[n][1] for n in needs_of(source) if n not in have]
    if not missing:
        return None
    return "needs %s: left out of this firmware (its profile, UMQTT_FACADES, UMQTT_MQTT5, UMQTT_MQTT31)" % (
        ", ".join(missing))
