# umqtt-rs as a MicroPython user C module (make-based ports: unix, qemu, esp8266...).
#
#   make -C ports/unix USER_C_MODULES=<dir containing this repo as a subdirectory>
#
# (ports-build.sh does this for you.) The Rust crates are built by cargo into
# $(BUILD)/umqtt-cargo, partial-linked into one relocatable object whose
# hidden symbols are made local, so Rust's compiler_builtins can never
# replace the C library's memcpy/floor/... and link order stops mattering.

UMQTT_DIR := $(USERMOD_DIR)

# Profiles (docs/building.md): UMQTT_PROFILE=full (the default: MQTT 3.1,
# 3.1.1 and 5, every facade) or minimal (MQTT 3.1.1, umqtt.simple2).
# UMQTT_MQTT5=0|1, UMQTT_MQTT31=0|1 and UMQTT_FACADES=simple2,mqtt_as,... (or
# none) override the profile's choice; empty means the profile's.
# UMQTT_RUST_OPT=s|z sets the Rust code's opt-level: "s" (the default) is
# faster, "z" slower and smaller only in Cortex-M3 full (docs/building.md).
UMQTT_PROFILE ?= full
ifeq ($(UMQTT_PROFILE),full)
UMQTT_PROFILE_MQTT5 := 1
UMQTT_PROFILE_MQTT31 := 1
UMQTT_PROFILE_FACADES := simple2,robust2,simple,robust,client,mqtt_as,tls
else ifeq ($(UMQTT_PROFILE),minimal)
UMQTT_PROFILE_MQTT5 := 0
UMQTT_PROFILE_MQTT31 := 0
UMQTT_PROFILE_FACADES := simple2
else
$(error umqtt: UMQTT_PROFILE=$(UMQTT_PROFILE): choose full or minimal)
endif
UMQTT_MQTT5_SEL := $(if $(strip $(UMQTT_MQTT5)),$(strip $(UMQTT_MQTT5)),$(UMQTT_PROFILE_MQTT5))
UMQTT_MQTT31_SEL := $(if $(strip $(UMQTT_MQTT31)),$(strip $(UMQTT_MQTT31)),$(UMQTT_PROFILE_MQTT31))
UMQTT_FACADES_SEL := $(if $(strip $(UMQTT_FACADES)),$(strip $(UMQTT_FACADES)),$(UMQTT_PROFILE_FACADES))
UMQTT_RUST_OPT_SEL := $(if $(strip $(UMQTT_RUST_OPT)),$(strip $(UMQTT_RUST_OPT)),s)
ifeq ($(filter 0 1,$(UMQTT_MQTT5_SEL)),)
$(error umqtt: UMQTT_MQTT5=$(UMQTT_MQTT5_SEL): use 0 or 1)
endif
ifeq ($(filter 0 1,$(UMQTT_MQTT31_SEL)),)
$(error umqtt: UMQTT_MQTT31=$(UMQTT_MQTT31_SEL): use 0 or 1)
endif
ifeq ($(filter s z,$(UMQTT_RUST_OPT_SEL)),)
$(error umqtt: UMQTT_RUST_OPT=$(UMQTT_RUST_OPT_SEL): use s or z)
endif
# The non-blocking engine calls come with the facade that drives them; the
# micropython-lib conventions and calls (UMQTT_MPLIB) with the facades built
# on them; the keep-alive calls (UMQTT_KEEPALIVE) with the reconnecting ones;
# the QoS 2 flows (UMQTT_QOS2, cargo feature qos2) with the facades that use
# them (cmodule/umqtt_glue.h).
UMQTT_COMMA := ,
UMQTT_FACADE_LIST := $(subst $(UMQTT_COMMA), ,$(UMQTT_FACADES_SEL))
UMQTT_NONBLOCKING_SEL := $(if $(filter mqtt_as,$(UMQTT_FACADE_LIST)),1,0)
UMQTT_MPLIB_SEL := $(if $(filter simple robust client mqtt_as,$(UMQTT_FACADE_LIST)),1,0)
UMQTT_KEEPALIVE_SEL := $(if $(filter robust2 client mqtt_as,$(UMQTT_FACADE_LIST)),1,0)
UMQTT_QOS2_SEL := $(if $(filter client mqtt_as,$(UMQTT_FACADE_LIST)),1,0)

