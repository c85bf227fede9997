# MicroPython's qemu port as umqtt-rs needs it (included by ../../micropython.mk
# for qemu builds; also usable alone as a user C module, which is how
# `ports-build.sh size` builds its baseline firmware).
#
# The port has no clock (no mp_hal_ticks_ms) and turns `time` and `select`
# off, which every real port has: umqtt_hal.c supplies the clock and
# mpconfigport_umqtt.h, included by every file of the build instead of the
# port's mpconfigport.h, switches them (and _asyncio) back on.
UMQTT_QEMU_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

SRC_USERMOD_C += $(UMQTT_QEMU_DIR)/umqtt_hal.c
CFLAGS_USERMOD += '-DMP_CONFIGFILE="$(UMQTT_QEMU_DIR)/mpconfigport_umqtt.h"'
