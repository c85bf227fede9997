// What Rust sees of MicroPython: the stream protocol's constants and the
// trampolines of cmodule/umqtt_port.h. Nothing here can raise.
#include "py/mpconfig.h"
#include "py/obj.h"
#include "py/stream.h"
#include "py/mperrno.h"
#include "umqtt_port.h"
