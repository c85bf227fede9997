#!/usr/bin/env bash
# Checks ../../micropython.cmake with the harness in this directory (see
# CMakeLists.txt: it mimics the esp32 and rp2 ports, it is not one).
#
#   tests/cmake/run.sh [OUT_DIR]     (default /tmp/umqtt-cmake-harness)
#   MPY_SRC=/path/to/micropython     the MicroPython 1.26.1 tree (default: the one
#                                    ./ports-build.sh source unpacks, which test passes)
#
# 1. configure only: the Rust target derived for each IDF_TARGET / PICO_PLATFORM,
#    the overrides, the errors, and the flags file handed to bindgen;
# 2. two builds of the umqtt Rust target from scratch (each a cold cargo build,
#    about a minute): MicroPython's real QSTR/root-pointer commands run first,
#    then cargo + bindgen, then the partial link; the object is inspected and
#    the firmware's link line and dependencies are read from the build files.
#      esp32 mimic, IDF_TARGET=esp32c3 -> riscv32imc-unknown-none-elf, Ninja
#      rp2 mimic, rp2040 with RUST_TARGET=thumbv7m-none-eabi (an installed Arm
#      target; rp2040's thumbv6m is not installed here), Unix Makefiles
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${1:-/tmp/umqtt-cmake-harness}
GEN_NINJA=Ninja
command -v ninja >/dev/null || GEN_NINJA="Unix Makefiles"
fails=0
rm -rf "$OUT"
mkdir -p "$OUT"

ok() { printf '  ok   %s\n' "$*"; }
bad() { printf '  FAIL %s\n' "$*"; fails=$((fails + 1)); }

# configure NAME ARGS...: configure $OUT/NAME, log in $OUT/NAME.log; returns cmake's status
configure() {
    local name=$1
    shift
    cmake -S "$HERE" -B "$OUT/$name" -DMICROPY_DIR="$MP" "$@" >"$OUT/$name.log" 2>&1
}

# expect_target NAME TRIPLE ARGS...
expect_target() {
    local name=$1 triple=$2
    shift 2
    if configure "$name" "$@" && grep -q "umqtt: Rust target $triple " "$OUT/$name.log"; then
        ok "$name -> $triple"
    else
        bad "$name: expected $triple (see $OUT/$name.log)"
    fi
}

# expect_error NAME REGEX ARGS...
expect_error() {
    local name=$1 regex=$2
    shift 2
    if ! configure "$name" "$@" && grep -Eq "$regex" "$OUT/$name.log"; then
        ok "$name fails: $(grep -m1 -Eo "$regex" "$OUT/$name.log")"
    else
        bad "$name: expected a configure error matching '$regex' (see $OUT/$name.log)"
    fi
}

# flags NAME LINE...: each LINE (a whole line, fixed string) is in the flags file; !LINE is not
flags() {
    local name=$1 file
    shift
    file=$(find "$OUT/$name" -name umqtt_cflags_C.txt -print -quit)
    for line in "$@"; do
        if [[ $line == !* ]]; then
            grep -qxF -- "${line#!}" "$file" && bad "$name flags: unexpected '${line#!}'" || ok "$name flags: no '${line#!}'"
        else
            grep -qxF -- "$line" "$file" && ok "$name flags: '$line'" || bad "$name flags: missing '$line'"
        fi
    done
}

ESP=(-G "$GEN_NINJA" -DHARNESS_PORT=esp32 -DHARNESS_CLANG_TARGET=riscv32-unknown-elf)
RP2=(-G "Unix Makefiles" -DHARNESS_PORT=rp2)
V6M=-DHARNESS_CLANG_TARGET=thumbv6m-none-eabi
V8M=-DHARNESS_CLANG_TARGET=thumbv8m.main-none-eabi
RV32=-DHARNESS_CLANG_TARGET=riscv32-unknown-elf
MP=${MPY_SRC:-$REPO/build/src/micropython-1.26.1+ds}
[ -f "$MP/py/py.cmake" ] || { echo "tests/cmake/run.sh: no MicroPython tree at $MP (MPY_SRC=, or ./ports-build.sh source)" >&2; exit 1; }

