#!/usr/bin/env bash
# Builds the benchmark's own firmware variants, from the same MicroPython source and with the
# same make arguments as ./ports-build.sh's (bench/run.py runs this; make is incremental):
#
#   bench/build-fw.sh unix-pure    -> build/bench/unix-pure/micropython: the unix port with the
#                                     pure-Python umqtt.simple2 2.2.0 (PyPI, sha256-pinned) frozen
#                                     in as package `umqtt`, and no umqtt-rs
#   bench/build-fw.sh rv32-pure    -> build/bench/rv32-pure/firmware.elf: qemu VIRT_RV32, the same
#                                     frozen pure package, plus ports/qemu's shim (clock, time,
#                                     select) and the QEMU harness (bench/mp/memsock.py, app.py)
#   bench/build-fw.sh rv32-native  -> build/bench/rv32-native/firmware.elf: ./ports-build.sh
#                                     qemu-rv32's firmware (umqtt-rs) plus the same harness
#
# The harness is frozen so that nothing is compiled on the device while its heap is measured.
# Prints the firmware's path.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OUT=$ROOT/build/bench
JOBS=$(nproc 2>/dev/null || echo 2)

python3 "$HERE/pure.py" frozen "$HERE/.cache/frozen" >/dev/null
mpy=$("$ROOT/ports-build.sh" source)
make -s -C "$mpy/mpy-cross" -j"$JOBS" >/dev/null

# qemu VIRT_RV32 as ports-build.sh's qemu_make builds it (Debian's GCC multilibs) with its heap
# size (QEMU_HEAP); make does not track CFLAGS or the shim, so a build directory is started
# afresh when they change. rv32 NAME MANIFEST USER_C_MODULES
rv32() {
    local name=$1 manifest=$2 cmods=$3 heap key dir
    heap=$(sed -n 's/^QEMU_HEAP=\([0-9][0-9]*\).*/\1/p' "$ROOT/ports-build.sh")
    local args=(BOARD=VIRT_RV32 BUILD="build-bench-$name" RV32_ARCH=rv32imac
        "AFLAGS=-mabi=ilp32 -march=rv32imac_zicsr" USER_C_MODULES="$cmods"
        FROZEN_MANIFEST="$manifest" MICROPY_HEAP_SIZE="${heap:-524288}")
    key=$({
        printf '%s\n' "${args[@]}"
        cat "$ROOT/ports/qemu/"*
    } | sha256sum | cut -c1-16)
    dir=$mpy/ports/qemu/build-bench-$name
    if [ "$(cat "$dir/.bench-key" 2>/dev/null)" != "$key" ]; then
        rm -rf "$dir"
        mkdir -p "$dir"
        echo "$key" >"$dir/.bench-key"
    fi
    make -s -C "$mpy/ports/qemu" -j"$JOBS" "${args[@]}" >/dev/null
    mkdir -p "$OUT/$name"
    cp "$dir/firmware.elf" "$OUT/$name/firmware.elf"
    echo "$OUT/$name/firmware.elf"
}

case "${1:-}" in
unix-pure)
    # ports-build.sh cmd_unix's arguments, without USER_C_MODULES, with our manifest.
    make -s -C "$mpy/ports/unix" -j"$JOBS" BUILD=build-bench-pure \
        FROZEN_MANIFEST="$HERE/manifest_pure.py" \
        MICROPY_PY_BTREE=0 MICROPY_SSL_AXTLS=0 MICROPY_SSL_MBEDTLS=1 >/dev/null
    mkdir -p "$OUT/unix-pure"
    cp "$mpy/ports/unix/build-bench-pure/micropython" "$OUT/unix-pure/micropython.tmp"
    mv -f "$OUT/unix-pure/micropython.tmp" "$OUT/unix-pure/micropython"
    echo "$OUT/unix-pure/micropython"
    ;;
rv32-pure)
    # ports/qemu alone as the user C module, as `ports-build.sh size` builds its baseline.
    mkdir -p "$OUT/usercmods-shim"
    ln -sfn "$ROOT/ports/qemu" "$OUT/usercmods-shim/qemu-shim"
    rv32 rv32-pure "$HERE/manifest_qemu_pure.py" "$OUT/usercmods-shim"
    ;;
rv32-native)
    # This repository as the user C module, as ports-build.sh's usercmods_dir.
    mkdir -p "$OUT/usercmods-native"
    ln -sfn "$ROOT" "$OUT/usercmods-native/umqtt"
    rv32 rv32-native "$HERE/manifest_qemu_native.py" "$OUT/usercmods-native"
    ;;
*)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
