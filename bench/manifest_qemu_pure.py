# bench/build-fw.sh rv32-pure: frozen pure simple2 as `umqtt` (manifest_pure.py) and the QEMU
# harness, frozen so that nothing is compiled on the device while its heap is measured.
include("manifest_pure.py")
module("memsock.py", base_path="mp")
module("app.py", base_path="mp")
