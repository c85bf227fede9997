// The conservative GC's root scan, made readable to valgrind memcheck.
//
// gc_collect() hands gc_collect_root() the C stack (and the registers saved
// on it) and each thread's stack: every word, including words no live code
// wrote. Memcheck rightly calls those words uninitialised, and when one
// looks like a heap pointer the GC marks a block from it; the "undefined"
// taint then flows through the allocation table into gc_alloc()'s result
// and on into whatever code uses the new block. The GC reads those bits as
// they are, so this wrapper scans a copy that memcheck is told is defined.
// The stack itself keeps its state: an uninitialised local that live code
// reads is still reported.
//
// Linked with -Wl,--wrap=gc_collect_root (micropython.mk): the port's calls
// (shared/runtime/gchelper_generic.c, mpthreadport.c) come here; py/gc.c's
// own calls on its static roots are not wrapped, and need not be.

#include <string.h>
#include <valgrind/memcheck.h>

#include "py/gc.h"

void __real_gc_collect_root(void **ptrs, size_t len);

void __wrap_gc_collect_root(void **ptrs, size_t len) {
    void *copy[256];
    while (len > 0) {
        size_t n = len < 256 ? len : 256;
        memcpy(copy, ptrs, n * sizeof(void *));
        VALGRIND_MAKE_MEM_DEFINED(copy, sizeof(copy));
        __real_gc_collect_root(copy, n);
        ptrs += n;
        len -= n;
    }
}
