# bench/build-fw.sh rv32-native: what ./ports-build.sh qemu-rv32 freezes (umqtt-rs's façades) and
# the QEMU harness, frozen so that nothing is compiled on the device while its heap is measured.
include("../python/manifest.py")
module("memsock.py", base_path="mp")
module("app.py", base_path="mp")
