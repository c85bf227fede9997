#!/usr/bin/env bash
# Stands in for a port's cross GCC (riscv32-esp-elf-gcc, arm-none-eabi-gcc...)
# in the harness: clang for the target given first, whose C library is
# stub-libc/, taking GCC's target flags (clang 14 rejects GCC's RISC-V
# multi-letter -march extensions and -mcpu=hazard3*).
#   cross-cc.sh <clang target> <clang or clang++> <compiler arguments>...
target=$1 compiler=$2
shift 2
args=()
for a in "$@"; do
    case $a in
    -march=rv*_*) args+=("${a%%_*}") ;;
    -mcpu=hazard3*) ;;
    *) args+=("$a") ;;
    esac
done
exec "$compiler" --target="$target" -isystem "$(dirname "$0")/stub-libc" "${args[@]}"