echo "== Rust target derivation"
expect_target esp32c3 riscv32imc-unknown-none-elf "${ESP[@]}" -DIDF_TARGET=esp32c3 \
    "-DHARNESS_CROSS_CFLAGS=-march=rv32imc_zicsr_zifencei"
expect_target esp32c2 riscv32imc-unknown-none-elf "${ESP[@]}" -DIDF_TARGET=esp32c2
for t in esp32c6 esp32h2 esp32c5 esp32c61; do
    expect_target "$t" riscv32imac-unknown-none-elf "${ESP[@]}" -DIDF_TARGET=$t \
        "-DHARNESS_CROSS_CFLAGS=-march=rv32imac_zicsr_zifencei"
done
# Xtensa wants the "esp" toolchain, absent here: configure must say so...
expect_error esp32s3-no-esp-toolchain "toolchain 'esp' is not" "${ESP[@]}" -DIDF_TARGET=esp32s3
# ...and with another toolchain forced, the derivation itself shows.
for t in esp32 esp32s2 esp32s3; do
    expect_target "$t" "xtensa-$t-none-elf" "${ESP[@]}" -DIDF_TARGET=$t -DUMQTT_RUST_TOOLCHAIN=stable
done
grep -q 'needs Espressif.s Rust toolchain' "$OUT/esp32s3.log" && ok "esp32s3: esp toolchain message" ||
    bad "esp32s3: no esp toolchain message"
expect_target rp2040 thumbv6m-none-eabi "${RP2[@]}" "$V6M" -DPICO_PLATFORM=rp2040 \
    "-DHARNESS_CROSS_CFLAGS=-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft"
M33="-mcpu=cortex-m33 -mthumb -march=armv8-m.main+fp+dsp -mcmse -mfloat-abi=softfp"
expect_target rp2350 thumbv8m.main-none-eabi "${RP2[@]}" "$V8M" -DPICO_PLATFORM=rp2350 "-DHARNESS_CROSS_CFLAGS=$M33"
expect_target rp2350-arm-s thumbv8m.main-none-eabi "${RP2[@]}" "$V8M" -DPICO_PLATFORM=rp2350-arm-s
expect_target rp2350-hardfloat thumbv8m.main-none-eabihf "${RP2[@]}" "$V8M" -DPICO_PLATFORM=rp2350 -DPICO_HARD_FLOAT_ABI=1
expect_target rp2350-riscv riscv32imac-unknown-none-elf "${RP2[@]}" "$RV32" -DPICO_PLATFORM=rp2350-riscv \
    "-DHARNESS_CROSS_CFLAGS=-march=rv32ima_zicsr_zifencei_zba_zbb_zbs_zbkb_zca_zcb_zcmp -mabi=ilp32"
expect_target rp2350-riscv-hazard3 riscv32imac-unknown-none-elf "${RP2[@]}" "$RV32" -DPICO_PLATFORM=rp2350-riscv \
    "-DHARNESS_CROSS_CFLAGS=-mcpu=hazard3-rp2350"
expect_target override-cache thumbv7m-none-eabi "${ESP[@]}" -DIDF_TARGET=esp32c3 -DRUST_TARGET=thumbv7m-none-eabi
RUST_TARGET=thumbv7m-none-eabi expect_target override-env thumbv7m-none-eabi "${RP2[@]}" "$V6M" -DPICO_PLATFORM=rp2040
expect_error esp32p4 "cannot derive the Rust target" "${ESP[@]}" -DIDF_TARGET=esp32p4
expect_error no-port "cannot derive the Rust target" "${RP2[@]}" "$V6M" -DPICO_PLATFORM=

