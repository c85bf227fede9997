#!/usr/bin/env bash
# Builds MicroPython firmware with umqtt-rs inside, and runs the demo and the tests.
#
#   ./ports-build.sh demo     build the unix firmware if needed, run a pub/sub demo on a local broker
#   ./ports-build.sh test     every test: Rust (test, clippy, header, cross builds) + firmware tests
#   ./ports-build.sh unix     build the unix firmware -> build/unix/micropython (minimal: build/unix-minimal/)
#   ./ports-build.sh qemu-rv32   build ports/qemu VIRT_RV32 (rv32imc, ESP32-C3's ISA) -> build/qemu-rv32/firmware.elf
#   ./ports-build.sh qemu-arm    build ports/qemu MPS2_AN385 (Cortex-M3) -> build/qemu-arm/firmware.elf
#   ./ports-build.sh esp32|esp32c3|esp32s3|esp8266   build ESP firmware (needs ESP-IDF / Espressif's toolchains)
#   ./ports-build.sh size     flash and RAM the module adds (unix, rv32imc, Cortex-M3; both profiles), as a Markdown table
#   ./ports-build.sh deps     install what every command needs (apt, rustup, cargo), then check it
#   ./ports-build.sh source   fetch MicroPython's source (Debian source package, via this machine's mirror)
#   ./ports-build.sh header   regenerate cmodule/umqtt_ffi.h with the pinned cbindgen
#
# Environment:
#   MPY_DIR=/path/to/micropython   use your own MicroPython checkout instead of Debian's source
#   MPY_VERSION=1.26.1+ds-1        Debian source version to build against (falls back to the newest
#                                  available); another version than the default builds
#                                  build/unix-<version>/micropython, e.g. MPY_VERSION=1.25.0+ds-1
#   RUST_TARGET=<triple>           override the Rust target derived from the port
#   BOARD=<board>                  ESP board (default ESP32_GENERIC[_C3|_S3], ESP8266_GENERIC)
#   UMQTT_PROFILE=full|minimal     what goes in (docs/building.md): full (the default; esp8266:
#                                  minimal) or minimal (MQTT 3.1.1, umqtt.simple2); a profile
#                                  other than full builds into build/<target>-<profile>/
#   UMQTT_MQTT5=0|1 UMQTT_MQTT31=0|1 UMQTT_FACADES=simple2,mqtt_as,... UMQTT_RUST_OPT=s|z
#                                  override the profile's choice
set -euo pipefail

ROOT=$(cd "$(dirname "$0")" && pwd)
BUILD_ROOT="$ROOT/build"
MPY_DEFAULT_VERSION=1.26.1+ds-1
MPY_VERSION=${MPY_VERSION:-$MPY_DEFAULT_VERSION}
if [ "$MPY_VERSION" = "$MPY_DEFAULT_VERSION" ] || [ -n "${MPY_DIR:-}" ]; then
    UNIX_FIRMWARE="$BUILD_ROOT/unix/micropython"
else
    UNIX_FIRMWARE="$BUILD_ROOT/unix-${MPY_VERSION%%+*}/micropython"
fi
JOBS=$(nproc 2>/dev/null || echo 2)

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'ports-build.sh: %s\n' "$*" >&2; exit 1; }

# Everything the commands run (build, test, demo, size, qemu-*), as
# "what source" pairs. what: a program (checked with command -v), "-" (a
# library or headers: the package must be installed), python3:MODULE (python3
# imports it) or clang:HEADER (in clang's resource directory). source: a
# Debian package; rustup (the Rust toolchain, a prerequisite); llvm-tools
# (rustup's component: in rustc's sysroot, not on PATH); cargo:CRATE@VERSION
# (cargo install). cmd_deps installs all of it, then checks every row;
# tests/check_deps.py fails the tests when a script runs a program that is
# not here. docs/building.md lists them ("What the scripts install").
deps_table=(
    # building the firmware
    make                     make
    gcc                      gcc
    -                        build-essential  # libc6-dev (gcc only recommends it)
    g++                      g++              # libFuzzer's C++ (fuzz/run.sh)
    size                     binutils         # the unix port's build; size
    readelf                  binutils         # tests/cmake/run.sh
    pkg-config               pkgconf          # the unix port finds libffi with it
    python3                  python3
    dpkg-source              dpkg-dev         # apt-get source (MicroPython's source)
    -                        ca-certificates  # cargo, pip (https)
    -                        libffi-dev
    -                        libmbedtls-dev
    -                        libclang-dev     # bindgen
    # bindgen asks the clang program for clang's own headers (float.h,
    # stddef.h): cross builds fail without it ("'float.h' file not found")
    clang                    clang
    clang++                  clang            # tests/cmake (a stand-in cross C++ compiler)
    clang:float.h            clang
    cmake                    cmake            # micropython.cmake's harness (tests/cmake/run.sh)
    ninja                    ninja-build
    # qemu-rv32, qemu-arm, size: cross C toolchains and QEMU
    riscv64-unknown-elf-gcc  gcc-riscv64-unknown-elf
    riscv64-unknown-elf-size binutils-riscv64-unknown-elf
    -                        picolibc-riscv64-unknown-elf
    arm-none-eabi-gcc        gcc-arm-none-eabi
    arm-none-eabi-size       binutils-arm-none-eabi
    -                        libnewlib-arm-none-eabi
    qemu-system-riscv32      qemu-system-misc
    qemu-system-arm          qemu-system-arm
    # the tests (and bench/run.py, soak.py)
    mosquitto                mosquitto
    mosquitto_passwd         mosquitto
    mosquitto_pub            mosquitto-clients
    mosquitto_sub            mosquitto-clients
    openssl                  openssl
    valgrind                 valgrind
    python3:ensurepip        python3-venv     # python3 -m venv (second_broker.sh, bench)
    # Rust: rustup is a prerequisite; rust-toolchain.toml names the rest
    rustup                   rustup
    cargo                    rustup
    rustc                    rustup
    rustfmt                  rustup           # cargo fmt
    rust-lld                 llvm-tools
    llvm-objcopy             llvm-tools
    llvm-nm                  llvm-tools       # the partial link's roots, compiler_builtins' memcpy
    llvm-ar                  llvm-tools
    cbindgen                 cargo:cbindgen@0.29.2
    cargo-fuzz               cargo:cargo-fuzz@0.13.1
)

