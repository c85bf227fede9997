# umqtt-rs as a MicroPython user C module (CMake ports: esp32 family, rp2).
#
#   make -C ports/rp2 USER_C_MODULES=/path/to/umqtt-rs/micropython.cmake
#   idf.py -D USER_C_MODULES=/path/to/umqtt-rs/micropython.cmake build    (ports/esp32)
#
# The CMake twin of micropython.mk: the Rust crates are built by cargo into
# ${CMAKE_BINARY_DIR}/umqtt-cargo, partial-linked into one relocatable object
# whose hidden symbols are made local, so Rust's compiler_builtins can never
# replace the C library's memcpy/floor/... and link order stops mattering.
#
# The Rust target is derived from IDF_TARGET / PICO_PLATFORM; -DRUST_TARGET=<triple>
# (or RUST_TARGET in the environment, as with make) overrides it.
# Needs CMake >= 3.16 (as ESP-IDF), cargo and rustup's llvm-tools.

set(UMQTT_DIR ${CMAKE_CURRENT_LIST_DIR})

# C glue: registration and QSTRs stay in C (ports scan C sources for them).
add_library(usermod_umqtt INTERFACE)
target_sources(usermod_umqtt INTERFACE
    ${UMQTT_DIR}/cmodule/modumqtt.c
    ${UMQTT_DIR}/cmodule/umqtt_errors.c
    ${UMQTT_DIR}/cmodule/umqtt_client.c
    ${UMQTT_DIR}/cmodule/umqtt_client_nb.c
    ${UMQTT_DIR}/cmodule/umqtt_events.c
    ${UMQTT_DIR}/cmodule/umqtt_pending.c
    ${UMQTT_DIR}/cmodule/umqtt_props.c
    ${UMQTT_DIR}/cmodule/umqtt_buffers.c
    ${UMQTT_DIR}/cmodule/umqtt_simple2.c
    ${UMQTT_DIR}/cmodule/umqtt_net.c
    ${UMQTT_DIR}/cmodule/umqtt_port.c
)
target_include_directories(usermod_umqtt INTERFACE ${UMQTT_DIR}/cmodule)
target_link_libraries(usermod INTERFACE usermod_umqtt)

# Profiles (docs/building.md): -DUMQTT_PROFILE=full (the default: MQTT 3.1,
# 3.1.1 and 5, every facade) or minimal (MQTT 3.1.1, umqtt.simple2).
# -DUMQTT_MQTT5=0|1, -DUMQTT_MQTT31=0|1 and -DUMQTT_FACADES=simple2,mqtt_as,...
# (or none) override the profile's choice; -DUMQTT_RUST_OPT=s|z is the Rust
# opt-level (s unless given). Each is also read from the environment, as
# make does: that is how `make -C ports/esp32 UMQTT_PROFILE=minimal` reaches
# idf.py's CMake (configure a fresh build directory after changing them there).
set(UMQTT_PROFILE "" CACHE STRING "umqtt-rs profile: full or minimal (empty: full)")
set(UMQTT_MQTT5 "" CACHE STRING "umqtt-rs: 1 MQTT 5 in the engine, 0 without (empty: the profile's)")
set(UMQTT_MQTT31 "" CACHE STRING "umqtt-rs: 1 MQTT 3.1 in the engine, 0 without (empty: the profile's)")
set(UMQTT_FACADES "" CACHE STRING "umqtt-rs: facades to freeze, e.g. simple2,mqtt_as, or none (empty: the profile's)")
set(UMQTT_RUST_OPT "" CACHE STRING "umqtt-rs: the Rust code's opt-level, s (faster) or z (docs/building.md) (empty: s)")
function(umqtt_setting out name default)
    if(NOT "${${name}}" STREQUAL "")
        set(${out} "${${name}}" PARENT_SCOPE)
    elseif(NOT "$ENV{${name}}" STREQUAL "")
        set(${out} "$ENV{${name}}" PARENT_SCOPE)
    else()
        set(${out} "${default}" PARENT_SCOPE)
    endif()
