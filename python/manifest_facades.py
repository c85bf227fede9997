# The frozen Python part of umqtt-rs: the facades a build selects.
#
# micropython.mk and micropython.cmake include this file, through the
# manifest they generate for the build, as $(UMQTT_MANIFEST):
#     include("$(UMQTT_MANIFEST)")
# freezes the facades of UMQTT_PROFILE / UMQTT_FACADES (docs/building.md).
# A manifest of your own can also include it directly:
#     include("/path/to/umqtt-rs/python/manifest_facades.py", facades="simple2,mqtt_as")
#
# options.facades: names separated by commas or spaces, "none" for none.
options.defaults(facades="simple2 robust2 simple robust client mqtt_as tls")

# The umqtt package's files each facade imports (besides __init__ and errno,
# which every facade has). mqtt_as is a top-level module of its own. `tls`
# is not a facade but umqtt._net: ssl=True with ssl_params (the old
# ssl.wrap_socket() keywords) for every facade; mqtt_as imports it itself.
# Without it ssl=True raises the ImportError that names umqtt._net, and an
# SSLContext passed as ssl works as everywhere.
_PACKAGE_FILES = {
    "simple2": ("simple2.py",),
    "robust2": ("robust2.py", "simple2.py"),
    "simple": ("simple.py",),
    "robust": ("robust.py", "simple.py"),
    # `from umqtt import MQTTClient` (umqtt/_client.py) reconnects with robust.
    "client": ("_client.py", "robust.py", "simple.py"),
    "mqtt_as": ("_net.py",),
    "tls": ("_net.py",),
}

_names = options.facades.replace(",", " ").split()
if _names == ["none"]:
    _names = []
for _name in _names:
    if _name not in _PACKAGE_FILES:
        raise ValueError(
            "umqtt: unknown facade %r in UMQTT_FACADES; choose from: %s (or none)"
            % (_name, " ".join(_PACKAGE_FILES))
        )

_files = []
for _name in _names:
    for _f in ("__init__.py", "errno.py") + _PACKAGE_FILES[_name]:
        if _f not in _files:
            _files.append(_f)
# umqtt/__init__.py loads `from umqtt import MQTTClient` lazily: without the
# client façade the package gets an empty one instead (umqtt_plain/).
if _files and "client" not in _names:
    _files.remove("__init__.py")
    module("umqtt/__init__.py", base_path="umqtt_plain", opt=3)
# opt=3 (mpy-cross -O3): no line-number tables (tracebacks through a façade
# show no line numbers) and no assert statements, which the façades do not
# use: the AssertionErrors of their API are raised explicitly.
if _files:
    package("umqtt", files=_files, opt=3)
if "mqtt_as" in _names:
    # mqtt_as runs on asyncio; a manifest that already froze it is not
    # frozen twice (include() skips a manifest seen before).
    include("$(MPY_DIR)/extmod/asyncio")
    module("mqtt_as.py", opt=3)