# The selection is written to files in $(BUILD), each rewritten only when it
# changes: make tracks them, where it tracks neither CFLAGS nor the manifest.
UMQTT_BUILD_ABS := $(abspath $(BUILD))
UMQTT_NATIVE_FILE := $(UMQTT_BUILD_ABS)/umqtt_native.txt
UMQTT_NATIVE_SWITCHES := UMQTT_MPLIB=$(UMQTT_MPLIB_SEL) UMQTT_KEEPALIVE=$(UMQTT_KEEPALIVE_SEL) UMQTT_QOS2=$(UMQTT_QOS2_SEL)
UMQTT_NATIVE_TEXT := UMQTT_MQTT31=$(UMQTT_MQTT31_SEL) UMQTT_MQTT5=$(UMQTT_MQTT5_SEL) UMQTT_NONBLOCKING=$(UMQTT_NONBLOCKING_SEL) $(UMQTT_NATIVE_SWITCHES)
UMQTT_NATIVE_WAS := $(file < $(UMQTT_NATIVE_FILE))
UMQTT_NATIVE_OLD := $(UMQTT_NATIVE_WAS)
# A directory from before UMQTT_MQTT31 suits either setting: every file that
# tests it changed with it, so their strings are collected again. (Empty:
# the file is rewritten, with the switch.)
ifneq ($(UMQTT_NATIVE_OLD),)
ifeq ($(filter UMQTT_MQTT31=%,$(UMQTT_NATIVE_OLD)),)
UMQTT_NATIVE_OLD := UMQTT_MQTT31=$(UMQTT_MQTT31_SEL) $(UMQTT_NATIVE_OLD)
ifeq ($(UMQTT_NATIVE_OLD),$(UMQTT_NATIVE_TEXT))
UMQTT_NATIVE_OLD :=
endif
endif
endif
# A directory from before a switch had it on, so it holds every QSTR: the
# non-blocking one, then UMQTT_MPLIB and UMQTT_KEEPALIVE.
ifeq ($(UMQTT_NATIVE_OLD) UMQTT_NONBLOCKING=1 $(UMQTT_NATIVE_SWITCHES),$(UMQTT_NATIVE_TEXT))
UMQTT_NATIVE_OLD :=
endif
ifeq ($(UMQTT_NATIVE_OLD) $(UMQTT_NATIVE_SWITCHES),$(UMQTT_NATIVE_TEXT))
UMQTT_NATIVE_OLD :=
endif
# UMQTT_QOS2 guards no QSTR: a directory built with the other setting, or
# before the switch, is fine.
ifneq ($(UMQTT_NATIVE_OLD),$(UMQTT_NATIVE_TEXT))
ifeq ($(filter-out UMQTT_QOS2=%,$(UMQTT_NATIVE_OLD)),$(filter-out UMQTT_QOS2=%,$(UMQTT_NATIVE_TEXT)))
UMQTT_NATIVE_OLD :=
endif
endif
ifneq ($(UMQTT_NATIVE_OLD),$(UMQTT_NATIVE_TEXT))
# QSTRs (and error texts) are collected once per source file, not per
# CFLAGS: a build directory built with another MQTT 3.1, MQTT 5 or
# non-blocking setting would miss some. Say so, clearly.
ifneq ($(UMQTT_NATIVE_OLD),)
ifeq ($(filter clean,$(MAKECMDGOALS)),)
$(error umqtt: $(BUILD) was built with $(UMQTT_NATIVE_WAS), not $(UMQTT_NATIVE_TEXT): use another BUILD= (or make clean))
endif
endif
$(shell mkdir -p $(UMQTT_BUILD_ABS))
$(file > $(UMQTT_NATIVE_FILE),$(UMQTT_NATIVE_TEXT))
endif
CFLAGS_USERMOD += $(addprefix -D,$(UMQTT_NATIVE_TEXT))
UMQTT_CARGO_FEATURES := --no-default-features \
	--features micropython$(if $(filter 1,$(UMQTT_MQTT5_SEL)),$(UMQTT_COMMA)mqtt5)$(if $(filter 1,$(UMQTT_MQTT31_SEL)),$(UMQTT_COMMA)mqtt31)$(if $(filter 1,$(UMQTT_NONBLOCKING_SEL)),$(UMQTT_COMMA)nonblocking)$(if $(filter 1,$(UMQTT_QOS2_SEL)),$(UMQTT_COMMA)qos2)

# The facades: FROZEN_MANIFEST=python/manifest.py (or a manifest of your own)
# does include("$(UMQTT_MANIFEST)"), the manifest generated here.
UMQTT_MANIFEST_FILE := $(UMQTT_BUILD_ABS)/umqtt_manifest.py
UMQTT_MANIFEST_TEXT := include("$(abspath $(UMQTT_DIR))/python/manifest_facades.py"$(UMQTT_COMMA) facades="$(UMQTT_FACADES_SEL)")
ifneq ($(file < $(UMQTT_MANIFEST_FILE)),$(UMQTT_MANIFEST_TEXT))
$(shell mkdir -p $(UMQTT_BUILD_ABS))
$(file > $(UMQTT_MANIFEST_FILE),$(UMQTT_MANIFEST_TEXT))
endif
MICROPY_MANIFEST_UMQTT_MANIFEST := $(UMQTT_MANIFEST_FILE)

