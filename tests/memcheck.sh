#!/usr/bin/env bash
# The firmware test suite (tests/run.py: every tests/mp test, against the
# private mosquitto) under valgrind memcheck. Needs ./ports-build.sh unix
# to have run once (MicroPython source in build/src, build/usercmods).
#
#   tests/memcheck.sh [tests/run.py options, e.g. -k test_connect -j 2]
#
# It builds its own unstripped firmware with debug info (BUILD dir
# build-umqtt-memcheck in the MicroPython tree, copied to
# build/memcheck/micropython), so build/unix/micropython is never touched
# and valgrind's reports name functions and lines. That firmware also links
# tests/memcheck_roots/, which hands the conservative GC's stack scan a copy
# marked defined: without it, stale stack words taint the GC's allocation
# table and, now and then, the blocks it hands out (see the file). Nothing
# is suppressed.
#
# Flags: --error-exitcode makes any memcheck error fail its test;
# --leak-check=no because MicroPython's objects live in one GC heap that is a
# single malloc block (a leak inside it is invisible to valgrind, and the
# interpreter does not free the heap at exit): leaks are measured by
# tests/leak/run.py instead. Tests run with a longer per-test timeout since
# valgrind slows MicroPython about 20-fold.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_ROOT=${BUILD_ROOT:-$ROOT/build}
# The MicroPython tree ports-build.sh builds against (its default version).
MPY_DIR=${MPY_DIR:-$("$ROOT/ports-build.sh" source)}
MPY_DIR=${MPY_DIR%/}
[ -d "$MPY_DIR/ports/unix" ] || { echo "no MicroPython source: run ./ports-build.sh unix first" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is missing: ./ports-build.sh deps installs it" >&2; exit 2; }
# Its user C modules: umqtt-rs, and tests/memcheck_roots (the GC's root scan
# made readable to memcheck; see the file).
MODS=$BUILD_ROOT/memcheck/usercmods
mkdir -p "$MODS"
ln -sfn "$ROOT" "$MODS/umqtt"
ln -sfn "$ROOT/tests/memcheck_roots" "$MODS/memcheck_roots"
make -s -C "$MPY_DIR/mpy-cross" -j"$(nproc)" >/dev/null
make -s -C "$MPY_DIR/ports/unix" -j"$(nproc)" \
    BUILD=build-umqtt-memcheck STRIP= COPT="-O2 -g" \
    USER_C_MODULES="$MODS" \
    FROZEN_MANIFEST="$ROOT/python/manifest.py" \
    MICROPY_PY_BTREE=0 MICROPY_SSL_AXTLS=0 MICROPY_SSL_MBEDTLS=1 >/dev/null
cp "$MPY_DIR/ports/unix/build-umqtt-memcheck/micropython" "$BUILD_ROOT/memcheck/micropython"
# Without arguments: every test but those whose timing assumptions do not
# hold at valgrind's speed (not memory errors):
# - test_umqtt_qos2 publishes with message_timeout=0 and asserts the QoS 2
#   handshake has NOT completed yet; under valgrind PUBREC/PUBCOMP are
#   already there.
SKIP=${MEMCHECK_SKIP-test_umqtt_qos2}
if [ $# -eq 0 ]; then
    for f in "$ROOT"/tests/mp/test_*.py; do
        n=$(basename "$f" .py)
        case " $SKIP " in *" $n "*) echo "SKIP $n (timing, see tests/memcheck.sh)" ;; *) set -- "$@" -k "$n" ;; esac
    done
fi
exec python3 "$ROOT/tests/run.py" --micropython "$BUILD_ROOT/memcheck/micropython" \
    --timeout 240 -j "$(nproc)" \
    --wrapper "valgrind -q --error-exitcode=99 --leak-check=no --num-callers=30" \
    "$@"