endfunction()
umqtt_setting(UMQTT_PROFILE_SEL UMQTT_PROFILE full)
if(UMQTT_PROFILE_SEL STREQUAL "full")
    umqtt_setting(UMQTT_MQTT5_SEL UMQTT_MQTT5 1)
    umqtt_setting(UMQTT_MQTT31_SEL UMQTT_MQTT31 1)
    umqtt_setting(UMQTT_FACADES_SEL UMQTT_FACADES "simple2,robust2,simple,robust,client,mqtt_as,tls")
elseif(UMQTT_PROFILE_SEL STREQUAL "minimal")
    umqtt_setting(UMQTT_MQTT5_SEL UMQTT_MQTT5 0)
    umqtt_setting(UMQTT_MQTT31_SEL UMQTT_MQTT31 0)
    umqtt_setting(UMQTT_FACADES_SEL UMQTT_FACADES simple2)
else()
    message(FATAL_ERROR "umqtt: UMQTT_PROFILE=${UMQTT_PROFILE_SEL}: choose full or minimal")
endif()
if(NOT UMQTT_MQTT5_SEL MATCHES "^[01]$")
    message(FATAL_ERROR "umqtt: UMQTT_MQTT5=${UMQTT_MQTT5_SEL}: use 0 or 1")
endif()
if(NOT UMQTT_MQTT31_SEL MATCHES "^[01]$")
    message(FATAL_ERROR "umqtt: UMQTT_MQTT31=${UMQTT_MQTT31_SEL}: use 0 or 1")
endif()
umqtt_setting(UMQTT_RUST_OPT_SEL UMQTT_RUST_OPT s)
if(NOT UMQTT_RUST_OPT_SEL MATCHES "^[sz]$")
    message(FATAL_ERROR "umqtt: UMQTT_RUST_OPT=${UMQTT_RUST_OPT_SEL}: use s or z")
endif()
# The non-blocking engine calls come with the facade that drives them; the
# micropython-lib conventions and calls (UMQTT_MPLIB) with the facades built
# on them; the keep-alive calls (UMQTT_KEEPALIVE) with the reconnecting ones;
# the QoS 2 flows (UMQTT_QOS2, cargo feature qos2) with the facades that use
# them (cmodule/umqtt_glue.h).
string(REPLACE "," ";" _umqtt_facades "${UMQTT_FACADES_SEL}")
# umqtt_with OUT FACADE...: OUT is 1 if one of the facades is selected, else 0.
function(umqtt_with out)
    set(${out} 0 PARENT_SCOPE)
    foreach(_facade IN LISTS ARGN)
        if(_facade IN_LIST _umqtt_facades)
            set(${out} 1 PARENT_SCOPE)
        endif()
    endforeach()
endfunction()
umqtt_with(UMQTT_NONBLOCKING_SEL mqtt_as)
umqtt_with(UMQTT_MPLIB_SEL simple robust client mqtt_as)
umqtt_with(UMQTT_KEEPALIVE_SEL robust2 client mqtt_as)
umqtt_with(UMQTT_QOS2_SEL client mqtt_as)
message(STATUS "umqtt: profile ${UMQTT_PROFILE_SEL}: UMQTT_MQTT5=${UMQTT_MQTT5_SEL} UMQTT_MQTT31=${UMQTT_MQTT31_SEL} UMQTT_FACADES=${UMQTT_FACADES_SEL} UMQTT_RUST_OPT=${UMQTT_RUST_OPT_SEL}")

# umqtt_write FILE TEXT: writes FILE only when its text changes (a dependency).
function(umqtt_write path text)
    if(EXISTS ${path})
        file(READ ${path} _old)
        if(_old STREQUAL text)
            return()
        endif()
    endif()
    file(WRITE ${path} "${text}")
endfunction()

set(_umqtt_native UMQTT_MQTT31=${UMQTT_MQTT31_SEL} UMQTT_MQTT5=${UMQTT_MQTT5_SEL} UMQTT_NONBLOCKING=${UMQTT_NONBLOCKING_SEL}
    UMQTT_MPLIB=${UMQTT_MPLIB_SEL} UMQTT_KEEPALIVE=${UMQTT_KEEPALIVE_SEL} UMQTT_QOS2=${UMQTT_QOS2_SEL})
