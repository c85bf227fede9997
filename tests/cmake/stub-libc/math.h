// Stands in for a cross libc's <math.h>: the harness only preprocesses the
// files that include it (QSTR extraction).