# The Debian packages (or the crates, with cargo) of deps_table.
deps_sources() {
    local i src
    for ((i = 1; i < ${#deps_table[@]}; i += 2)); do
        src=${deps_table[i]}
        case $1/$src in
        apt/rustup | apt/llvm-tools | apt/cargo:*) ;;
        apt/*) echo "$src" ;;
        cargo/cargo:*) echo "${src#cargo:}" ;;
        esac
    done | sort -u
}

apt_install() {
    local missing
    # One dpkg-query for all: a package it does not know is missing too.
    mapfile -t missing < <(comm -23 <(printf '%s\n' "$@" | sort -u) \
        <(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null | awk '$1 == "ii" { print $2 }' | sort -u))
    if [ ${#missing[@]} -gt 0 ]; then
        log "apt: installing ${missing[*]}"
        [ "$(id -u)" = 0 ] || die "installing packages needs root (missing: ${missing[*]})"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# Checks every row of deps_table; names all that is missing at once.
deps_verify() {
    local i what src from dir missing=()
    dir=$(cd "$ROOT" && rustc --print sysroot)/lib/rustlib/$(cd "$ROOT" && rustc -vV | sed -n 's/^host: //p')/bin
    for ((i = 0; i < ${#deps_table[@]}; i += 2)); do
        what=${deps_table[i]} src=${deps_table[i + 1]}
        case $what in
        -) dpkg-query -W -f='${db:Status-Abbrev}' "$src" 2>/dev/null | grep '^ii' >/dev/null ||
            missing+=("the Debian package $src") ;;
        python3:*) python3 -c "import ${what#python3:}" 2>/dev/null ||
            missing+=("python3's module ${what#python3:} (Debian package $src)") ;;
        clang:*) [ -f "$(clang -print-resource-dir 2>/dev/null)/include/${what#clang:}" ] ||
            missing+=("${what#clang:} in clang's resource directory, which bindgen needs (Debian package $src)") ;;
        *) if [ "$src" = llvm-tools ]; then
            [ -x "$dir/$what" ] || missing+=("$what in $dir (rustup component llvm-tools)")
        else
            case $src in
            rustup) from="rustup's toolchain" ;;
            cargo:*) from="cargo install ${src#cargo:}" ;;
            *) from="Debian package $src" ;;
            esac
            command -v "$what" >/dev/null || missing+=("the program $what ($from)")
        fi ;;
        esac
    done
    if [ ${#missing[@]} -gt 0 ]; then
        printf 'ports-build.sh deps: still missing after installing:\n' >&2
        printf '  - %s\n' "${missing[@]}" >&2
        exit 1
    fi
}

cmd_deps() {
    # shellcheck disable=SC2046 # one word per package
    apt_install $(deps_sources apt)
    command -v rustup >/dev/null || die "no rustup on PATH: install Rust with rustup, then run this again"
    # rust-toolchain.toml names the toolchain, components and cross targets:
    # install that toolchain, then make sure its components and targets are there
    # (an existing toolchain of the same version may lack them).
    (
        cd "$ROOT"
        rustup toolchain install --no-self-update >/dev/null 2>&1 || rustup toolchain install
        rustup component add clippy rustfmt llvm-tools >/dev/null 2>&1 ||
            die "rustup could not add clippy, rustfmt, llvm-tools"
        rustup target add riscv32imc-unknown-none-elf thumbv7m-none-eabi >/dev/null 2>&1 ||
            die "rustup could not add the bare-metal targets"
    )
    local crate installed
    installed=$(cargo install --list)
    for crate in $(deps_sources cargo); do
        if ! grep -qx "${crate%@*} v${crate#*@}:" <<<"$installed"; then
            log "cargo: installing ${crate%@*} ${crate#*@}"
            cargo install --quiet --locked "${crate%@*}" --version "${crate#*@}"
        fi
    done
    deps_verify
}

# MicroPython's source: MPY_DIR if given, else Debian's source package in build/.
cmd_source() {
    if [ -n "${MPY_DIR:-}" ]; then
        [ -f "$MPY_DIR/py/mpconfig.h" ] || die "MPY_DIR=$MPY_DIR is not a MicroPython tree"
        echo "$MPY_DIR"
        return
    fi
    local existing
    # apt-get source unpacks Debian's micropython_1.25.0+ds-1 into micropython-1.25.0+ds/.
    existing="$BUILD_ROOT/src/micropython-${MPY_VERSION%-*}"
    if [ -f "$existing/py/mpconfig.h" ]; then
        echo "$existing"
        return
    fi
    mkdir -p "$BUILD_ROOT/src"
    local list=/etc/apt/sources.list.d/umqtt-rs-micropython-src.sources entry
    # Our deb-src entry is kept in step with the machine's own Debian entry
    # (its mirror or proxy, its keyring); none is added when the machine's
    # lists already have MicroPython's source package.
    # grep without -q reads all input: with -q, apt-cache's SIGPIPE fails the pipeline (pipefail).
    if [ -f "$list" ] || ! apt-cache showsrc micropython 2>/dev/null | grep '^Version:' >/dev/null; then
        entry=$(python3 "$ROOT/tools/debian_sources.py" --suites "trixie sid") || exit 1
        if [ "$entry" != "$(cat "$list" 2>/dev/null)" ]; then
            log "apt: adding Debian trixie/sid source lists (MicroPython's source package): $list"
            [ "$(id -u)" = 0 ] || die "writing $list needs root"
            printf '%s\n' "$entry" >"$list"
            apt-get update -qq
        fi
    fi
    (
        cd "$BUILD_ROOT/src"
        if apt-get source -qq "micropython=$MPY_VERSION" >/dev/null 2>&1; then
            echo "MicroPython source: Debian micropython $MPY_VERSION (pinned)" >&2
        else
            apt-get source -qq micropython >/dev/null 2>&1 || die "apt-get source micropython failed"
            echo "MicroPython source: pinned $MPY_VERSION is gone from the archive;" \
                "using the newest available: $(ls -d micropython-*/)" >&2
        fi
    )
    existing=$(ls -d "$BUILD_ROOT"/src/micropython-*/ | sort -V | tail -n 1)
    [ -f "$BUILD_ROOT/src/micropython-${MPY_VERSION%-*}/py/mpconfig.h" ] &&
        existing="$BUILD_ROOT/src/micropython-${MPY_VERSION%-*}/"
    echo "${existing%/}"
}