target_compile_definitions(usermod_umqtt INTERFACE ${_umqtt_native})
set(UMQTT_NATIVE_FILE ${CMAKE_CURRENT_BINARY_DIR}/umqtt_native.txt)
list(JOIN _umqtt_native " " _umqtt_native_text)
umqtt_write(${UMQTT_NATIVE_FILE} "${_umqtt_native_text}\n")
set(_umqtt_features micropython)
if(UMQTT_MQTT5_SEL STREQUAL "1")
    string(APPEND _umqtt_features ",mqtt5")
endif()
if(UMQTT_MQTT31_SEL STREQUAL "1")
    string(APPEND _umqtt_features ",mqtt31")
endif()
if(UMQTT_NONBLOCKING_SEL STREQUAL "1")
    string(APPEND _umqtt_features ",nonblocking")
endif()
if(UMQTT_QOS2_SEL STREQUAL "1")
    string(APPEND _umqtt_features ",qos2")
endif()
set(UMQTT_CARGO_FEATURES --no-default-features --features ${_umqtt_features})

# The facades: MICROPY_FROZEN_MANIFEST=python/manifest*.py (or a manifest of
# your own) does include("$(UMQTT_MANIFEST)"), the manifest generated here.
# py/mkrules.cmake, included later in this same scope, hands every
# MICROPY_MANIFEST_* variable to the manifest.
set(UMQTT_MANIFEST_FILE ${CMAKE_CURRENT_BINARY_DIR}/umqtt_manifest.py)
umqtt_write(${UMQTT_MANIFEST_FILE}
    "include(\"${UMQTT_DIR}/python/manifest_facades.py\", facades=\"${UMQTT_FACADES_SEL}\")\n")
set(MICROPY_MANIFEST_UMQTT_MANIFEST ${UMQTT_MANIFEST_FILE})

# Rust target for this port; RUST_TARGET overrides.
set(RUST_TARGET "" CACHE STRING "Rust target triple for umqtt-rs (empty: derived from the port)")
set(UMQTT_RUST_TOOLCHAIN "" CACHE STRING "rustup toolchain for umqtt-rs (empty: rust-toolchain.toml, or esp for Xtensa)")
if(RUST_TARGET)
    set(UMQTT_RUST_TARGET ${RUST_TARGET})
elseif(DEFINED ENV{RUST_TARGET} AND NOT "$ENV{RUST_TARGET}" STREQUAL "")
    set(UMQTT_RUST_TARGET $ENV{RUST_TARGET})
elseif(IDF_TARGET MATCHES "^esp32c[23]$")
    set(UMQTT_RUST_TARGET riscv32imc-unknown-none-elf)
elseif(IDF_TARGET MATCHES "^esp32(c6|h2|c5|c61)$")
    set(UMQTT_RUST_TARGET riscv32imac-unknown-none-elf)
elseif(IDF_TARGET MATCHES "^esp32(s2|s3)?$")
    set(UMQTT_RUST_TARGET xtensa-${IDF_TARGET}-none-elf)
elseif(PICO_PLATFORM STREQUAL "rp2040")
    set(UMQTT_RUST_TARGET thumbv6m-none-eabi)
elseif(PICO_PLATFORM MATCHES "^rp2350(-arm-s)?$")
    # pico-sdk compiles with -mfloat-abi=softfp unless PICO_HARD_FLOAT_ABI is
    # set; eabihf objects would not link with that ("uses VFP register arguments").
    if(PICO_HARD_FLOAT_ABI OR CMAKE_C_FLAGS MATCHES "-mfloat-abi=hard")
        set(UMQTT_RUST_TARGET thumbv8m.main-none-eabihf)
    else()
        set(UMQTT_RUST_TARGET thumbv8m.main-none-eabi)
    endif()
elseif(PICO_PLATFORM STREQUAL "rp2350-riscv")
    set(UMQTT_RUST_TARGET riscv32imac-unknown-none-elf)
