// MicroPython's qemu port (ports/qemu) as umqtt-rs needs it: micropython.mk
// makes every file of a qemu build include this header instead of the port's
// mpconfigport.h (-DMP_CONFIGFILE). Every real port has `time` and `select`;
// the qemu port turns both off because it has no clock. umqtt_hal.c supplies
// the clock, so switch them back on: umqtt.simple2 imports time.ticks_ms, the
// native client polls its socket through select.poll() with a timeout, and
// the tests use both. `_asyncio` too, so that the asyncio package frozen by
// python/manifest.py imports, as on the unix port.
#include <mpconfigport.h>

#undef MICROPY_PY_TIME
#define MICROPY_PY_TIME (1)
#undef MICROPY_PY_SELECT
#define MICROPY_PY_SELECT (1)
#undef MICROPY_PY_ASYNCIO
#define MICROPY_PY_ASYNCIO (1)
