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

# The facades of the build's profile (UMQTT_PROFILE, UMQTT_FACADES): the
# manifest micropython.mk / micropython.cmake generate includes
# manifest_facades.py with them (umqtt/*.py, mqtt_as.py from this directory).
# The native engine is the built-in module _umqtt (cmodule/).
try:
    include("$(UMQTT_MANIFEST)")
except Exception as e:
    if "$(UMQTT_MANIFEST)" not in str(e):
        raise
    raise Exception(
        "$(UMQTT_MANIFEST) is not defined: build with umqtt-rs as a user C module "
        "(USER_C_MODULES=...), whose micropython.mk / micropython.cmake define it"
    )