else()
    message(FATAL_ERROR "umqtt: cannot derive the Rust target for this port "
        "(IDF_TARGET='${IDF_TARGET}', PICO_PLATFORM='${PICO_PLATFORM}'); "
        "set -DRUST_TARGET=<rust target triple>")
endif()

# Xtensa has no upstream Rust backend: Espressif's toolchain (espup) is needed,
# and its libclang for bindgen (LIBCLANG_PATH, set by espup's export-esp.sh).
if(UMQTT_RUST_TARGET MATCHES "^xtensa-")
    if(NOT UMQTT_RUST_TOOLCHAIN AND "$ENV{RUSTUP_TOOLCHAIN}" STREQUAL "")
        set(UMQTT_RUST_TOOLCHAIN esp)
    endif()
    message(STATUS "umqtt: ${UMQTT_RUST_TARGET} needs Espressif's Rust toolchain "
        "(channel \"esp\", installed by espup); source its export-esp.sh so that "
        "bindgen finds Espressif's libclang (LIBCLANG_PATH)")
endif()
set(UMQTT_CARGO_ENV)
if(UMQTT_RUST_TOOLCHAIN)
    list(APPEND UMQTT_CARGO_ENV RUSTUP_TOOLCHAIN=${UMQTT_RUST_TOOLCHAIN})
endif()

find_program(UMQTT_CARGO cargo HINTS $ENV{CARGO_HOME}/bin $ENV{HOME}/.cargo/bin)
find_program(UMQTT_RUSTC rustc HINTS $ENV{CARGO_HOME}/bin $ENV{HOME}/.cargo/bin)
if(NOT UMQTT_CARGO OR NOT UMQTT_RUSTC)
    message(FATAL_ERROR "umqtt: cargo/rustc not found: install Rust (rustup)")
endif()