# make ports include $(USER_C_MODULES)/*/micropython.mk: give them a parent
# directory that holds only this repository.
usercmods_dir() {
    mkdir -p "$BUILD_ROOT/usercmods"
    ln -sfn "$ROOT" "$BUILD_ROOT/usercmods/umqtt"
    echo "$BUILD_ROOT/usercmods"
}

# selection PROFILE: the profile and the overrides in the environment
# (UMQTT_MQTT5, UMQTT_MQTT31, UMQTT_FACADES, UMQTT_RUST_OPT) as make arguments, SEL_ARGS, and SEL_TAG, the
# suffix of build directories and firmware paths: "" (full), -minimal, or
# -PROFILE-HASH with overrides. micropython.mk reads the same variables.
selection() {
    case $1 in
    full | minimal) ;;
    *) die "UMQTT_PROFILE=$1: choose full or minimal" ;;
    esac
    SEL_ARGS=(UMQTT_PROFILE="$1" UMQTT_MQTT5="${UMQTT_MQTT5:-}" UMQTT_MQTT31="${UMQTT_MQTT31:-}"
        UMQTT_FACADES="${UMQTT_FACADES:-}" UMQTT_RUST_OPT="${UMQTT_RUST_OPT:-}")
    SEL_TAG=-$1 SEL_DESC="profile $1"
    [ "$1" = full ] && SEL_TAG=
    if [ -n "${UMQTT_MQTT5:-}${UMQTT_MQTT31:-}${UMQTT_FACADES:-}${UMQTT_RUST_OPT:-}" ]; then
        SEL_TAG=-$1-$(printf '%s\n' "${SEL_ARGS[@]}" | sha256sum | cut -c1-8)
        SEL_DESC+=" with UMQTT_MQTT5='${UMQTT_MQTT5:-}' UMQTT_MQTT31='${UMQTT_MQTT31:-}' UMQTT_FACADES='${UMQTT_FACADES:-}' UMQTT_RUST_OPT='${UMQTT_RUST_OPT:-}' (-> *$SEL_TAG)"
    fi
}

