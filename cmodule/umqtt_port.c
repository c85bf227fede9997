// Non-raising trampolines between the Rust I/O driver and MicroPython
// streams. See umqtt_port.h.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "py/mphal.h"
#include "py/nlr.h"
#include "py/runtime.h"
#include "py/stream.h"
#include "umqtt_glue.h"  // umqtt_port.h, and umqtt_call_method

#if MICROPY_PY_UMQTT

static int umqtt_port_caught(umqtt_port_t *port, nlr_buf_t *nlr) {
    port->busy = false;
    port->exc = MP_OBJ_FROM_PTR(nlr->ret_val);
    return UMQTT_PORT_RAISED;
}

// Every trampoline marks the port busy while it may run Python code (a
// _read/_write hook, a duck-typed socket, a Python object's ioctl): the C
// glue refuses every call that would touch the engine until it is done.
static int umqtt_port_done(umqtt_port_t *port, int result) {
    port->busy = false;
    nlr_pop();
    return result;
}

#if MICROPY_PY_SELECT_POSIX_OPTIMISATIONS
#include <errno.h>
#include <poll.h>

// A plain socket's file descriptor, or -1. Only a socket: a TLS stream may
// hold decrypted bytes its descriptor does not show (its ioctl counts them).
static int umqtt_port_fd(const mp_obj_type_t *type, const mp_stream_p_t *proto, mp_obj_t stream) {
    if (type->name != MP_QSTR_socket) {
        return -1;
    }
    int err;
    mp_uint_t fd = proto->ioctl(stream, MP_STREAM_GET_FILENO, 0, &err);
    return fd == MP_STREAM_ERROR ? -1 : (int)fd;
}
#endif

// The events of a native stream that are ready within timeout_ms (0 on
// timeout), waited for as select.poll waits, without its poll object (160
// bytes per client): a plain socket on a POSIX port by poll(2), anything
// else by its ioctl between event waits. Raises: call inside nlr_push.
static uint32_t umqtt_port_poll_native(umqtt_port_t *port, uint32_t events, int32_t timeout_ms) {
    const mp_obj_type_t *type = mp_obj_get_type(port->stream);
    const mp_stream_p_t *proto = MP_OBJ_TYPE_GET_SLOT(type, protocol);
    if (proto->ioctl == NULL) {
        return events;  // cannot tell: ready
    }
    uint32_t start = mp_hal_ticks_ms();
    #if MICROPY_PY_SELECT_POSIX_OPTIMISATIONS
    int fd = umqtt_port_fd(type, proto, port->stream);
    #endif
    for (;;) {
        uint32_t elapsed = mp_hal_ticks_ms() - start;
        int32_t left = timeout_ms < 0 ? -1 : (elapsed >= (uint32_t)timeout_ms ? 0 : timeout_ms - (int32_t)elapsed);
        #if MICROPY_PY_SELECT_POSIX_OPTIMISATIONS
        if (fd >= 0) {
            struct pollfd pfd = {.fd = fd, .events = (short)events, .revents = 0};
            MP_THREAD_GIL_EXIT();
            int n = poll(&pfd, 1, left);
            int err = errno;
            MP_THREAD_GIL_ENTER();
            if (n > 0) {
                return (uint32_t)pfd.revents;  // POLL* values are MP_STREAM_POLL_* here
            }
            if (n < 0 && err != EINTR) {
                mp_raise_OSError(err);
            }
            if (n == 0 && left >= 0) {
                return 0;
            }
            mp_event_handle_nowait();  // a signal: run pending callbacks (Ctrl-C raises)
            continue;
        }
        #endif
        int err;
        mp_uint_t ready = proto->ioctl(port->stream, MP_STREAM_POLL, events, &err);
        if (ready == MP_STREAM_ERROR) {
            mp_raise_OSError(err);
        }
        ready &= events | MP_STREAM_POLL_ERR | MP_STREAM_POLL_HUP | MP_STREAM_POLL_NVAL;
        if (ready != 0 || left == 0) {
            return (uint32_t)ready;
        }
        if (left > 0) {
            mp_event_wait_ms((mp_uint_t)left);
        } else {
            mp_event_wait_indefinite();
        }
    }
}

// The events of the stream that are ready within timeout_ms (0 on timeout);
// a Python-level stream without poller counts as always ready. Raises: call
// inside nlr_push.
static uint32_t umqtt_port_poll(umqtt_port_t *port, uint32_t events, int32_t timeout_ms) {
    if (port->native) {
        return umqtt_port_poll_native(port, events, timeout_ms);
    }
    if (port->poller == MP_OBJ_NULL) {
        return events;
    }
    mp_obj_t args[2] = {port->stream, MP_OBJ_NEW_SMALL_INT(events)};
    umqtt_call_method(port->poller, MP_QSTR_modify, 2, args);
    // ipoll reuses one result tuple: no allocation per wait.
    args[0] = MP_OBJ_NEW_SMALL_INT(timeout_ms);
    mp_obj_t item = mp_iternext(umqtt_call_method(port->poller, MP_QSTR_ipoll, 1, args));
    if (item == MP_OBJ_STOP_ITERATION) {
        return 0;
    }
    // (obj, events): the poller is the select.poll() _attach made
    return (uint32_t)mp_obj_get_int(mp_obj_subscr(item, MP_OBJ_NEW_SMALL_INT(1), MP_OBJ_SENTINEL));
}