# rustc's sysroot and host triple, asked from the repository (as cargo will
# run) so that rustup honours its rust-toolchain.toml.
function(umqtt_rustc out)
    execute_process(
        COMMAND ${CMAKE_COMMAND} -E env ${UMQTT_CARGO_ENV} ${UMQTT_RUSTC} ${ARGN}
        WORKING_DIRECTORY ${UMQTT_DIR}
        OUTPUT_VARIABLE text OUTPUT_STRIP_TRAILING_WHITESPACE
        ERROR_VARIABLE err RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        string(REGEX MATCH "^[^\n]*" err "${err}")
        list(JOIN ARGN " " args)
        message(FATAL_ERROR "umqtt: 'rustc ${args}' failed: ${err}")
    endif()
    set(${out} "${text}" PARENT_SCOPE)
endfunction()
umqtt_rustc(UMQTT_RUST_SYSROOT --print sysroot)
umqtt_rustc(_umqtt_version -vV)
string(REGEX MATCH "host: ([^\n]+)" _umqtt_match "${_umqtt_version}")
set(UMQTT_RUST_HOST ${CMAKE_MATCH_1})
if(NOT IS_DIRECTORY ${UMQTT_RUST_SYSROOT}/lib/rustlib/${UMQTT_RUST_TARGET})
    message(WARNING "umqtt: Rust target ${UMQTT_RUST_TARGET} is not installed in "
        "${UMQTT_RUST_SYSROOT}: run 'rustup target add ${UMQTT_RUST_TARGET}' in ${UMQTT_DIR}")
endif()

# The partial link uses the linker and tools that ship with rustc (llvm-tools).
set(UMQTT_LLVM_BIN ${UMQTT_RUST_SYSROOT}/lib/rustlib/${UMQTT_RUST_HOST}/bin)
foreach(_tool IN ITEMS rust-lld llvm-objcopy llvm-nm llvm-ar)
    if(NOT EXISTS ${UMQTT_LLVM_BIN}/${_tool}${CMAKE_HOST_EXECUTABLE_SUFFIX})
        message(FATAL_ERROR "umqtt: ${_tool} not found in ${UMQTT_LLVM_BIN}: "
            "rustup component add llvm-tools")
    endif()
endforeach()
message(STATUS "umqtt: Rust target ${UMQTT_RUST_TARGET} (${UMQTT_RUST_SYSROOT})")

# The MicroPython target whose flags bindgen must see. rp2 names it before
# including user modules; esp32 registers its main component after, so ask
# ESP-IDF for that component's library name. Generator expressions below are
# evaluated at generate time, once the target exists and has all its flags.
if(NOT UMQTT_MP_TARGET AND MICROPY_TARGET)
    set(UMQTT_MP_TARGET ${MICROPY_TARGET})
elseif(NOT UMQTT_MP_TARGET AND COMMAND idf_component_get_property AND COMPONENT_NAME)
    idf_component_get_property(UMQTT_MP_TARGET ${COMPONENT_NAME} COMPONENT_LIB)
endif()
if(NOT UMQTT_MP_TARGET)
    message(FATAL_ERROR "umqtt: cannot tell the port's MicroPython target; set -DUMQTT_MP_TARGET=<target>")
endif()

# The C compiler's target flags (ESP-IDF's and pico-sdk's toolchain files put
# them in CMAKE_C_FLAGS), as make ports hand over theirs in CFLAGS. Only the
# ones that set the ISA/ABI: libclang rejects GCC-only ones (-mcpu=hazard3...);
# build.rs trims GCC's RISC-V -march extensions for it and asks TARGET_CC (below)
# for the cross C library's include directories.
separate_arguments(_umqtt_cflags UNIX_COMMAND "${CMAKE_C_FLAGS}")
set(UMQTT_TARGET_FLAGS)
foreach(_flag IN LISTS _umqtt_cflags)
    if(UMQTT_RUST_TARGET MATCHES "^riscv" AND _flag MATCHES "^-m(arch|abi)=")
        list(APPEND UMQTT_TARGET_FLAGS ${_flag})
    elseif(UMQTT_RUST_TARGET MATCHES "^thumb"
            AND _flag MATCHES "^-(mcpu=|march=|mthumb$|mfloat-abi=|mfpu=)")
        list(APPEND UMQTT_TARGET_FLAGS ${_flag})
    endif()
endforeach()
list(JOIN UMQTT_TARGET_FLAGS "\n" _umqtt_target_flags)

# bindgen parses MicroPython's headers with the port's flags, one per line:
# include dirs and definitions of the MicroPython target (transitive, so IDF
# components and pico-sdk libraries count), -D/-U/-std given as options (ESP-IDF
# passes its definitions that way), then the target flags above. One file per
# enabled language, as $<COMPILE_LANGUAGE:...> may differ between them: we use C.
set(_inc "$<TARGET_PROPERTY:${UMQTT_MP_TARGET},INCLUDE_DIRECTORIES>")
set(_def "$<TARGET_PROPERTY:${UMQTT_MP_TARGET},COMPILE_DEFINITIONS>")
set(_opt "$<FILTER:$<TARGET_PROPERTY:${UMQTT_MP_TARGET},COMPILE_OPTIONS>,INCLUDE,^-[DU]|^-std=>")
file(GENERATE
    OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/umqtt_cflags_$<COMPILE_LANGUAGE>.txt
    CONTENT "$<$<BOOL:${_inc}>:-I$<JOIN:${_inc},\n-I>\n>$<$<BOOL:${_def}>:-D$<JOIN:${_def},\n-D>\n>$<$<BOOL:${_opt}>:$<JOIN:${_opt},\n>\n>${_umqtt_target_flags}\n"
)
set(UMQTT_CFLAGS_FILE ${CMAKE_CURRENT_BINARY_DIR}/umqtt_cflags_C.txt)

# RISC-V: the Rust code saves and restores registers through libgcc's shared
# __riscv_save_N/__riscv_restore_N, its calls are marked relaxable so the
# linker shortens them, and LLVM's options choose size over code shape where
# the instruction counts stay the same (micropython.mk has the figures and
# the reasons; the same list).
set(UMQTT_RUSTFLAGS_ENV)
set(_umqtt_c_options)
if(UMQTT_RUST_TARGET MATCHES "^riscv")
    string(TOUPPER "${UMQTT_RUST_TARGET}" _umqtt_triple)
    string(REGEX REPLACE "[-.]" "_" _umqtt_triple "${_umqtt_triple}")
    set(UMQTT_RUSTFLAGS_ENV "CARGO_TARGET_${_umqtt_triple}_RUSTFLAGS=-C target-feature=+relax,+save-restore \
-C llvm-args=-riscv-min-jump-table-entries=8 -C llvm-args=-phi-node-folding-threshold=0 \
-C llvm-args=-split-spill-mode=size -C llvm-args=-riscv-enable-global-merge \
-C llvm-args=-global-merge-on-const -C llvm-args=-tail-merge-size=2")
endif()
if(DEFINED IDF_TARGET)
    # MicroPython's esp32 port before 1.28 compiles user C modules without
    # ESP-IDF's component options, the optimisation level among them
    # (micropython/micropython#18880, fixed by #18884): our C would be built
    # unoptimised. So it gets -Os and its own sections (for --gc-sections).
    list(APPEND _umqtt_c_options -Os -ffunction-sections -fdata-sections)
    # The ESP32-C family (RISC-V): GCC's -msave-restore and -mtune=size, as
    # micropython.mk gives make ports. Not for rp2350's RISC-V cores: their
    # Zcmp push/pop already save registers compactly.
    if(UMQTT_RUST_TARGET MATCHES "^riscv")
        list(APPEND _umqtt_c_options -msave-restore -mtune=size)
    endif()
endif()
# Our C files compile in the port's targets, whose flags stay as they are:
# these options are properties of our source files only. Such a property
# holds in the directory that sets it: this one (usermod.cmake includes this
# file in the directory of the port's target: ports/esp32's main component,
# ports/rp2's top level) and the top-level one, where ESP-IDF's app
# executable also compiles the sources it inherits from the main component.
if(_umqtt_c_options)
    get_target_property(_umqtt_c_sources usermod_umqtt INTERFACE_SOURCES)
    set(_umqtt_dirs)
    if(NOT CMAKE_CURRENT_SOURCE_DIR STREQUAL CMAKE_SOURCE_DIR AND CMAKE_VERSION VERSION_GREATER_EQUAL 3.18)
        set(_umqtt_dirs DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_SOURCE_DIR})
    endif()
    set_source_files_properties(${_umqtt_c_sources} ${_umqtt_dirs} PROPERTIES COMPILE_OPTIONS "${_umqtt_c_options}")