echo "== flags file for bindgen"
# The stand-in C library is only known to the compiler: bindgen must get it
# from TARGET_CC (build.rs), not from the flags file.
grep -rq stub-libc "$OUT"/*/umqtt_cflags_C.txt "$OUT"/*/esp-idf/*/umqtt_cflags_C.txt &&
    bad "a flags file names stub-libc" || ok "no flags file names the compiler's C library"
flags esp32c3 "-I$MP" "-I$MP/ports/minimal" "-I$OUT/esp32c3" "-I$REPO/cmodule" \
    "-I$HERE/stub-sdk" "-DHARNESS_SDK_DEF=1" \
    "-DFFCONF_H=\"$MP/lib/oofatfs/ffconf.h\"" "-DMICROPY_ROM_TEXT_COMPRESSION=(1)" \
    "-DESP_PLATFORM" "-DIDF_VER=\"v5.4.1\"" "-std=gnu17" "!-std=gnu++2b" "!-Wno-clobbered" \
    "-march=rv32imc_zicsr_zifencei"
flags rp2040 "-I$MP" "-I$OUT/rp2040" "-DHARNESS_PORT_RP2=1" "-DHARNESS_SDK_DEF=1" \
    "-mcpu=cortex-m0plus" "-mthumb" "-mfloat-abi=soft"
flags rp2350 "-mcpu=cortex-m33" "-mthumb" "-march=armv8-m.main+fp+dsp" "-mfloat-abi=softfp" "!-mcmse"
flags rp2350-riscv "-march=rv32ima_zicsr_zifencei_zba_zbb_zbs_zbkb_zca_zcb_zcmp" "-mabi=ilp32"
flags rp2350-riscv-hazard3 "!-mcpu=hazard3-rp2350"
# What bindgen would do for rp2040 (thumbv6m is not installed, so cargo cannot):
# clang parses the wrapper with these flags once the generated headers exist.
if cmake --build "$OUT/rp2040" --target usermod_umqtt_rust >"$OUT/rp2040.build.log" 2>&1; then
    bad "rp2040: cargo unexpectedly built for thumbv6m-none-eabi"
else
    grep -qF "CARGO umqtt-ffi (thumbv6m-none-eabi," "$OUT/rp2040.build.log" && ok "rp2040: cargo ran for thumbv6m-none-eabi (target not installed: fails, as expected)" ||
        bad "rp2040: cargo did not run (see $OUT/rp2040.build.log)"
fi
# (-idirafter stub-libc: what build.rs adds from TARGET_CC's search list.)
if (cd "$REPO/rust/micropython-sys" && clang --target=thumbv6m-none-eabi -fsyntax-only \
    -Werror=implicit-function-declaration $(cat "$OUT/rp2040/umqtt_cflags_C.txt") \
    -idirafter "$HERE/stub-libc" -x c wrapper.h) >>"$OUT/rp2040.build.log" 2>&1; then
    ok "rp2040: clang --target=thumbv6m-none-eabi parses wrapper.h with the flags file"
else
    bad "rp2040: clang cannot parse wrapper.h (see $OUT/rp2040.build.log)"
fi

echo "== compile options of our C files (source file properties)"
# src_flags NAME SOURCE: the flags of each compile statement of SOURCE in $OUT/NAME
# (Ninja: the statement's FLAGS; Unix Makefiles: the compiler lines of build.make).
src_flags() {
    if [ -f "$OUT/$1/build.ninja" ]; then
        awk -v src="$2" '$1 == "build" { hit = ($4 == src) } hit && $1 == "FLAGS" { print; hit = 0 }' "$OUT/$1/build.ninja"
    else
        find "$OUT/$1" -name build.make -exec grep -h -- "-c $2\$" {} +
    fi
}
# c_options NAME SOURCE COUNT OPTION...: SOURCE has COUNT compile statements, each
# with every OPTION; !OPTION: none has it
c_options() {
    local name=$1 src=$2 count=$3 lines opt
    shift 3
    lines=$(src_flags "$name" "$src")
    [ "$(grep -c . <<<"$lines")" -eq "$count" ] || { bad "$name: $count compile statement(s) of ${src##*/} expected"; return; }
    for opt in "$@"; do
        if [[ $opt == !* ]]; then
            grep -qe " ${opt#!}\b" <<<"$lines" && bad "$name: ${src##*/} compiled with ${opt#!}" ||
                ok "$name: ${src##*/} without ${opt#!}"
        else
            [ "$(grep -ce " $opt\b" <<<"$lines")" -eq "$count" ] && ok "$name: ${src##*/} with $opt" ||
                bad "$name: ${src##*/} not always compiled with $opt"
        fi
    done
}
# ESP-IDF: the main component and the app both compile our files (the app
# through the component's link interface); each gets -Os and sections (the
# esp32 port before MicroPython 1.28 drops the component's options), RISC-V
# -msave-restore -mtune=size; the port's own files get none of them.
c_options esp32c3 "$REPO/cmodule/umqtt_client.c" 2 -Os -ffunction-sections -fdata-sections -msave-restore -mtune=size
c_options esp32c3 "$HERE/app_main.c" 2 '!-Os' '!-msave-restore'
c_options esp32s3 "$REPO/cmodule/umqtt_net.c" 2 -Os -ffunction-sections '!-msave-restore'
# rp2: the port's flags apply to our files already; rp2350's RISC-V has Zcmp.
c_options rp2350-riscv "$REPO/cmodule/umqtt_client.c" 1 '!-msave-restore' '!-Os'
c_options rp2040 "$REPO/cmodule/umqtt_client.c" 1 '!-msave-restore' '!-Os'