# The C glue (cmodule/umqtt_glue.h describes it) and the trampolines Rust calls.
UMQTT_GLUE_C := modumqtt.c umqtt_errors.c umqtt_client.c umqtt_client_nb.c \
	umqtt_events.c umqtt_pending.c umqtt_props.c umqtt_buffers.c umqtt_simple2.c umqtt_net.c
SRC_USERMOD_C += $(addprefix $(UMQTT_DIR)/cmodule/,$(UMQTT_GLUE_C))
SRC_USERMOD_C += $(UMQTT_DIR)/cmodule/umqtt_port.c
CFLAGS_USERMOD += -I$(UMQTT_DIR)/cmodule

# MicroPython's qemu port has no clock and no `time`/`select`: see ports/qemu/.
ifeq ($(notdir $(CURDIR)),qemu)
include $(UMQTT_DIR)/ports/qemu/micropython.mk
endif

# Rust target for this port; RUST_TARGET on the command line overrides.
ifeq ($(RUST_TARGET),)
ifeq ($(notdir $(CURDIR)),unix)
RUST_TARGET := $(shell rustc -vV | sed -n 's/^host: //p')
else ifeq ($(BOARD),VIRT_RV32)
RUST_TARGET := riscv32imc-unknown-none-elf
else ifeq ($(BOARD),MPS2_AN385)
RUST_TARGET := thumbv7m-none-eabi
else
$(error umqtt: cannot derive the Rust target for this port; set RUST_TARGET=<rust target triple>)
endif
endif

# RISC-V (ESP32-C3/C6, rv32imc here): the module's code saves and restores
# registers through libgcc's shared __riscv_save_N/__riscv_restore_N instead
# of in every function (GCC's -msave-restore, LLVM's save-restore), and its
# Rust calls are marked relaxable, so the linker shortens auipc+jalr to jal
# (LLVM does not mark them for this target unless asked). Flash added, rv32imc:
# minimal -2,270 B, full -4,282 B; each call of a function that saves
# registers costs two jumps more (docs/building.md has the instruction
# counts). The C flag goes to our C files only, as a private target-specific
# variable at the end of this file: CFLAGS_USERMOD reaches every file of the
# firmware.
#
# Then size over the code's shape, measured on rv32imc `full` (50,228 B before):
# - LLVM options of the pinned toolchain (rust-toolchain.toml; a toolchain
#   that drops one stops the build, it cannot change it silently): switches
#   of fewer than 8 cases as compares, not jump tables; no phi-to-select
#   folding (rv32imc has no select instruction: the selects became branches
#   anyway); spills placed for size; constants merged into one global;
#   common block tails merged from 2 instructions. Together -178 B, and the
#   same instruction counts per publish and per received message
#   (bench/rv32_icount.py; docs/building.md).
# - GCC's -mtune=size for our C (its cost model for code size): -22 B.
ifneq ($(filter riscv%,$(RUST_TARGET)),)
UMQTT_RISCV_RUSTFLAGS := -C target-feature=+relax,+save-restore \
	-C llvm-args=-riscv-min-jump-table-entries=8 -C llvm-args=-phi-node-folding-threshold=0 \
	-C llvm-args=-split-spill-mode=size -C llvm-args=-riscv-enable-global-merge \
	-C llvm-args=-global-merge-on-const -C llvm-args=-tail-merge-size=2
UMQTT_RUSTFLAGS_ENV := CARGO_TARGET_$(shell echo '$(RUST_TARGET)' | tr 'a-z.-' 'A-Z__')_RUSTFLAGS="$(UMQTT_RISCV_RUSTFLAGS)"
UMQTT_GLUE_CFLAGS := -msave-restore -mtune=size
endif
# The Rust opt-level and flags, in a file of their own: cargo rebuilds when they change.
UMQTT_RUST_OPT_FILE := $(UMQTT_BUILD_ABS)/umqtt_rust_opt.txt
UMQTT_RUST_OPT_TEXT := $(UMQTT_RUST_OPT_SEL) $(UMQTT_RUSTFLAGS_ENV)
ifneq ($(file < $(UMQTT_RUST_OPT_FILE)),$(UMQTT_RUST_OPT_TEXT))
$(shell mkdir -p $(UMQTT_BUILD_ABS))
$(file > $(UMQTT_RUST_OPT_FILE),$(UMQTT_RUST_OPT_TEXT))
endif

UMQTT_CARGO_DIR := $(abspath $(BUILD))/umqtt-cargo
UMQTT_RUST_LIB := $(UMQTT_CARGO_DIR)/$(RUST_TARGET)/release/libumqtt_ffi.a
UMQTT_RUST_OBJ := $(abspath $(BUILD))/umqtt_rust.o
UMQTT_CFLAGS_FILE := $(abspath $(BUILD))/umqtt_cflags.txt
UMQTT_RUST_SRC := $(shell find $(UMQTT_DIR)/rust -name '*.rs' -o -name Cargo.toml -o -name '*.h') \
	$(UMQTT_DIR)/Cargo.toml $(UMQTT_DIR)/Cargo.lock $(UMQTT_DIR)/cmodule/umqtt_port.h