# unix_firmware TAG: where cmd_unix puts that selection's binary.
unix_firmware() {
    echo "${UNIX_FIRMWARE%/micropython}$1/micropython"
}

# cmd_unix PROFILE
cmd_unix() {
    selection "$1"
    cmd_deps
    local mpy firmware
    mpy=$(cmd_source)
    firmware=$(unix_firmware "$SEL_TAG")
    log "building the unix firmware, $SEL_DESC ($mpy)"
    # makemanifest remakes frozen_content.c only when a frozen file is newer
    # than it: after a manifest change that drops a file it would stay stale.
    local frozen="$mpy/ports/unix/build-umqtt-rs$SEL_TAG/frozen_content.c"
    if [ -e "$frozen" ] && [ -n "$(find "$ROOT/python" -name 'manifest*.py' -newer "$frozen")" ]; then
        rm -f "$frozen"
    fi
    make -s -C "$mpy/mpy-cross" -j"$JOBS" >/dev/null
    make -s -C "$mpy/ports/unix" -j"$JOBS" \
        BUILD="build-umqtt-rs$SEL_TAG" "${SEL_ARGS[@]}" \
        USER_C_MODULES="$(usercmods_dir)" \
        FROZEN_MANIFEST="$ROOT/python/manifest.py" \
        MICROPY_PY_BTREE=0 MICROPY_SSL_AXTLS=0 MICROPY_SSL_MBEDTLS=1
    mkdir -p "$(dirname "$firmware")"
    # Copy then rename: the old binary may be running (cp would fail "Text file busy").
    cp "$mpy/ports/unix/build-umqtt-rs$SEL_TAG/micropython" "$firmware.tmp"
    mv -f "$firmware.tmp" "$firmware"
    echo "firmware: $firmware" >&2
}

# make does not track CFLAGS or the manifest: start a build directory afresh
# when the make arguments, the manifest or the qemu shim change.
fresh_build_dir() {
    local dir=$1 key=$2
    if [ "$(cat "$dir/.umqtt-rs-key" 2>/dev/null)" != "$key" ]; then
        rm -rf "$dir"
        mkdir -p "$dir"
        echo "$key" >"$dir/.umqtt-rs-key"
    fi
}

# qemu_make MPY BOARD BUILD [make args...]: builds ports/qemu, prints the ELF's path.
qemu_make() {
    local mpy=$1 board=$2 build=$3
    shift 3
    local args=(BOARD="$board" BUILD="$build" "$@")
    if [ "$board" = VIRT_RV32 ]; then
        # Debian's GCC 12 multilibs: rv32imac (else 64-bit libgcc); the assembler wants zicsr.
        args+=(RV32_ARCH=rv32imac "AFLAGS=-mabi=ilp32 -march=rv32imac_zicsr")
    fi
    local key
    key=$({
        printf '%s\n' "${args[@]}"
        cat "$ROOT/ports/qemu/"* "$ROOT/python/manifest.py" "$ROOT/python/manifest_facades.py"
    } | sha256sum | cut -c1-16)
    fresh_build_dir "$mpy/ports/qemu/$build" "$key"
    # In $(...) errexit does not apply: fail explicitly, or a stale ELF is used.
    make -s -C "$mpy/ports/qemu" -j"$JOBS" "${args[@]}" >/dev/null || return 1
    echo "$mpy/ports/qemu/$build/firmware.elf"
}

# The qemu port's default heap (140 KB) is too small for the tests' own
# buffers around a 20 KB payload (test_scripted_inbound); 256 KiB fragmented
# once more modules were frozen. 512 KiB fits both boards' RAM (2 MB, 4 MB).
QEMU_HEAP=524288

# cmd_qemu rv32|arm PROFILE
cmd_qemu() {
    local which=$1 board
    case "$which" in
    rv32) board=VIRT_RV32 ;;
    arm) board=MPS2_AN385 ;;
    esac
    selection "$2"
    cmd_deps
    local mpy elf out=$BUILD_ROOT/qemu-$which$SEL_TAG
    mpy=$(cmd_source)
    log "building the qemu $board firmware, $SEL_DESC ($mpy)"
    make -s -C "$mpy/mpy-cross" -j"$JOBS" >/dev/null
    elf=$(qemu_make "$mpy" "$board" "build-umqtt-rs-$board$SEL_TAG" "${SEL_ARGS[@]}" \
        USER_C_MODULES="$(usercmods_dir)" FROZEN_MANIFEST="$ROOT/python/manifest.py" \
        MICROPY_HEAP_SIZE=$QEMU_HEAP)
    mkdir -p "$out"
    cp "$elf" "$out/firmware.elf"
    echo "firmware: $out/firmware.elf" >&2
}