# check_object NAME OBJ MACHINE
check_object() {
    local name=$1 obj=$2 machine=$3 header sections symbols globals
    [ -f "$obj" ] || { bad "$name: no $obj"; return; }
    header=$(readelf -h "$obj")
    sections=$(readelf -S -W "$obj")
    symbols=$(readelf -s -W "$obj")
    grep -q "Type: *REL" <<<"$header" && ok "$name: relocatable object" || bad "$name: not ET_REL"
    grep -q "Machine: *$machine" <<<"$header" && ok "$name: machine $machine" || bad "$name: wrong machine"
    grep -Eq '\.debug|\.ARM\.exidx' <<<"$sections" && bad "$name: debug or .ARM.exidx sections left" ||
        ok "$name: no .debug* / .ARM.exidx* sections"
    globals=$(awk '($5=="GLOBAL"||$5=="WEAK") && $7!="UND" {print $8}' <<<"$symbols" | sort)
    if [ -n "$globals" ] && ! grep -qv '^umqtt_' <<<"$globals"; then
        ok "$name: $(wc -l <<<"$globals") defined globals, all umqtt_*"
    else
        bad "$name: unexpected global symbols: $(grep -v '^umqtt_' <<<"$globals" | head -n 5 | tr '\n' ' ')"
    fi
    # compiler_builtins' memcpy & co. are left out: the port's C library serves Rust.
    local mem='(memcpy|memmove|memset|memcmp|__aeabi_mem[a-z]+[48]?)'
    if grep -Eq " UND $mem\$" <<<"$symbols" && ! grep -Eq " [0-9]+ $mem\$" <<<"$symbols"; then
        ok "$name: memcpy & co. (ARM: __aeabi_mem*) left to the C library"
    else
        bad "$name: compiler_builtins' memcpy/memmove/memset/memcmp still in the object"
    fi
}

# build NAME: cold build of the Rust target only; the generated headers must come first
build() {
    local name=$1 log=$OUT/$1.build.log
    if cmake --build "$OUT/$name" --target usermod_umqtt_rust >"$log" 2>&1; then
        ok "$name: built usermod_umqtt_rust from scratch ($(grep -Eo 'Finished .*' "$log"))"
    else
        bad "$name: build failed (see $log)"
        return
    fi
    local q c
    q=$(grep -m1 -n "qstrdefs.generated.h" "$log" | cut -d: -f1)
    c=$(grep -m1 -n "CARGO umqtt-ffi" "$log" | cut -d: -f1)
    [ -n "$q" ] && [ -n "$c" ] && [ "$q" -lt "$c" ] &&
        ok "$name: mkrules' genhdr commands ran before cargo" || bad "$name: genhdr/cargo order"
    for h in qstrdefs.generated.h root_pointers.h moduledefs.h compressed.data.h; do
        [ -f "$OUT/$name/genhdr/$h" ] || bad "$name: genhdr/$h missing"
    done
}

