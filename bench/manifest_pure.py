# Frozen manifest of the benchmark's "frozen pure" firmware (bench/build-fw.sh unix-pure; the
# rv32-pure one includes this file): the same base as python/manifest.py (the unix standard
# variant's modules, or asyncio where that manifest fails or the port has none), then the
# pure-Python umqtt.simple2 2.2.0 from PyPI as package `umqtt` (bench/pure.py extracts it to
# .cache/frozen/umqtt/). No umqtt-rs in this firmware.
try:
    include("$(PORT_DIR)/variants/standard/manifest.py")
except Exception:
    include("$(MPY_DIR)/extmod/asyncio")

package("umqtt", base_path=".cache/frozen")
