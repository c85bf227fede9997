// Stands in for a cross libc's <alloca.h> (the harness has no cross libc).
#ifndef HARNESS_ALLOCA_H
#define HARNESS_ALLOCA_H
#define alloca(size) __builtin_alloca(size)
#endif
