#!/usr/bin/env bash
# Builds MicroPython firmware with umqtt-rs inside, and runs the demo and the tests.
#
#   ./ports-build.sh demo     build the unix firmware if needed, run a pub/sub demo on a local broker
#   ./ports-build.sh test     every test: Rust (test, clippy, header, cross builds) + firmware tests
#   ./ports-build.sh unix     build the unix firmware -> build/unix/micropython
#   ./ports-build.sh deps     install what the build and tests need (apt, rustup, cargo)
#   ./ports-build.sh source   fetch MicroPython's source (Debian source package)
#   ./ports-build.sh header   regenerate cmodule/umqtt_ffi.h with the pinned cbindgen
#
# Environment:
#   MPY_DIR=/path/to/micropython   use your own MicroPython checkout instead of Debian's source
#   MPY_VERSION=1.26.1+ds-1        Debian source version to fetch (falls back to the newest available)
#   RUST_TARGET=<triple>           override the Rust target derived from the port
set -euo pipefail

ROOT=$(cd "$(dirname "$0")" && pwd)
BUILD_ROOT="$ROOT/build"
MPY_VERSION=${MPY_VERSION:-1.26.1+ds-1}
CBINDGEN_VERSION=0.29.2
UNIX_FIRMWARE="$BUILD_ROOT/unix/micropython"
JOBS=$(nproc 2>/dev/null || echo 2)

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'ports-build.sh: %s\n' "$*" >&2; exit 1; }

apt_packages=(
    build-essential dpkg-dev pkgconf python3 ca-certificates curl
    libffi-dev libmbedtls-dev libclang-dev
    mosquitto mosquitto-clients openssl valgrind
)

cmd_deps() {
    local missing=()
    for p in "${apt_packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "apt: installing ${missing[*]}"
        [ "$(id -u)" = 0 ] || die "installing packages needs root (missing: ${missing[*]})"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    command -v cargo >/dev/null || die "no Rust toolchain (cargo) on PATH: install rustup"
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
    if ! cbindgen --version 2>/dev/null | grep -q " $CBINDGEN_VERSION\$"; then
        log "cargo: installing cbindgen $CBINDGEN_VERSION"
        cargo install --quiet --locked cbindgen --version "$CBINDGEN_VERSION"
    fi
}

# MicroPython's source: MPY_DIR if given, else Debian's source package in build/.
cmd_source() {
    if [ -n "${MPY_DIR:-}" ]; then
        [ -f "$MPY_DIR/py/mpconfig.h" ] || die "MPY_DIR=$MPY_DIR is not a MicroPython tree"
        echo "$MPY_DIR"
        return
    fi
    local existing
    existing=$(ls -d "$BUILD_ROOT"/src/micropython-*/ 2>/dev/null | head -n 1 || true)
    if [ -n "$existing" ]; then
        echo "${existing%/}"
        return
    fi
    mkdir -p "$BUILD_ROOT/src"
    local list=/etc/apt/sources.list.d/umqtt-rs-micropython-src.sources
    if ! apt-cache showsrc micropython 2>/dev/null | grep -q '^Version:'; then
        log "apt: adding Debian trixie/sid source lists (MicroPython's source package)"
        cat >"$list" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
        apt-get update -qq
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
    existing=$(ls -d "$BUILD_ROOT"/src/micropython-*/ | head -n 1)
    echo "${existing%/}"
}

# make ports include $(USER_C_MODULES)/*/micropython.mk: give them a parent
# directory that holds only this repository.
usercmods_dir() {
    mkdir -p "$BUILD_ROOT/usercmods"
    ln -sfn "$ROOT" "$BUILD_ROOT/usercmods/umqtt"
    echo "$BUILD_ROOT/usercmods"
}

cmd_unix() {
    cmd_deps
    local mpy
    mpy=$(cmd_source)
    log "building the unix firmware ($mpy)"
    make -s -C "$mpy/mpy-cross" -j"$JOBS" >/dev/null
    make -s -C "$mpy/ports/unix" -j"$JOBS" \
        BUILD=build-umqtt-rs \
        USER_C_MODULES="$(usercmods_dir)" \
        FROZEN_MANIFEST="$ROOT/python/manifest.py" \
        MICROPY_PY_BTREE=0 MICROPY_SSL_AXTLS=0 MICROPY_SSL_MBEDTLS=1
    mkdir -p "$(dirname "$UNIX_FIRMWARE")"
    cp "$mpy/ports/unix/build-umqtt-rs/micropython" "$UNIX_FIRMWARE"
    echo "firmware: $UNIX_FIRMWARE" >&2
}

cmd_header() {
    cmd_deps
    (cd "$ROOT/rust/umqtt-ffi" && cbindgen --quiet --config cbindgen.toml --output "$ROOT/cmodule/umqtt_ffi.h")
}

cmd_demo() {
    [ -x "$UNIX_FIRMWARE" ] || cmd_unix
    cmd_deps
    python3 "$ROOT/tests/broker.py" --run "$UNIX_FIRMWARE" "$ROOT/examples/demo.py"
}

cmd_test() {
    cmd_deps
    cd "$ROOT"
    log "cargo fmt --check"
    cargo fmt --all --check
    log "cargo test (core)"
    cargo test --locked -q -p umqtt-core 2>&1 | tail -n 25
    log "cargo clippy (core, deny warnings)"
    cargo clippy --locked -q -p umqtt-core --all-targets -- -D warnings
    log "core builds for bare-metal targets"
    for t in riscv32imc-unknown-none-elf thumbv7m-none-eabi; do
        cargo build --locked -q -p umqtt-core --release --target "$t"
    done
    log "cmodule/umqtt_ffi.h is up to date with rust/umqtt-ffi"
    (cd rust/umqtt-ffi && cbindgen --quiet --config cbindgen.toml --verify --output "$ROOT/cmodule/umqtt_ffi.h") ||
        die "cmodule/umqtt_ffi.h is stale: run ./ports-build.sh header and commit it"
    cmd_unix
    log "firmware tests against mosquitto"
    python3 tests/run.py --micropython "$UNIX_FIRMWARE"
}

case "${1:-}" in
deps) cmd_deps ;;
source) cmd_source ;;
unix) cmd_unix ;;
header) cmd_header ;;
demo) cmd_demo ;;
test) cmd_test ;;
*)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
