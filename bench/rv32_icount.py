#!/usr/bin/env python3
"""Instructions per QoS 0 publish and per received message on rv32imc, counted by QEMU, for
firmwares side by side: what a build choice (UMQTT_RUST_OPT, the RISC-V flags of
micropython.mk) costs in speed on the ISA the flash figures are for.

    python3 bench/rv32_icount.py build/qemu-rv32-minimal/firmware.elf OTHER.elf ...

Each firmware boots in QEMU (qemu-system-riscv32 virt) with `-icount shift=0`: the virtual clock
then advances 1 ns per instruction, so the CLINT timer behind time.ticks_us() counts
instructions. bench/mp/icount.py runs on it (the native umqtt.simple2 over an io.BytesIO, 2,000
publishes, then 2,000 messages through check_msg()); the counts include the Python loop and the
BytesIO, as a program's would, and repeat exactly from run to run. Prints a Markdown table, each
firmware also as a ratio to the first. Needs what ./ports-build.sh deps installs.
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
import qemu  # noqa: E402  (tests/qemu.py: its Qemu class drives the raw REPL)

BOOT_S, RUN_S = 30, 300


def count(elf):
    """(instructions per publish, per received message) on the firmware `elf`."""
    with open(os.path.join(HERE, "mp", "icount.py")) as f:
        src = f.read()
    common = qemu.QEMU_COMMON
    qemu.QEMU_COMMON = common + ["-icount", "shift=0"]
    try:
        q = qemu.Qemu("rv32", elf)
    finally:
        qemu.QEMU_COMMON = common
    try:
        q.enter_raw_repl(time.monotonic() + BOOT_S)
        out, err = q.exec_raw(src, time.monotonic() + RUN_S)
    finally:
        q.close()
    fields = next((line.split() for line in out.splitlines() if line.startswith("ICOUNT ")), None)
    if err or fields is None or fields[3] != "2000":
        sys.exit("bench/rv32_icount.py: %s: no count; output %r, error %r" % (elf, out, err))
    return int(fields[1]), int(fields[2])


def main():
    elfs = sys.argv[1:]
    if not elfs or any(a.startswith("-") for a in elfs):
        sys.exit(__doc__)
    rows = [(elf, count(elf)) for elf in elfs]
    base = rows[0][1]
    print("| firmware | instructions per QoS 0 publish | ratio | per received message | ratio |")
    print("|---|---:|---:|---:|---:|")
    for elf, (pub, rx) in rows:
        print("| %s | %d | %.3f | %d | %.3f |" % (elf, pub, pub / base[0], rx, rx / base[1]))


if __name__ == "__main__":
    main()
