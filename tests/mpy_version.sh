#!/usr/bin/env bash
# Builds the unix firmware against another MicroPython release and runs the
# firmware tests on it, without touching build/unix/micropython (the firmware
# ./ports-build.sh unix makes).
#
#   tests/mpy_version.sh 1.25.0+ds-1            Debian source version: fetch, build, test
#   MPY_DIR=/path/to/micropython tests/mpy_version.sh NAME   an existing tree instead
#
# The source goes to build/src-VERSION/, the firmware to
# build/unix-VERSION/micropython; then tests/run.py runs on it.
# TEST_ARGS (default "-j 2") are passed on to tests/run.py; BUILD_ONLY=1 skips it.
# MAKE_ARGS are added to the port's make command line, e.g.
#   MAKE_ARGS='CFLAGS_EXTRA=-DMP_NORETURN=NORETURN'   (MicroPython < 1.26 has no MP_NORETURN)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VERSION=${1:?usage: tests/mpy_version.sh DEBIAN_VERSION (e.g. 1.25.0+ds-1)}
TAG=${VERSION%%+*}
OUT="$ROOT/build/unix-$TAG"
JOBS=$(nproc 2>/dev/null || echo 2)

mpy=${MPY_DIR:-}
if [ -z "$mpy" ]; then
    src="$ROOT/build/src-$TAG"
    mpy=$(ls -d "$src"/micropython-*/ 2>/dev/null | head -n 1 || true)
    if [ -z "$mpy" ]; then
        mkdir -p "$src"
        (cd "$src" && apt-get source -qq "micropython=$VERSION" >/dev/null 2>&1) ||
            { echo "mpy_version.sh: micropython=$VERSION is not in the Debian source archive" >&2; exit 1; }
        mpy=$(ls -d "$src"/micropython-*/ | head -n 1)
    fi
    mpy=${mpy%/}
fi
[ -f "$mpy/py/mpconfig.h" ] || { echo "mpy_version.sh: $mpy is not a MicroPython tree" >&2; exit 1; }

mkdir -p "$ROOT/build/usercmods"
ln -sfn "$ROOT" "$ROOT/build/usercmods/umqtt"
echo "== building the unix firmware against $mpy" >&2
make -s -C "$mpy/mpy-cross" -j"$JOBS" >/dev/null
make -s -C "$mpy/ports/unix" -j"$JOBS" \
    BUILD=build-umqtt-rs \
    USER_C_MODULES="$ROOT/build/usercmods" \
    FROZEN_MANIFEST="$ROOT/python/manifest.py" \
    MICROPY_PY_BTREE=0 MICROPY_SSL_AXTLS=0 MICROPY_SSL_MBEDTLS=1 ${MAKE_ARGS:-}
mkdir -p "$OUT"
cp "$mpy/ports/unix/build-umqtt-rs/micropython" "$OUT/micropython.tmp"
mv -f "$OUT/micropython.tmp" "$OUT/micropython"
echo "firmware: $OUT/micropython ($("$OUT/micropython" -c 'import sys; print(sys.version)'))" >&2
[ -n "${BUILD_ONLY:-}" ] && exit 0
echo "== firmware tests on MicroPython $TAG" >&2
# shellcheck disable=SC2086
python3 "$ROOT/tests/run.py" --micropython "$OUT/micropython" ${TEST_ARGS:--j 2}
