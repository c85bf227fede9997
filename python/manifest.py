# Frozen manifest for firmware with umqtt-rs (FROZEN_MANIFEST=<this file>).
#
# FROZEN_MANIFEST replaces the port's own manifest, so first pull in what the
# unix port's standard variant freezes (asyncio, plus mip-cmdline and ssl
# from micropython-lib). Debian's MicroPython source package, which
# ports-build.sh uses by default, strips micropython-lib down to mip and
# requests, so that manifest fails there; then freeze asyncio alone, as
# Debian's own build does. Ports without a standard variant get asyncio too.
try:
    include("$(PORT_DIR)/variants/standard/manifest.py")
except Exception:
    include("$(MPY_DIR)/extmod/asyncio")

# umqtt/__init__.py, umqtt/errno.py, umqtt/simple2.py from the directory of
# this file. The native engine is the built-in module _umqtt (cmodule/).
package("umqtt")

# mqtt_as.py: `from mqtt_as import MQTTClient, config`, the asyncio client
# (Peter Hinch's mqtt_as API) on the same native engine. Needs asyncio, which
# the includes above freeze.
module("mqtt_as.py")