echo "== build: esp32 mimic, esp32c3 ($GEN_NINJA)"
build esp32c3
check_object esp32c3 "$OUT/esp32c3/esp-idf/main/umqtt_rust.o" RISC-V
# RISC-V: built with +relax,+save-restore (micropython.cmake): the linker may
# shorten the calls, and register saves go through libgcc's __riscv_save_N.
relocs=$(readelf -r -W "$OUT/esp32c3/esp-idf/main/umqtt_rust.o" 2>/dev/null)
[ "$(grep -c R_RISCV_RELAX <<<"$relocs")" -gt 50 ] && grep -q '__riscv_save_' <<<"$relocs" &&
    ok "esp32c3: calls relaxable, register saves through __riscv_save_N" ||
    bad "esp32c3: Rust object built without +relax/+save-restore"
# ... and with the LLVM size options micropython.mk gives make ports.
grep -q -- '-C llvm-args=-riscv-min-jump-table-entries=8 .*-tail-merge-size=2' \
    "$OUT/esp32c3/esp-idf/main/umqtt_rust_opt.txt" &&
    ok "esp32c3: cargo gets the LLVM size options" ||
    bad "esp32c3: cargo does not get the LLVM size options"
if [ "$GEN_NINJA" = Ninja ]; then
    line=$(grep -A3 '^build app:' "$OUT/esp32c3/build.ninja")
    grep -q 'LINK_LIBRARIES = esp-idf/main/umqtt_rust.o' <<<"$line" &&
        ok "esp32c3: app links umqtt_rust.o" || bad "esp32c3: app does not link umqtt_rust.o"
    grep -q '| .*esp-idf/main/umqtt_rust.o.*||.*usermod_umqtt_rust' <<<"$line" &&
        ok "esp32c3: app relinks on umqtt_rust.o and waits for usermod_umqtt_rust" ||
        bad "esp32c3: app's dependencies lack umqtt_rust.o / usermod_umqtt_rust"
    out=$(cmake --build "$OUT/esp32c3" --target usermod_umqtt_rust 2>&1)
    grep -Eq 'CARGO|LINK' <<<"$out" && bad "esp32c3: second build not a no-op" || ok "esp32c3: second build runs neither cargo nor the partial link"
fi

echo "== build: rp2 mimic, rp2040 + RUST_TARGET=thumbv7m-none-eabi (Unix Makefiles)"
configure rp2040-v7m "${RP2[@]}" -DHARNESS_CLANG_TARGET=thumbv7m-none-eabi -DPICO_PLATFORM=rp2040 -DRUST_TARGET=thumbv7m-none-eabi \
    "-DHARNESS_CROSS_CFLAGS=-mcpu=cortex-m3 -mthumb -mfloat-abi=soft" || bad "rp2040-v7m: configure failed"
flags rp2040-v7m "-mcpu=cortex-m3" "-mthumb" "-mfloat-abi=soft"
build rp2040-v7m
check_object rp2040-v7m "$OUT/rp2040-v7m/umqtt_rust.o" ARM
grep -q 'umqtt_rust.o' "$OUT/rp2040-v7m/CMakeFiles/firmware.dir/link.txt" &&
    ok "rp2040-v7m: firmware link line has umqtt_rust.o" || bad "rp2040-v7m: link line lacks umqtt_rust.o"
grep -q '^firmware: umqtt_rust.o' "$OUT/rp2040-v7m/CMakeFiles/firmware.dir/build.make" &&
    ok "rp2040-v7m: firmware relinks when umqtt_rust.o changes" || bad "rp2040-v7m: no file dependency on umqtt_rust.o"
grep -q '^CMakeFiles/firmware.dir/all: CMakeFiles/usermod_umqtt_rust.dir/all' "$OUT/rp2040-v7m/CMakeFiles/Makefile2" &&
    ok "rp2040-v7m: firmware waits for usermod_umqtt_rust" || bad "rp2040-v7m: no target dependency"
grep -q '^CMakeFiles/usermod_umqtt_rust.dir/all: CMakeFiles/BUILD_VERSION_HEADER.dir/all' "$OUT/rp2040-v7m/CMakeFiles/Makefile2" &&
    ok "rp2040-v7m: usermod_umqtt_rust waits for BUILD_VERSION_HEADER (mpversion.h)" || bad "rp2040-v7m: no dependency on BUILD_VERSION_HEADER"

echo
if [ "$fails" -eq 0 ]; then
    echo "all checks passed (logs and build trees in $OUT)"
else
    echo "$fails check(s) failed (logs and build trees in $OUT)"
    exit 1
fi
