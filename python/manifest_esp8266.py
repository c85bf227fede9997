# Frozen manifest for ESP8266 firmware with umqtt-rs
# (FROZEN_MANIFEST=<this file>; see ports-build.sh esp8266).
#
# ports/esp8266/boards/ESP8266_GENERIC/manifest_2MiB.py (MicroPython 1.26)
# without require("umqtt.simple") and require("umqtt.robust"):
# micropython-lib's umqtt package must not be frozen next to ours.
include("$(PORT_DIR)/boards/manifest.py")
include("$(MPY_DIR)/extmod/asyncio")
require("ssd1306")
require("upysh")

# The facades of the build's profile (UMQTT_PROFILE, UMQTT_FACADES): see
# python/manifest.py.
include("$(UMQTT_MANIFEST)")