// Copies what a Python read returned: bytes, b'' at the end, None when empty.
static int umqtt_port_take_read(mp_obj_t data, uint8_t *buf, size_t len, size_t *out_len) {
    if (data == mp_const_none) {
        return MP_EAGAIN;
    }
    mp_buffer_info_t bufinfo;
    mp_get_buffer_raise(data, &bufinfo, MP_BUFFER_READ);
    size_t n = bufinfo.len < len ? bufinfo.len : len;
    memcpy(buf, bufinfo.buf, n);
    *out_len = n;
    return UMQTT_PORT_OK;
}

enum { UMQTT_PORT_IO_READ, UMQTT_PORT_IO_WRITE, UMQTT_PORT_IO_WAIT };

// umqtt_port_read, umqtt_port_write and umqtt_port_wait: one body (they
// share the catching and the busy flag), smaller than three (GCC would
// inline it into each). UMQTT_PORT_IO_WAIT: `len` holds the events, the
// ready ones go to *out_len.
static MP_NOINLINE int umqtt_port_io(umqtt_port_t *port, uint8_t *buf, size_t len, size_t *out_len, int op,
    int32_t timeout_ms) {
    *out_len = 0;
    nlr_buf_t nlr;
    if (nlr_push(&nlr) != 0) {
        return umqtt_port_caught(port, &nlr);
    }
    port->busy = true;
    int result = UMQTT_PORT_OK;
    bool hook = port->hooks != MP_OBJ_NULL;
    bool write = op == UMQTT_PORT_IO_WRITE;
    if (op == UMQTT_PORT_IO_WAIT) {
        *out_len = umqtt_port_poll(port, (uint32_t)len, timeout_ms);
    } else if (!hook && port->native) {
        const mp_stream_p_t *proto = mp_get_stream(port->stream);
        int errcode = 0;
        mp_uint_t n = write ? proto->write(port->stream, buf, len, &errcode)
            : proto->read(port->stream, buf, len, &errcode);
        if (n == MP_STREAM_ERROR) {
            result = port->os_error = errcode;
        } else {
            *out_len = n;
        }
    } else if (!write) {
        // Duck-typed socket: read(n) returns bytes, b'' at the end, None when empty.
        // A subclass's _read(n) blocks until it has n bytes (simple2's
        // contract): call it only once data is there, so check_msg stays
        // non-blocking.
        if (hook && umqtt_port_poll(port, MP_STREAM_POLL_RD, 0) == 0) {
            return umqtt_port_done(port, MP_EAGAIN);
        }
        mp_obj_t data = mp_call_function_1(mp_load_attr(hook ? port->hooks : port->stream,
            hook ? MP_QSTR__read : MP_QSTR_read), MP_OBJ_NEW_SMALL_INT(len));
        result = umqtt_port_take_read(data, buf, len, out_len);
    } else {
        // A subclass's _write(buf) writes it all or raises (it returns a
        // count); a duck-typed socket's write(bytes) returns a count, or None
        // (taken whole). A copy, because such objects may keep what they get.
        mp_obj_t ret = mp_call_function_1(mp_load_attr(hook ? port->hooks : port->stream,
            hook ? MP_QSTR__write : MP_QSTR_write), mp_obj_new_bytes(buf, len));
        if (hook || ret == mp_const_none) {
            *out_len = len;
        } else {
            mp_int_t n = mp_obj_get_int(ret);
            *out_len = n < 0 ? 0 : ((size_t)n > len ? len : (size_t)n);
        }
    }
    return umqtt_port_done(port, result);
}

int umqtt_port_read(umqtt_port_t *port, uint8_t *buf, size_t len, size_t *out_len) {
    return umqtt_port_io(port, buf, len, out_len, UMQTT_PORT_IO_READ, 0);
}

int umqtt_port_write(umqtt_port_t *port, const uint8_t *buf, size_t len, size_t *out_len) {
    // (the stream's write takes it as const: only read writes into buf)
    return umqtt_port_io(port, (uint8_t *)buf, len, out_len, UMQTT_PORT_IO_WRITE, 0);
}

int umqtt_port_wait(umqtt_port_t *port, uint32_t events, int32_t timeout_ms, uint32_t *out_events) {
    size_t ready;
    int result = umqtt_port_io(port, NULL, events, &ready, UMQTT_PORT_IO_WAIT, timeout_ms);
    *out_events = (uint32_t)ready;
    return result;
}

void umqtt_port_panic(const char *msg, size_t len) {
    // (Not %.*s: mp_vprintf runs strlen over the string first, and Rust's
    // message has no NUL.)
    mp_print_str(&mp_plat_print, "umqtt: internal error: ");
    mp_print_strn(&mp_plat_print, msg, len, 0, ' ', 0);
    mp_print_str(&mp_plat_print, "\n");
    #if defined(__unix__) || defined(__APPLE__)
    abort();
    #else
    for (;;) {
    }
    #endif
}

#endif // MICROPY_PY_UMQTT
