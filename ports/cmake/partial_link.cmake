# cmake -DLLVM_BIN=<rustc's llvm-tools dir> -DEXE=<host executable suffix>
#       -DIN=libumqtt_ffi.a -DOUT=umqtt_rust.o -P partial_link.cmake
#
# micropython.cmake's partial link (micropython.mk does the same in make):
# the Rust static library becomes one relocatable object that
# - keeps only what the C ABI (every umqtt_* symbol) reaches, so the
#   constants LLVM merges into one section per size (.rodata.cst16...) come
#   only from live code, not from every compiler_builtins member;
# - leaves out compiler_builtins' weak memcpy, memmove, memset, memcmp and
#   ARM's __aeabi_mem* (bare-metal targets only; each sits alone in its
#   archive member): Rust calls the port's C library instead (1.3 KB on
#   rv32imc, 2.4 KB on Cortex-M3; cmodule/modumqtt.c forwards __aeabi_mem*);
# - has its hidden symbols made local, so compiler_builtins never replaces
#   the C library's floor/... and link order stops mattering;
# - has no debug info (binutils' ld chokes on rustup's DWARF5) and no
#   .ARM.exidx* (port linker scripts lack it).

function(umqtt_run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(rc)
        list(JOIN ARGN " " cmd)
        message(FATAL_ERROR "umqtt: ${cmd} failed: ${err}")
    endif()
    set(umqtt_out "${out}" PARENT_SCOPE)
endfunction()

set(lib ${OUT}.a)
umqtt_run(${CMAKE_COMMAND} -E copy ${IN} ${lib})
umqtt_run(${LLVM_BIN}/llvm-nm${EXE} -A --defined-only ${lib})
set(symbols "${umqtt_out}")

string(REGEX MATCHALL ":[^:\n]+: +[0-9a-f]+ W (memcpy|memmove|memset|memcmp|__aeabi_mem(cpy|move|set|clr)[48]?)\n"
    hits "${symbols}")
set(members)
foreach(hit IN LISTS hits)
    string(REGEX REPLACE "^:([^:\n]+):.*" "\\1" member "${hit}")
    list(APPEND members ${member})
endforeach()
if(members)
    umqtt_run(${LLVM_BIN}/llvm-ar${EXE} d ${lib} ${members})
endif()

string(REGEX MATCHALL " [TDRBW] umqtt_[A-Za-z0-9_]+\n" hits "${symbols}")
set(roots)
foreach(hit IN LISTS hits)
    string(REGEX REPLACE "^ . (umqtt_[A-Za-z0-9_]+)\n$" "\\1" name "${hit}")
    list(APPEND roots -u ${name})
endforeach()

umqtt_run(${LLVM_BIN}/rust-lld${EXE} -flavor gnu -r --gc-sections ${roots} --whole-archive ${lib} -o ${OUT}.partial)
umqtt_run(${LLVM_BIN}/llvm-objcopy${EXE} --localize-hidden --strip-debug --remove-section=.ARM.exidx*
    ${OUT}.partial ${OUT})
file(REMOVE ${lib} ${OUT}.partial)