# ESP firmware: ESP-IDF (esp32*) or the ESP8266 SDK toolchain, and a Rust
# compiler for the chip. None of it comes from Debian: check everything first
# and name all that is missing at once.
cmd_esp() {
    local target=$1 board manifest missing=()
    local mpy=${MPY_DIR:-}
    # The ESP8266's flash is small (1 MiB on many boards): minimal by default.
    local profile=${UMQTT_PROFILE:-full}
    case "$target" in
    esp32) board=${BOARD:-ESP32_GENERIC} ;;
    esp32c3) board=${BOARD:-ESP32_GENERIC_C3} ;;
    esp32s3) board=${BOARD:-ESP32_GENERIC_S3} ;;
    esp8266) board=${BOARD:-ESP8266_GENERIC} profile=${UMQTT_PROFILE:-minimal} ;;
    esac
    selection "$profile"
    if [ -z "$mpy" ] || [ ! -f "$mpy/lib/micropython-lib/README.md" ]; then
        missing+=("a MicroPython checkout with its submodules, as MPY_DIR=/path/to/micropython
      (Debian's source package, the default here, has no micropython-lib, which the ESP
      manifests require(), nor the ESP ports' other submodules):
        git clone -b v1.26.1 https://github.com/micropython/micropython
        make -C micropython/ports/$([ "$target" = esp8266 ] && echo esp8266 || echo esp32) submodules")
    fi
    if [ "$target" = esp8266 ]; then
        if [ -z "${RUST_TARGET:-}" ] || ! rustc --print target-list 2>/dev/null | grep -qx "$RUST_TARGET"; then
            missing+=("a Rust compiler for the ESP8266 (Xtensa lx106), as RUST_TARGET=<triple> known to rustc.
      There is none: upstream Rust has no lx106 target, and Espressif's Rust toolchain
      (espup) covers only ESP32/S2/S3; esp-rs does not plan one (esp-rs/rust#237).
      umqtt-rs's MQTT engine is Rust, so it cannot run on an ESP8266 today. What you can do:
      use an ESP32-C3 (rv32imc, upstream Rust: ./ports-build.sh esp32c3, tested here on the
      same ISA under QEMU: ./ports-build.sh qemu-rv32) or an ESP32/S3; or keep the
      pure-Python umqtt.simple2 on the ESP8266 (same API, so code moves unchanged); or
      build a rustc with an lx106 backend yourself and pass RUST_TARGET.")
        fi
        command -v xtensa-lx106-elf-gcc >/dev/null ||
            missing+=("the ESP8266 toolchain and SDK (xtensa-lx106-elf-gcc on PATH), e.g. MicroPython's
      docker image: docker run --rm -v \$HOME:\$HOME -u \$UID -w \$PWD larsks/esp-open-sdk make ...
      (see ports/esp8266/README.md; Debian's gcc-xtensa-lx106 lacks the C library and SDK)")
        manifest=$ROOT/python/manifest_esp8266.py
    else
        if [ -z "${IDF_PATH:-}" ] || [ ! -f "${IDF_PATH:-/nonexistent}/export.sh" ]; then
            missing+=("ESP-IDF 5.2-5.4 (IDF_PATH unset or without export.sh):
        git clone -b v5.4.1 --recursive https://github.com/espressif/esp-idf
        esp-idf/install.sh $target && . esp-idf/export.sh")
        elif ! command -v idf.py >/dev/null; then
            missing+=("ESP-IDF's environment: IDF_PATH=$IDF_PATH is set but idf.py is not on PATH: . \$IDF_PATH/export.sh")
        fi
        if [ "$target" = esp32c3 ]; then
            rustup target list --installed 2>/dev/null | grep -qx riscv32imc-unknown-none-elf ||
                missing+=("the Rust target riscv32imc-unknown-none-elf: rustup target add riscv32imc-unknown-none-elf")
        elif ! rustup toolchain list 2>/dev/null | grep -q '^esp'; then
            missing+=("Espressif's Rust toolchain for Xtensa ($target has an Xtensa core; upstream Rust has
      no Xtensa backend): cargo install espup && espup install && . ~/export-esp.sh
      (micropython.cmake then builds with rustup's \"esp\" toolchain and its libclang)")
        fi
        manifest=$ROOT/python/manifest_esp32.py
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        printf 'ports-build.sh %s: cannot build, missing:\n' "$target" >&2
        printf '  - %s\n' "${missing[@]}" >&2
        exit 1
    fi
    cmd_deps
    log "building $target firmware, BOARD=$board, $SEL_DESC ($mpy)"
    make -s -C "$mpy/mpy-cross" -j"$JOBS" >/dev/null
    if [ "$target" = esp8266 ]; then
        make -C "$mpy/ports/esp8266" -j"$JOBS" BOARD="$board" BUILD="build-umqtt-rs-$board$SEL_TAG" \
            "${SEL_ARGS[@]}" USER_C_MODULES="$(usercmods_dir)" FROZEN_MANIFEST="$manifest" RUST_TARGET="$RUST_TARGET"
        echo "firmware: $mpy/ports/esp8266/build-umqtt-rs-$board$SEL_TAG/" >&2
    else
        # ports/esp32's Makefile runs idf.py, whose CMake configure reads the
        # UMQTT_* variables from the environment (micropython.cmake).
        env "${SEL_ARGS[@]}" make -C "$mpy/ports/esp32" BOARD="$board" BUILD="build-umqtt-rs-$board$SEL_TAG" \
            USER_C_MODULES="$ROOT/micropython.cmake" FROZEN_MANIFEST="$manifest"
        echo "firmware: $mpy/ports/esp32/build-umqtt-rs-$board$SEL_TAG/" >&2
    fi
}

# Pure-Python umqtt.simple2 2.2.0 from PyPI (the sdist bench/run.py uses),
# compiled with the tree's mpy-cross: prints "simple2.mpy-bytes package-bytes".
SIMPLE2_SDIST_SHA256=48fd4da7701b95986293b06d343fbc564ebe7dfa82f5c8c09364c20df755f0e4
simple2_mpy_sizes() {
    local mpy_cross=$1 dir=$2
    python3 - "$mpy_cross" "$dir" "$ROOT/bench/.cache" "$SIMPLE2_SDIST_SHA256" <<'PY'
import hashlib, io, json, os, subprocess, sys, tarfile, urllib.error, urllib.request
mpy_cross, out, cache, sha = sys.argv[1:]
name = "micropython-umqtt.simple2-2.2.0.tar.gz"
path = os.path.join(cache, name)
if not os.path.exists(path):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        try:
            files = json.load(urllib.request.urlopen(
                "https://pypi.org/pypi/micropython-umqtt.simple2/2.2.0/json", timeout=60))["urls"]
        except urllib.error.HTTPError:  # some mirrors only serve the per-project document
            files = json.load(urllib.request.urlopen(
                "https://pypi.org/pypi/micropython-umqtt.simple2/json", timeout=60))["releases"]["2.2.0"]
        url = next(f["url"] for f in files if f["packagetype"] == "sdist")
        data = urllib.request.urlopen(url, timeout=60).read()
        with open(path, "wb") as f:
            f.write(data)
data = open(path, "rb").read()
if hashlib.sha256(data).hexdigest() != sha:
    sys.exit("%s: sha256 mismatch" % path)
sizes = {}
with tarfile.open(fileobj=io.BytesIO(data)) as tar:
    for m in tar.getmembers():
        d, n = os.path.split(m.name)
        if os.path.basename(d) == "umqtt" and n.endswith(".py"):
            src = os.path.join(out, n)
            with open(src, "wb") as f:
                f.write(tar.extractfile(m).read())
            subprocess.run([mpy_cross, "-o", src[:-3] + ".mpy", src], check=True)
            sizes[n] = os.path.getsize(src[:-3] + ".mpy")
print(sizes["simple2.py"], sum(sizes.values()))
PY
}

# size_of TOOL ELF: "text data bss" (Berkeley format: text = code + read-only data).
size_of() {
    "$1" "$2" | awk 'NR == 2 { print $1, $2, $3 }'
}

# frozen_facades_bytes SIZE_TOOL WITH_BUILD_DIR BASE_BUILD_DIR: the flash the
# frozen facades take. Frozen modules and the QSTRs only they use are all in
# frozen_content.o: its size with them, less the baseline's (same manifest,
# no facades).
frozen_facades_bytes() {
    local wt wd bt bd
    read -r wt wd _ <<<"$(size_of "$1" "$2/frozen_content.o")"
    read -r bt bd _ <<<"$(size_of "$1" "$3/frozen_content.o")"
    echo $((wt + wd - bt - bd))
}

cmd_size() {
    # The two profiles as defined, whatever overrides the environment holds.
    unset UMQTT_MQTT5 UMQTT_MQTT31 UMQTT_FACADES UMQTT_RUST_OPT
    cmd_deps
    local mpy sdir profile
    mpy=$(cmd_source)
    sdir=$BUILD_ROOT/size
    mkdir -p "$sdir/usercmods-base" "$sdir/simple2"
    # Firmware with the module, each profile: the ones the tests use.
    for profile in full minimal; do
        cmd_unix $profile
        cmd_qemu rv32 $profile
        cmd_qemu arm $profile
    done
    # Baselines: the same builds without our user C module and frozen facades
    # (python/manifest.py, with $(UMQTT_MANIFEST) an empty manifest).
    # qemu keeps the shim that gives the port a clock, time, select and
    # _asyncio (ports/qemu/, a user C module of its own), so it is not counted.
    : >"$sdir/no-facades.py"
    ln -sfn "$ROOT/ports/qemu" "$sdir/usercmods-base/qemu-shim"
    log "building the baselines (no umqtt-rs)"
    local base_args=(FROZEN_MANIFEST="$ROOT/python/manifest.py" MICROPY_MANIFEST_UMQTT_MANIFEST="$sdir/no-facades.py")
    local unix_args=(BUILD=build-umqtt-rs-base "${base_args[@]}"
        MICROPY_PY_BTREE=0 MICROPY_SSL_AXTLS=0 MICROPY_SSL_MBEDTLS=1)
    fresh_build_dir "$mpy/ports/unix/build-umqtt-rs-base" \
        "$(printf '%s\n' "${unix_args[@]}" | cat - "$ROOT/python/manifest.py" | sha256sum | cut -c1-16)"
    make -s -C "$mpy/ports/unix" -j"$JOBS" "${unix_args[@]}" >/dev/null
    local rv32_base arm_base
    rv32_base=$(qemu_make "$mpy" VIRT_RV32 build-umqtt-rs-base-VIRT_RV32 \
        USER_C_MODULES="$sdir/usercmods-base" "${base_args[@]}" MICROPY_HEAP_SIZE=$QEMU_HEAP)
    arm_base=$(qemu_make "$mpy" MPS2_AN385 build-umqtt-rs-base-MPS2_AN385 \
        USER_C_MODULES="$sdir/usercmods-base" "${base_args[@]}" MICROPY_HEAP_SIZE=$QEMU_HEAP)
    local pure
    pure=$(simple2_mpy_sizes "$mpy/mpy-cross/build/mpy-cross" "$sdir/simple2")

    {
        echo "| profile | flash added (.text + .rodata) | target | of which frozen facades | RAM added (.data + .bss) | firmware with umqtt-rs: text / data / bss |"
        echo "|---|---:|---|---:|---:|---:|"
        local row name tool with base build tag frozen
        for profile in full minimal; do
            tag=-$profile
            [ $profile = full ] && tag=
            for row in "unix x86-64 (unix port)|size|$(unix_firmware "$tag")|$mpy/ports/unix/build-umqtt-rs-base/micropython|$mpy/ports/unix/build-umqtt-rs$tag" \
                "rv32imc (qemu VIRT_RV32; ESP32-C3's ISA)|riscv64-unknown-elf-size|$BUILD_ROOT/qemu-rv32$tag/firmware.elf|$rv32_base|$mpy/ports/qemu/build-umqtt-rs-VIRT_RV32$tag" \
                "Cortex-M3 (qemu MPS2_AN385)|arm-none-eabi-size|$BUILD_ROOT/qemu-arm$tag/firmware.elf|$arm_base|$mpy/ports/qemu/build-umqtt-rs-MPS2_AN385$tag"; do
                IFS='|' read -r name tool with base build <<<"$row"
                read -r wt wd wb <<<"$(size_of "$tool" "$with")"
                read -r bt bd bb <<<"$(size_of "$tool" "$base")"
                frozen=$(frozen_facades_bytes "$tool" "$build" "$(dirname "$base")")
                printf '| %s | %d B | %s | %d B | %d B | %d / %d / %d |\n' "$profile" $((wt - bt)) "$name" \
                    "$frozen" $((wd + wb - bd - bb)) "$wt" "$wd" "$wb"
            done
        done
        read -r s2 s2all <<<"$pure"
        echo
        echo "full: MQTT 3.1, 3.1.1 and 5; every facade (simple2, robust2, simple, robust, umqtt.MQTTClient, mqtt_as) and umqtt._net (ssl=True with ssl_params)."
        echo "minimal: MQTT 3.1.1; umqtt.simple2 (with umqtt.errno)."
        # A tree whose engine has no mqtt5 switch yet builds it in regardless.
        if [ "$("$(unix_firmware -minimal)" -c 'import _umqtt; print(getattr(_umqtt, "MQTT5", True))')" != False ]; then
            echo "Note: this tree's minimal firmware still has MQTT 5 (_umqtt.MQTT5 is not False): UMQTT_MQTT5=0 had no effect."
        fi
        echo "For comparison, pure-Python umqtt.simple2 2.2.0 compiled with this tree's mpy-cross:"
        echo "simple2.mpy $s2 B (with errno.mpy and \`__init__.mpy\`: $s2all B), plus its RAM once imported."
    } | tee "$sdir/size.md"
}

cmd_header() {
    cmd_deps
    (cd "$ROOT/rust/umqtt-ffi" && cbindgen --quiet --config cbindgen.toml --output "$ROOT/cmodule/umqtt_ffi.h")
}

cmd_demo() {
    [ -x "$UNIX_FIRMWARE" ] || cmd_unix full
    cmd_deps
    python3 "$ROOT/tests/broker.py" --run "$UNIX_FIRMWARE" "$ROOT/examples/demo.py"
}

cmd_test() {
    # The two profiles as defined, whatever overrides the environment holds.
    unset UMQTT_PROFILE UMQTT_MQTT5 UMQTT_MQTT31 UMQTT_FACADES UMQTT_RUST_OPT
    cmd_deps
    cd "$ROOT"
    log "deps_table lists every program the scripts run; the deb-src entry from sample apt configurations"
    python3 tests/check_deps.py
    python3 tests/check_debian_sources.py
    log "cargo fmt --check"
    cargo fmt --all --check
    log "cargo test: the core and the C ABI's drivers on a scripted port (no MicroPython build)"
    cargo test --locked -q --workspace --exclude micropython-sys 2>&1 | tail -n 25
    log "cargo test without the default features (as the minimal firmware: no MQTT 3.1, no MQTT 5, no QoS 2 flows, no non-blocking calls)"
    cargo test --locked -q -p umqtt-core -p umqtt-ffi --no-default-features 2>&1 | tail -n 25
    log "cargo clippy (core, and umqtt-ffi on the host, deny warnings; with and without default features)"
    cargo clippy --locked -q -p umqtt-core -p umqtt-ffi --all-targets -- -D warnings
    cargo clippy --locked -q -p umqtt-core -p umqtt-ffi --all-targets --no-default-features -- -D warnings
    log "core builds for bare-metal targets"
    for t in riscv32imc-unknown-none-elf thumbv7m-none-eabi; do
        cargo build --locked -q -p umqtt-core --release --target "$t"
    done
    log "cmodule/umqtt_ffi.h is up to date with rust/umqtt-ffi"
    (cd rust/umqtt-ffi && cbindgen --quiet --config cbindgen.toml --verify --output "$ROOT/cmodule/umqtt_ffi.h") ||
        die "cmodule/umqtt_ffi.h is stale: run ./ports-build.sh header and commit it"
    cmd_unix full
    log "cargo clippy (umqtt-ffi, with the unix build's MicroPython flags, deny warnings)"
    local mpy
    mpy=$(cmd_source)
    UMQTT_MP_CFLAGS_FILE="$mpy/ports/unix/build-umqtt-rs/umqtt_cflags.txt" \
        UMQTT_MP_BUILD_DIR="$mpy/ports/unix" \
        cargo clippy --locked -q --release -p umqtt-ffi --features micropython \
        --target-dir "$BUILD_ROOT/clippy-ffi" -- -D warnings
    log "micropython.cmake (the ESP32/rp2 build) in a harness that mimics those ports: targets, flags, two Rust builds"
    MPY_SRC="$mpy" tests/cmake/run.sh "$BUILD_ROOT/cmake-harness"
    log "firmware tests against mosquitto"
    python3 tests/run.py --micropython "$UNIX_FIRMWARE" -j 2
    log "mqtt_as two-process test: a target on the firmware challenged over raw MQTT 3.1.1 and 5"
    python3 tests/twoproc/run.py --micropython "$UNIX_FIRMWARE"
    log "hostile broker: every scenario, every façade (blocking ones: check_msg and wait_msg; mqtt_as: asyncio)"
    python3 tests/hostile/run.py --micropython "$UNIX_FIRMWARE" -j 4 --out "$BUILD_ROOT/hostile.md"
    log "leak loop: 10,000 connect/publish/disconnect cycles, flat heap and RSS"
    python3 tests/leak/run.py --micropython "$UNIX_FIRMWARE"
    log "firmware tests under valgrind memcheck (own unstripped build)"
    tests/memcheck.sh
    log "fuzzing: 3.1.1 and MQTT 5 decoders, framing reader, session, client engine (20 s each)"
    fuzz/run.sh 20
    log "stubs match the firmware; docs/api is generated from them"
    python3 tests/check_stubs.py --micropython "$UNIX_FIRMWARE"
    python3 tests/check_docs.py
    log "examples, each against a private mosquitto"
    python3 tests/examples.py --micropython "$UNIX_FIRMWARE" -j 2
    log "core interop tests against a second broker (amqtt, PyPI)"
    tests/second_broker.sh "$UNIX_FIRMWARE"
    log "MicroPython 1.25.0 (Debian trixie): build, then the firmware tests"
    MPY_VERSION=1.25.0+ds-1 "$ROOT/ports-build.sh" unix
    python3 tests/run.py --micropython "$BUILD_ROOT/unix-1.25.0/micropython" -j 2
    log "profile minimal (MQTT 3.1.1, umqtt.simple2): unix build, then the firmware tests (what needs more skips)"
    cmd_unix minimal
    python3 tests/run.py --micropython "$(unix_firmware -minimal)" -j 2
    cmd_qemu rv32 minimal
    cmd_qemu arm minimal
    log "firmware tests without network under qemu-system-riscv32 and qemu-system-arm (profile minimal)"
    python3 tests/qemu.py --target rv32="$BUILD_ROOT/qemu-rv32-minimal/firmware.elf" \
        --target arm="$BUILD_ROOT/qemu-arm-minimal/firmware.elf"
}

case "${1:-}" in
deps) cmd_deps ;;
source) cmd_source ;;
unix) cmd_unix "${UMQTT_PROFILE:-full}" ;;
header) cmd_header ;;
demo) cmd_demo ;;
test) cmd_test ;;
qemu-rv32) cmd_qemu rv32 "${UMQTT_PROFILE:-full}" ;;
qemu-arm) cmd_qemu arm "${UMQTT_PROFILE:-full}" ;;
esp32 | esp32c3 | esp32s3 | esp8266) cmd_esp "$1" ;;
size) cmd_size ;;
*)
    sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