endif()
# The Rust opt-level and flags, in a file of their own: cargo rebuilds when they change.
set(UMQTT_RUST_OPT_FILE ${CMAKE_CURRENT_BINARY_DIR}/umqtt_rust_opt.txt)
umqtt_write(${UMQTT_RUST_OPT_FILE} "${UMQTT_RUST_OPT_SEL} ${UMQTT_RUSTFLAGS_ENV}\n")

set(UMQTT_CARGO_DIR ${CMAKE_BINARY_DIR}/umqtt-cargo)
set(UMQTT_RUST_LIB ${UMQTT_CARGO_DIR}/${UMQTT_RUST_TARGET}/release/libumqtt_ffi.a)
set(UMQTT_RUST_OBJ ${CMAKE_CURRENT_BINARY_DIR}/umqtt_rust.o)
file(GLOB_RECURSE UMQTT_RUST_SRC CONFIGURE_DEPENDS
    ${UMQTT_DIR}/rust/*.rs ${UMQTT_DIR}/rust/Cargo.toml ${UMQTT_DIR}/rust/*.h)

# bindgen also needs the generated headers that py/*.h include: QSTRs, root
# pointers, module defs and, with ROM text compression (on by default in esp32
# and rp2), the compressed strings. py/mkrules.cmake (included after user
# modules, in this same directory) makes them with custom commands, into
# MICROPY_GENHDR_DIR = ${CMAKE_BINARY_DIR}/genhdr: name those outputs here and
# CMake pulls the commands into our target (the firmware waits for our target,
# so the two never run them in parallel).
set(UMQTT_GENHDRS
    ${CMAKE_BINARY_DIR}/genhdr/qstrdefs.generated.h
    ${CMAKE_BINARY_DIR}/genhdr/root_pointers.h
    ${CMAKE_BINARY_DIR}/genhdr/moduledefs.h)
if(MICROPY_ROM_TEXT_COMPRESSION)
    list(APPEND UMQTT_GENHDRS ${CMAKE_BINARY_DIR}/genhdr/compressed.data.h)
endif()

# TARGET_CC: the port's compiler, for the cc crate (bindgen's static inline
# wrappers) and for build.rs to find the cross C library's headers.
list(APPEND UMQTT_CARGO_ENV
    UMQTT_MP_CFLAGS_FILE=${UMQTT_CFLAGS_FILE}
    UMQTT_MP_BUILD_DIR=${CMAKE_CURRENT_BINARY_DIR}
    TARGET_CC=${CMAKE_C_COMPILER}
    TARGET_AR=${CMAKE_AR}
    CARGO_PROFILE_RELEASE_OPT_LEVEL=${UMQTT_RUST_OPT_SEL}
    ${UMQTT_RUSTFLAGS_ENV})

add_custom_command(
    OUTPUT ${UMQTT_RUST_LIB}
    COMMAND ${CMAKE_COMMAND} -E env ${UMQTT_CARGO_ENV}
        ${UMQTT_CARGO} build --locked --release -p umqtt-ffi ${UMQTT_CARGO_FEATURES} --target ${UMQTT_RUST_TARGET}
        --manifest-path ${UMQTT_DIR}/Cargo.toml --target-dir ${UMQTT_CARGO_DIR}
    # cargo leaves an up-to-date library alone; touch it so this rule settles.
    COMMAND ${CMAKE_COMMAND} -E touch ${UMQTT_RUST_LIB}
    DEPENDS ${UMQTT_RUST_SRC} ${UMQTT_DIR}/Cargo.toml ${UMQTT_DIR}/Cargo.lock
        ${UMQTT_DIR}/rust-toolchain.toml ${UMQTT_DIR}/cmodule/umqtt_port.h
        ${UMQTT_CFLAGS_FILE} ${UMQTT_NATIVE_FILE} ${UMQTT_RUST_OPT_FILE} ${UMQTT_GENHDRS}
    WORKING_DIRECTORY ${UMQTT_DIR}
    COMMENT "CARGO umqtt-ffi (${UMQTT_RUST_TARGET}, UMQTT_MQTT5=${UMQTT_MQTT5_SEL} UMQTT_MQTT31=${UMQTT_MQTT31_SEL})"
    VERBATIM
)

# One relocatable object: what the C ABI reaches, hidden symbols local, the
# C library's memcpy & co. for Rust, no debug info, no .ARM.exidx*
# (ports/cmake/partial_link.cmake).
add_custom_command(
    OUTPUT ${UMQTT_RUST_OBJ}
    COMMAND ${CMAKE_COMMAND} -DLLVM_BIN=${UMQTT_LLVM_BIN} -DEXE=${CMAKE_HOST_EXECUTABLE_SUFFIX}
        -DIN=${UMQTT_RUST_LIB} -DOUT=${UMQTT_RUST_OBJ} -P ${UMQTT_DIR}/ports/cmake/partial_link.cmake
    DEPENDS ${UMQTT_RUST_LIB} ${UMQTT_DIR}/ports/cmake/partial_link.cmake
    COMMENT "LINK ${UMQTT_RUST_OBJ}"
    VERBATIM
)
add_custom_target(usermod_umqtt_rust DEPENDS ${UMQTT_RUST_OBJ})

# An object (not an archive) is linked whole wherever it stands on the line.
# The dependency is followed through usermod to the firmware, which thus waits
# for the object and relinks when it changes.
target_link_libraries(usermod_umqtt INTERFACE ${UMQTT_RUST_OBJ})
add_dependencies(usermod_umqtt usermod_umqtt_rust)