UMQTT_LLVM_BIN := $(shell rustc --print sysroot)/lib/rustlib/$(shell rustc -vV | sed -n 's/^host: //p')/bin

# bindgen needs the generated QSTR header, and the port's flags (one per line).
$(UMQTT_RUST_LIB): $(UMQTT_RUST_SRC) $(UMQTT_NATIVE_FILE) $(UMQTT_RUST_OPT_FILE) $(HEADER_BUILD)/qstrdefs.generated.h $(HEADER_BUILD)/root_pointers.h
	$(ECHO) "CARGO umqtt-ffi ($(RUST_TARGET), UMQTT_MQTT5=$(UMQTT_MQTT5_SEL) UMQTT_MQTT31=$(UMQTT_MQTT31_SEL))"
	$(Q)printf '%s\n' $(CFLAGS) > $(UMQTT_CFLAGS_FILE)
	$(Q)UMQTT_MP_CFLAGS_FILE=$(UMQTT_CFLAGS_FILE) UMQTT_MP_BUILD_DIR=$(CURDIR) TARGET_CC="$(CC)" \
		CARGO_PROFILE_RELEASE_OPT_LEVEL=$(UMQTT_RUST_OPT_SEL) $(UMQTT_RUSTFLAGS_ENV) cargo build --quiet --locked --release -p umqtt-ffi $(UMQTT_CARGO_FEATURES) --target $(RUST_TARGET) \
		--manifest-path $(UMQTT_DIR)/Cargo.toml --target-dir $(UMQTT_CARGO_DIR)
	$(Q)touch $@

# The partial link keeps what the C ABI (every umqtt_* symbol) reaches: the
# constants LLVM merges into one section per size (.rodata.cst16...) then
# come only from live code, not from every compiler_builtins member.
#
# On bare-metal targets compiler_builtins brings weak memcpy, memmove, memset,
# memcmp (and ARM's __aeabi_mem*) of its own, 1.3 KB on rv32imc and 2.4 KB on
# Cortex-M3, that would shadow the C library's or sit beside them: its archive
# members that define them are dropped, so Rust calls the port's (modumqtt.c
# forwards __aeabi_mem* to it). Each sits alone in its member; hosted targets
# have none.
UMQTT_LIBC_MEM := memcpy|memmove|memset|memcmp|__aeabi_mem(cpy|move|set|clr)[48]?

$(UMQTT_RUST_OBJ): $(UMQTT_RUST_LIB)
	$(ECHO) "LINK $@"
	$(Q)cp $< $@.a
	$(Q)drop=$$($(UMQTT_LLVM_BIN)/llvm-nm -A --defined-only $@.a 2>/dev/null | \
		sed -n -E 's/^.*:([^:]+): +[0-9a-f]+ W ($(UMQTT_LIBC_MEM))$$/\1/p'); \
		[ -z "$$drop" ] || $(UMQTT_LLVM_BIN)/llvm-ar d $@.a $$drop
	$(Q)roots=$$($(UMQTT_LLVM_BIN)/llvm-nm --defined-only --extern-only -j $@.a 2>/dev/null | \
		sed -n 's/^umqtt_.*/-u &/p' | sort -u); \
		$(UMQTT_LLVM_BIN)/rust-lld -flavor gnu -r --gc-sections $$roots --whole-archive $@.a -o $@.tmp
	$(Q)$(UMQTT_LLVM_BIN)/llvm-objcopy --localize-hidden --strip-debug \
		--remove-section='.ARM.exidx*' $@.tmp $@
	$(Q)rm -f $@.tmp $@.a

# An object (not an archive) is linked whole wherever it stands on the line.
LDFLAGS_USERMOD += $(UMQTT_RUST_OBJ)

# Our C glue (every file that includes umqtt_ffi.h) is rebuilt, and so the
# firmware relinked, whenever Rust changes.
$(addprefix $(BUILD)/$(patsubst $(USER_C_MODULES)/%,%,$(UMQTT_DIR))/cmodule/,$(UMQTT_GLUE_C:.c=.o)): $(UMQTT_RUST_OBJ)

ifneq ($(UMQTT_GLUE_CFLAGS),)
$(addprefix $(BUILD)/$(patsubst $(USER_C_MODULES)/%,%,$(UMQTT_DIR))/cmodule/,$(UMQTT_GLUE_C:.c=.o) umqtt_port.o): \
	private CFLAGS += $(UMQTT_GLUE_CFLAGS)
endif
