// The only MicroPython calls the Rust I/O driver makes, as trampolines that
// never raise: each catches any exception with nlr_push, stores it in
// port->exc for the C glue to re-raise once Rust has returned, and reports a
// status instead. Rust sees this header through micropython-sys (bindgen).
#ifndef MICROPY_INCLUDED_UMQTT_PORT_H
#define MICROPY_INCLUDED_UMQTT_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "py/obj.h"
#include "py/mphal.h"

#ifndef MICROPY_PY_UMQTT
#define MICROPY_PY_UMQTT (1)
#endif

// Trampoline results: 0 = success, > 0 = a MicroPython errno (MP_EAGAIN...),
// UMQTT_PORT_RAISED = an exception was caught and stored in port->exc.
#define UMQTT_PORT_OK (0)
#define UMQTT_PORT_RAISED (-1)

// Wait forever (socket_timeout=None).
#define UMQTT_PORT_FOREVER (-1)

typedef struct _umqtt_port_t {
    mp_obj_t stream;    // the socket-like object, MP_OBJ_NULL when detached
    mp_obj_t poller;    // select.poll() with stream registered; MP_OBJ_NULL: always ready
    mp_obj_t exc;       // exception caught by a trampoline, MP_OBJ_NULL if none
    mp_obj_t hooks;     // the client, if its class overrides _read/_write; else MP_OBJ_NULL
    int os_error;       // the errno of the last trampoline that failed with one
                        // (after the objects: no padding on 64-bit ports)
    bool native;        // stream implements the stream protocol (else duck-typed calls)
    bool busy;          // a trampoline is running Python code: the engine is mid-call,
                        // nothing may touch it, the stream or the buffers until it returns
} umqtt_port_t;

// Reads up to len bytes. *out_len = 0 means end of stream. With hooks set,
// reads through hooks._read(len) once the stream is readable (MP_EAGAIN before).
int umqtt_port_read(umqtt_port_t *port, uint8_t *buf, size_t len, size_t *out_len);

// Writes up to len bytes; *out_len is how many were taken. With hooks set,
// writes through hooks._write(bytes).
int umqtt_port_write(umqtt_port_t *port, const uint8_t *buf, size_t len, size_t *out_len);

// Waits until the stream is ready for events (MP_STREAM_POLL_RD/WR) or
// timeout_ms passes (UMQTT_PORT_FOREVER: no limit). *out_events = 0 on timeout.
int umqtt_port_wait(umqtt_port_t *port, uint32_t events, int32_t timeout_ms, uint32_t *out_events);

// MicroPython's millisecond tick counter, truncated to 32 bits. Rust calls it
// through the wrapper bindgen generates for static inline functions
// (compiled by micropython-sys with the port's own compiler and flags).
static inline uint32_t umqtt_port_ticks_ms(void) {
    return (uint32_t)mp_hal_ticks_ms();
}

// Stops the firmware after a Rust panic (which the core is built never to
// reach): there is no safe way to return to Python from one.
void umqtt_port_panic(const char *msg, size_t len);

#endif // MICROPY_INCLUDED_UMQTT_PORT_H
