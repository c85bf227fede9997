// Stands in for a cross libc's <unistd.h>: the harness only preprocesses the
// files that include it (QSTR extraction).
