# Frozen manifest for ESP32-family firmware with umqtt-rs
# (FROZEN_MANIFEST=<this file>; ports-build.sh esp32|esp32c3|esp32s3 uses it).
#
# ports/esp32/boards/manifest.py (MicroPython 1.26) without
# require("umqtt.simple") and require("umqtt.robust"): micropython-lib's
# umqtt package must not be frozen next to ours, or one of the two `umqtt`
# packages would shadow the other.
freeze("$(PORT_DIR)/modules")
include("$(MPY_DIR)/extmod/asyncio")
require("bundle-networking")
require("aioespnow")
require("dht")
require("ds18x20")
require("neopixel")
require("onewire")
require("upysh")

# The facades of the build's profile (UMQTT_PROFILE, UMQTT_FACADES): see
# python/manifest.py.
include("$(UMQTT_MANIFEST)")
