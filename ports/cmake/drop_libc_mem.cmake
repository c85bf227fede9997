# cmake -DNM=llvm-nm -DAR=llvm-ar -DIN=libumqtt_ffi.a -DOUT=copy.a -P drop_libc_mem.cmake
#
# micropython.cmake's step before the partial link (micropython.mk does the
# same in make): copies the Rust static library without the archive members
# of compiler_builtins that define weak memcpy, memmove, memset, memcmp or
# ARM's __aeabi_mem* (bare-metal targets only; each sits alone in its member),
# so Rust calls the port's C library (cmodule/modumqtt.c forwards __aeabi_mem*
# to it) instead of carrying 1.3 KB (rv32imc) to 2.4 KB of copies of its own.
execute_process(COMMAND ${CMAKE_COMMAND} -E copy ${IN} ${OUT} RESULT_VARIABLE rc)
if(rc)
    message(FATAL_ERROR "umqtt: cannot copy ${IN} to ${OUT}")
endif()
execute_process(COMMAND ${NM} -A --defined-only ${OUT}
    OUTPUT_VARIABLE symbols ERROR_QUIET RESULT_VARIABLE rc)
if(rc)
    message(FATAL_ERROR "umqtt: ${NM} failed on ${OUT}")
endif()
string(REGEX MATCHALL ":[^:\n]+: +[0-9a-f]+ W (memcpy|memmove|memset|memcmp|__aeabi_mem(cpy|move|set|clr)[48]?)\n" hits "${symbols}")
set(members)
foreach(hit IN LISTS hits)
    string(REGEX REPLACE "^:([^:\n]+):.*" "\\1" member "${hit}")
    list(APPEND members ${member})
endforeach()
if(members)
    execute_process(COMMAND ${AR} d ${OUT} ${members} RESULT_VARIABLE rc)
    if(rc)
        message(FATAL_ERROR "umqtt: ${AR} d failed on ${OUT}")
    endif()
endif()
