// umqtt-rs: the built-in module `_umqtt`, the native engine behind the
// frozen Python façades in python/umqtt/ (umqtt.simple2, ...).
//
// This file is the only code that raises. Protocol work and socket I/O are
// done by the Rust engine (rust/umqtt-ffi), which reaches MicroPython only
// through the non-raising trampolines of umqtt_port.c. Rust returns a status;
// umqtt_raise_status() turns it into MQTTException / OSError / ValueError,
// or re-raises the exception a trampoline caught.
//
// The native object keeps a reference to the Python instance that owns it
// (the façade subclass) so that attributes user code replaces -- newpid, cb,
// cbstat, socket_timeout... -- are honoured exactly as simple2 reads them.

#include <math.h>
#include <string.h>

#include "py/mphal.h"
#include "py/objstr.h"
#include "py/runtime.h"
#include "py/smallint.h"
#include "py/stream.h"
#include "py/objint.h"
#include "umqtt_port.h"
#include "umqtt_ffi.h"

#ifndef MP_NORETURN
#define MP_NORETURN NORETURN // MicroPython < 1.26
#endif

#if MICROPY_PY_UMQTT

// Default size of the receive buffer: the largest packet a broker may send
// us (fixed header excluded). A larger one is refused with EPACKETSIZE
// without reading it into memory.
#ifndef UMQTT_DEFAULT_MAX_PACKET
#define UMQTT_DEFAULT_MAX_PACKET (16384)
#endif

// Default size of the transmit buffer: outgoing packets up to this size are
// sent with one write; a larger PUBLISH sends its payload from the caller's
// buffer in a second write, without copying it. 1 KiB of payload plus room
// for its header and a topic of up to ~120 bytes: a second write (a second
// TCP segment with TCP_NODELAY) halved the rate of 1 KiB publishes.
#ifndef UMQTT_DEFAULT_TX_SIZE
#define UMQTT_DEFAULT_TX_SIZE (1152)
#endif

// simple2's error codes (umqtt.errno), plus the ones umqtt-rs adds.
enum {
    UMQTT_EUNKNOWN = -1,
    UMQTT_ECONCLOSE = 1,
    UMQTT_EREADLEN = 2,
    UMQTT_ECONUNKNOWN = 20,
    UMQTT_ECONNOT = 28,
    UMQTT_ECONLENGTH = 29,
    UMQTT_ECONTIMEOUT = 30,
    UMQTT_ESUBACKUNKNOWN = 40,
    UMQTT_ESUBACKFAIL = 44,
    UMQTT_EMALFORMED = 50,
    UMQTT_EPACKETSIZE = 51,
    UMQTT_EPROTOCOL = 52,
    UMQTT_EINFLIGHT = 53,
};

MP_DEFINE_EXCEPTION(MQTTException, Exception)

typedef struct _umqtt_client_obj_t {
    mp_obj_base_t base;
    mp_obj_t owner;           // the Python instance (façade) that holds us
    mp_obj_t pending_view;    // rcv_pids: live view of the in-flight table
    umqtt_port_t port;        // the socket, its poller, a caught exception
    umqtt_client *engine;     // Rust state, in a GC block of umqtt_client_size() bytes
    uint8_t *rx;              // receive buffer (max packet size)
    size_t rx_cap;
    uint8_t *tx;              // transmit buffer
    size_t tx_cap;
    uint8_t *aliases;         // MQTT 5 inbound topic aliases (NULL: none announced)
    size_t aliases_cap;
    uint8_t max_qos;          // the façade's limit (simple2: 1)
    uint8_t api;              // UMQTT_API_*: callback arity, return values, exceptions
    uint8_t version;          // MQTT version of the last CONNECT (3, 4 or 5)
    bool props_dict;          // user properties as {name: value} (mqtt_as), else [(name, value)]
    bool rx_marked;           // last_cpacket was stored with the tick rx_mark
    uint32_t rx_mark;
} umqtt_client_obj_t;

// MQTT 5 inbound topic aliases: at most this many may be announced (the
// Topic Alias Maximum property of connect()), each holding a topic of up
// to UMQTT_ALIAS_TOPIC bytes; a broker that binds a longer topic to an
// alias breaks the connection (EPROTOCOL). Storage is allocated at connect.
#define UMQTT_ALIAS_MAX (32)
#define UMQTT_ALIAS_TOPIC (128)

// The conventions of the façade (the `api` keyword of _umqtt.Client):
// - UMQTT_API_SIMPLE2 (simple2, robust2): cb(topic, msg, retained, dup);
//   check_msg() returns None after a PUBLISH; every error is MQTTException(code).
// - UMQTT_API_MPLIB (micropython-lib umqtt.simple/robust and the façades built
//   on them): cb(topic, msg); check_msg() returns the PUBLISH's first byte;
//   connection errors are OSError (EOF: OSError(-1), timeouts: ETIMEDOUT, no
//   socket: ENOTCONN) so that umqtt.robust reconnects; a refused CONNACK is
//   MQTTException(return code), a refused SUBACK MQTTException(0x80).
enum { UMQTT_API_SIMPLE2 = 0, UMQTT_API_MPLIB = 1 };

// rcv_pids: a live mapping pid -> deadline (ticks_ms) over the engine's
// in-flight table. User code may read it and insert pids that must time out.
typedef struct _umqtt_pending_obj_t {
    mp_obj_base_t base;
    umqtt_client_obj_t *client;
} umqtt_pending_obj_t;

static const mp_obj_type_t umqtt_client_type;
static const mp_obj_type_t umqtt_pending_type;

// The native client behind `self_in`: the object itself, or the native base
// of a façade instance (an explicit base-class call, MQTTClient.publish(self,
// ...), passes the instance). TypeError for anything else, and for an
// instance whose __init__ did not call super().__init__().
static umqtt_client_obj_t *umqtt_client_of(mp_obj_t self_in) {
    mp_obj_t native = mp_obj_cast_to_native_base(self_in, MP_OBJ_FROM_PTR(&umqtt_client_type));
    if (native == MP_OBJ_NULL || !mp_obj_is_exact_type(native, &umqtt_client_type)) {
        mp_raise_TypeError(MP_ERROR_TEXT("umqtt: not an initialised MQTT client"));
    }
    return MP_OBJ_TO_PTR(native);
}

// The same, for every call that uses the engine, the stream or the
// buffers: while an I/O call of this client runs Python code (a _read or
// _write hook, a duck-typed socket) they are in use, and a call back into
// the client from there raises RuntimeError instead of changing them.
static umqtt_client_obj_t *umqtt_idle_client_of(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    if (self->port.busy) {
        mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("umqtt: client called from inside its own socket I/O"));
    }
    return self;
}

// ---------------------------------------------------------------------------
// Status codes -> exceptions: the one place that does it.

static MP_NORETURN void umqtt_raise_code(mp_int_t code) {
    nlr_raise(mp_obj_new_exception_arg1(&mp_type_MQTTException, MP_OBJ_NEW_SMALL_INT(code)));
}

// Raises simple2's code, or its micropython-lib equivalent (see UMQTT_API_MPLIB).
static MP_NORETURN void umqtt_raise_api(umqtt_client_obj_t *self, mp_int_t code) {
    if (self->api == UMQTT_API_MPLIB) {
        switch (code) {
            case UMQTT_ECONCLOSE:
                mp_raise_OSError(-1);
            case UMQTT_ECONTIMEOUT:
                mp_raise_OSError(MP_ETIMEDOUT);
            case UMQTT_ECONNOT:
                mp_raise_OSError(MP_ENOTCONN);
            case UMQTT_ESUBACKFAIL:
                umqtt_raise_code(0x80);
            default:
                break;
        }
    }
    umqtt_raise_code(code);
}

static MP_NORETURN void umqtt_raise_status(umqtt_client_obj_t *self, umqtt_status status, mp_int_t detail) {
    switch (status) {
        case UMQTT_STATUS_RAISED: {
            mp_obj_t exc = self->port.exc;
            self->port.exc = MP_OBJ_NULL;
            if (exc != MP_OBJ_NULL) {
                nlr_raise(exc);
            }
            mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("umqtt: lost exception"));
        }
        case UMQTT_STATUS_OS_ERROR:
            mp_raise_OSError(detail);
        case UMQTT_STATUS_CLOSED:
            umqtt_raise_api(self, UMQTT_ECONCLOSE);
        case UMQTT_STATUS_TIMEOUT:
            umqtt_raise_api(self, UMQTT_ECONTIMEOUT);
        case UMQTT_STATUS_CONNACK_INVALID:
            umqtt_raise_code(UMQTT_ECONLENGTH);
        case UMQTT_STATUS_CONNACK_REFUSED:
            if (self->api == UMQTT_API_MPLIB) {
                umqtt_raise_code(detail);  // micropython-lib: MQTTException(rc)
            }
            if (detail >= 1 && detail <= 5) {
                umqtt_raise_code(UMQTT_ECONUNKNOWN + detail);
            } else {
                mp_obj_t args[2] = {MP_OBJ_NEW_SMALL_INT(UMQTT_ECONUNKNOWN), MP_OBJ_NEW_SMALL_INT(detail)};
                nlr_raise(mp_obj_new_exception_args(&mp_type_MQTTException, 2, args));
            }
        case UMQTT_STATUS_SUBACK_INVALID:
            umqtt_raise_code(UMQTT_ESUBACKUNKNOWN);
        case UMQTT_STATUS_INVALID_QOS:
            umqtt_raise_code(UMQTT_EUNKNOWN);
        case UMQTT_STATUS_MALFORMED:
            umqtt_raise_code(UMQTT_EMALFORMED);
        case UMQTT_STATUS_PACKET_TOO_LARGE:
            umqtt_raise_code(UMQTT_EPACKETSIZE);
        case UMQTT_STATUS_PROTOCOL_VIOLATION:
            umqtt_raise_code(UMQTT_EPROTOCOL);
        case UMQTT_STATUS_IN_FLIGHT_FULL:
            umqtt_raise_code(UMQTT_EINFLIGHT);
        case UMQTT_STATUS_PID_IN_USE:
            mp_raise_ValueError(MP_ERROR_TEXT("packet id already in flight"));
        case UMQTT_STATUS_INVALID_TOPIC:
            mp_raise_ValueError(MP_ERROR_TEXT("invalid MQTT topic"));
        case UMQTT_STATUS_INVALID_ARGUMENT:
            mp_raise_ValueError(MP_ERROR_TEXT("invalid MQTT argument"));
        case UMQTT_STATUS_BUFFER_TOO_SMALL:
            mp_raise_ValueError(MP_ERROR_TEXT("packet too large for the transmit buffer"));
        case UMQTT_STATUS_INVALID_PROPERTY:
            mp_raise_ValueError(MP_ERROR_TEXT("invalid MQTT 5 properties for this packet"));
        case UMQTT_STATUS_NESTED_TOO_DEEP:
            mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("umqtt: receive nested in too many message callbacks"));
        case UMQTT_STATUS_BROKER_LIMIT: {
            umqtt_bytes text = umqtt_limit_text((uint8_t)detail);
            mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%.*s"), (int)text.len, (const char *)text.ptr);
        }
        default:
            mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("umqtt: internal error"));
    }
}

static inline void umqtt_check(umqtt_client_obj_t *self, umqtt_status status, mp_int_t detail) {
    if (status != UMQTT_STATUS_OK) {
        umqtt_raise_status(self, status, detail);
    }
}

// ---------------------------------------------------------------------------
// Helpers.

static umqtt_io umqtt_io_of(umqtt_client_obj_t *self) {
    umqtt_io io = {
        .port = &self->port,
        .rx = self->rx,
        .rx_cap = self->rx_cap,
        .tx = self->tx,
        .tx_cap = self->tx_cap,
        .aliases = self->aliases,
        .aliases_cap = self->aliases_cap,
    };
    return io;
}

static mp_obj_t umqtt_owner_attr(umqtt_client_obj_t *self, qstr attr) {
    return mp_load_attr(self->owner, attr);
}

// socket_timeout in ms; UMQTT_PORT_FOREVER for None.
static int32_t umqtt_timeout_ms(umqtt_client_obj_t *self, qstr attr) {
    mp_obj_t t = umqtt_owner_attr(self, attr);
    if (t == mp_const_none) {
        return UMQTT_PORT_FOREVER;
    }
    #if MICROPY_PY_BUILTINS_FLOAT
    mp_float_t s = mp_obj_get_float(t);
    if (isnan(s)) {
        // NaN compares false with everything: it would convert to "no limit".
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%q must be a number of seconds or None, not NaN"), attr);
    }
    if (s < 0) {
        s = 0;
    }
    if (s > 2000000) {
        s = 2000000;
    }
    return (int32_t)(s * 1000);
    #else
    mp_int_t s = mp_obj_get_int(t);
    return s < 0 ? 0 : (int32_t)(s > 2000000 ? 2000000000 : s * 1000);
    #endif
}

// simple2 raises ECONNOT when there is no socket (never connected, or disconnected).
static void umqtt_require_socket(umqtt_client_obj_t *self) {
    if (self->port.stream == MP_OBJ_NULL) {
        umqtt_raise_api(self, UMQTT_ECONNOT);
    }
}

static umqtt_bytes umqtt_bytes_of(mp_obj_t obj) {
    mp_buffer_info_t bi;
    mp_get_buffer_raise(obj, &bi, MP_BUFFER_READ);
    umqtt_bytes b = {.ptr = bi.buf, .len = bi.len};
    return b;
}

static umqtt_bytes umqtt_optional_bytes_of(mp_obj_t obj) {
    if (obj == mp_const_none) {
        umqtt_bytes b = {.ptr = NULL, .len = 0};
        return b;
    }
    return umqtt_bytes_of(obj);
}

static uint16_t umqtt_next_pid(umqtt_client_obj_t *self) {
    mp_obj_t pid_obj = mp_iternext(umqtt_owner_attr(self, MP_QSTR_newpid));
    if (pid_obj == MP_OBJ_STOP_ITERATION) {
        mp_raise_ValueError(MP_ERROR_TEXT("newpid is exhausted"));
    }
    mp_int_t pid = mp_obj_get_int(pid_obj);
    if (pid < 1 || pid > 65535) {
        mp_raise_ValueError(MP_ERROR_TEXT("packet id must be 1..65535"));
    }
    return (uint16_t)pid;
}

static void umqtt_call_status(umqtt_client_obj_t *self, uint16_t pid, mp_int_t status) {
    mp_obj_t cbstat = umqtt_owner_attr(self, MP_QSTR_cbstat);
    if (cbstat != mp_const_none) {
        mp_call_function_2(cbstat, MP_OBJ_NEW_SMALL_INT(pid), MP_OBJ_NEW_SMALL_INT(status));
    }
}

// The ms tick counter as Python's time.ticks_ms() shows it.
static mp_obj_t umqtt_ticks_obj(uint32_t ticks) {
    return MP_OBJ_NEW_SMALL_INT(ticks & (MICROPY_PY_TIME_TICKS_PERIOD - 1));
}

// Python ticks (period MICROPY_PY_TIME_TICKS_PERIOD) -> the engine's 32-bit clock.
static uint32_t umqtt_ticks_from_obj(mp_obj_t ticks_in) {
    const mp_int_t period = MICROPY_PY_TIME_TICKS_PERIOD;
    mp_int_t target = mp_obj_get_int(ticks_in) & (period - 1);
    uint32_t now = umqtt_port_ticks_ms();
    mp_int_t diff = ((target - (mp_int_t)(now & (period - 1)) + period / 2) & (period - 1)) - period / 2;
    return now + (uint32_t)diff;
}

// The owner's last_cpacket (simple2's attribute: the tick of the last packet
// received). A store on a Python instance whose class has properties costs
// about 2,700 instructions, more than the rest of handling a message, so it
// is skipped while the tick equals the one last stored: the value would not
// change. connect() always stores it.
static void umqtt_mark_received(umqtt_client_obj_t *self, bool force) {
    uint32_t now = umqtt_port_ticks_ms();
    if (force || !self->rx_marked || now != self->rx_mark) {
        mp_store_attr(self->owner, MP_QSTR_last_cpacket, umqtt_ticks_obj(now));
        self->rx_mark = now;
        self->rx_marked = true;
    }
}

// ---------------------------------------------------------------------------
// MQTT 5 properties: a dict {id: value} <-> the engine's property blocks.
// Values: int for integer properties, str for strings, bytes for binary
// data; a user property (0x26) is a list of (name, value) pairs, or a dict
// {name: value} (how mqtt_as writes it). The engine checks every rule
// (id allowed in the packet, type, range, repetition) as each is added.

typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
} umqtt_props_t;

static void umqtt_props_add(umqtt_props_t *p, umqtt_props_context ctx, mp_int_t id, mp_obj_t value, mp_obj_t value2) {
    umqtt_property prop = {.id = (uint8_t)id, .kind = UMQTT_PROPERTY_KIND_UNKNOWN, .number = 0};
    prop.kind = (id >= 0 && id <= 255) ? umqtt_property_kind_of((uint8_t)id) : UMQTT_PROPERTY_KIND_UNKNOWN;
    mp_uint_t number;
    switch (prop.kind) {
        case UMQTT_PROPERTY_KIND_BYTE:
        case UMQTT_PROPERTY_KIND_TWO_BYTE_INT:
        case UMQTT_PROPERTY_KIND_FOUR_BYTE_INT:
        case UMQTT_PROPERTY_KIND_VAR_INT:
            // The engine checks the range of the property; here only that
            // it is a non-negative int of 32 bits.
            if (!mp_obj_is_int(value) || mp_obj_int_sign(value) < 0) {
                goto invalid;
            }
            number = mp_obj_int_get_uint_checked(value);
            if (number > 0xffffffff) {
                goto invalid;
            }
            prop.number = (uint32_t)number;
            break;
        case UMQTT_PROPERTY_KIND_UTF8_STRING:
        case UMQTT_PROPERTY_KIND_BINARY_DATA:
            prop.a = umqtt_bytes_of(value);
            break;
        case UMQTT_PROPERTY_KIND_UTF8_PAIR:
            prop.a = umqtt_bytes_of(value);
            prop.b = umqtt_bytes_of(value2);
            break;
        default:
            goto invalid;
    }
    for (;;) {
        umqtt_status st = umqtt_props_put(p->buf, p->cap, &p->len, ctx, &prop);
        if (st == UMQTT_STATUS_OK) {
            return;
        }
        if (st != UMQTT_STATUS_BUFFER_TOO_SMALL || p->cap >= 65536) {
            break;
        }
        p->buf = m_renew(uint8_t, p->buf, p->cap, p->cap * 2);
        p->cap *= 2;
    }
invalid:
    mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("invalid MQTT 5 property 0x%02x for this packet"), (int)id);
}

// The block for `props` (None: empty). `default_id`, if not 0 and not in
// `props`, is added with `default_value` (connect()'s Maximum Packet Size).
static umqtt_bytes umqtt_props_build(mp_obj_t props, umqtt_props_context ctx, mp_int_t default_id, mp_uint_t default_value) {
    umqtt_props_t p = {.buf = NULL, .cap = 0, .len = 0};
    umqtt_bytes out = {.ptr = NULL, .len = 0};
    if (props == mp_const_none && default_id == 0) {
        return out;
    }
    if (props != mp_const_none && !mp_obj_is_type(props, &mp_type_dict)) {
        mp_raise_TypeError(MP_ERROR_TEXT("properties must be a dict"));
    }
    p.cap = 64;
    p.buf = m_new(uint8_t, p.cap);
    bool has_default = false;
    if (props != mp_const_none) {
        mp_map_t *map = mp_obj_dict_get_map(props);
        for (size_t i = 0; i < map->alloc; i++) {
            if (!mp_map_slot_is_filled(map, i)) {
                continue;
            }
            mp_int_t id = mp_obj_get_int(map->table[i].key);
            mp_obj_t value = map->table[i].value;
            has_default |= id == default_id;
            if (id != 0x26) {
                umqtt_props_add(&p, ctx, id, value, mp_const_none);
            } else if (mp_obj_is_type(value, &mp_type_dict)) {
                mp_map_t *pairs = mp_obj_dict_get_map(value);
                for (size_t j = 0; j < pairs->alloc; j++) {
                    if (mp_map_slot_is_filled(pairs, j)) {
                        umqtt_props_add(&p, ctx, id, pairs->table[j].key, pairs->table[j].value);
                    }
                }
            } else {
                mp_obj_t iter = mp_getiter(value, NULL);
                mp_obj_t pair;
                while ((pair = mp_iternext(iter)) != MP_OBJ_STOP_ITERATION) {
                    mp_obj_t *items;
                    mp_obj_get_array_fixed_n(pair, 2, &items);
                    umqtt_props_add(&p, ctx, id, items[0], items[1]);
                }
            }
        }
    }
    if (default_id != 0 && !has_default) {
        umqtt_props_add(&p, ctx, default_id, mp_obj_new_int_from_uint(default_value), mp_const_none);
    }
    out.ptr = p.buf;
    out.len = p.len;
    return out;
}

// A received block as a dict; user properties as [(name, value)] in
// order (or {name: value} with props_dict), subscription identifiers (a
// PUBLISH may carry several) as a list of ints (the last one with props_dict).
static mp_obj_t umqtt_props_to_dict(umqtt_client_obj_t *self, umqtt_bytes block) {
    mp_obj_t dict = mp_obj_new_dict(0);
    size_t offset = 0;
    umqtt_property p;
    while (umqtt_props_next(block, &offset, &p)) {
        mp_obj_t key = MP_OBJ_NEW_SMALL_INT(p.id);
        mp_obj_t value;
        switch (p.kind) {
            case UMQTT_PROPERTY_KIND_UTF8_STRING:
                value = mp_obj_new_str((const char *)p.a.ptr, p.a.len);
                break;
            case UMQTT_PROPERTY_KIND_BINARY_DATA:
                value = mp_obj_new_bytes(p.a.ptr, p.a.len);
                break;
            case UMQTT_PROPERTY_KIND_UTF8_PAIR:
            case UMQTT_PROPERTY_KIND_VAR_INT: {
                mp_obj_t item;
                if (p.kind == UMQTT_PROPERTY_KIND_VAR_INT) {
                    item = mp_obj_new_int_from_uint(p.number);
                    if (self->props_dict) {
                        value = item;
                        break;
                    }
                } else {
                    mp_obj_t name = mp_obj_new_str((const char *)p.a.ptr, p.a.len);
                    item = mp_obj_new_str((const char *)p.b.ptr, p.b.len);
                    if (self->props_dict) {
                        mp_map_elem_t *e = mp_map_lookup(mp_obj_dict_get_map(dict), key, MP_MAP_LOOKUP);
                        mp_obj_t pairs = e != NULL ? e->value : mp_obj_new_dict(0);
                        mp_obj_dict_store(pairs, name, item);
                        value = pairs;
                        break;
                    }
                    mp_obj_t tuple[2] = {name, item};
                    item = mp_obj_new_tuple(2, tuple);
                }
                mp_map_elem_t *e = mp_map_lookup(mp_obj_dict_get_map(dict), key, MP_MAP_LOOKUP);
                value = e != NULL ? e->value : mp_obj_new_list(0, NULL);
                mp_obj_list_append(value, item);
                break;
            }
            default:
                value = mp_obj_new_int_from_uint(p.number);
                break;
        }
        mp_obj_dict_store(dict, key, value);
    }
    return dict;
}

// The owner's attribute `attr`, or None if it has none.
static mp_obj_t umqtt_owner_attr_or_none(umqtt_client_obj_t *self, qstr attr) {
    mp_obj_t dest[2];
    mp_load_method_maybe(self->owner, attr, dest);
    return dest[0] == MP_OBJ_NULL ? mp_const_none : dest[0];
}

static void umqtt_require_v5(umqtt_client_obj_t *self, mp_obj_t props) {
    if (props != mp_const_none && self->version != 5) {
        mp_raise_ValueError(MP_ERROR_TEXT("properties need MQTT 5 (version=5)"));
    }
}

// ---------------------------------------------------------------------------
// Client(owner, max_packet_size=16384, tx_size=1152, max_qos=1)

static mp_obj_t client_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *all_args) {
    enum { ARG_owner, ARG_max_packet_size, ARG_tx_size, ARG_max_qos, ARG_api, ARG_props_dict };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_owner, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_max_packet_size, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = UMQTT_DEFAULT_MAX_PACKET} },
        { MP_QSTR_tx_size, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = UMQTT_DEFAULT_TX_SIZE} },
        { MP_QSTR_max_qos, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 1} },
        { MP_QSTR_api, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = UMQTT_API_SIMPLE2} },
        { MP_QSTR_props_dict, MP_ARG_KW_ONLY | MP_ARG_BOOL, {.u_bool = false} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all_kw_array(n_args, n_kw, all_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    mp_int_t max_packet = args[ARG_max_packet_size].u_int;
    mp_int_t tx_size = args[ARG_tx_size].u_int;
    mp_int_t max_qos = args[ARG_max_qos].u_int;
    mp_int_t api = args[ARG_api].u_int;
    if (max_packet < 16 || max_packet > 268435455 || tx_size < 16 || tx_size > 1048576 || max_qos < 0 || max_qos > 2
        || api < UMQTT_API_SIMPLE2 || api > UMQTT_API_MPLIB) {
        mp_raise_ValueError(MP_ERROR_TEXT("invalid buffer size, max_qos or api"));
    }

    umqtt_client_obj_t *self = mp_obj_malloc_with_finaliser(umqtt_client_obj_t, type);
    self->owner = args[ARG_owner].u_obj == mp_const_none ? MP_OBJ_FROM_PTR(self) : args[ARG_owner].u_obj;
    self->port.stream = MP_OBJ_NULL;
    self->port.poller = MP_OBJ_NULL;
    self->port.exc = MP_OBJ_NULL;
    self->port.hooks = MP_OBJ_NULL;
    self->port.native = false;
    self->port.os_error = 0;
    self->rx_cap = max_packet;
    self->rx = m_new(uint8_t, self->rx_cap);
    self->tx_cap = tx_size;
    self->tx = m_new(uint8_t, self->tx_cap);
    self->aliases = NULL;
    self->aliases_cap = 0;
    self->max_qos = (uint8_t)max_qos;
    self->api = (uint8_t)api;
    self->version = 4;
    self->props_dict = args[ARG_props_dict].u_bool;
    self->rx_marked = false;
    self->rx_mark = 0;
    size_t engine_size = umqtt_client_size();
    self->engine = (umqtt_client *)m_new(uint8_t, engine_size);
    umqtt_check(self, umqtt_client_init(self->engine, engine_size, self->rx_cap), 0);

    umqtt_pending_obj_t *view = mp_obj_malloc(umqtt_pending_obj_t, &umqtt_pending_type);
    view->client = self;
    self->pending_view = MP_OBJ_FROM_PTR(view);
    return MP_OBJ_FROM_PTR(self);
}

static const mp_obj_fun_builtin_fixed_t client_read_obj;
static const mp_obj_fun_builtin_var_t client_write_obj;

// Whether the owner's class replaces the native method `name` (is_native).
static bool umqtt_overridden(mp_obj_t owner, qstr name, const void *native) {
    mp_obj_t dest[2];
    mp_load_method_maybe(owner, name, dest);
    return dest[0] != MP_OBJ_NULL && dest[0] != MP_OBJ_FROM_PTR(native);
}

// _attach(sock): use sock for all I/O from now on (None detaches).
static mp_obj_t client_attach(mp_obj_t self_in, mp_obj_t sock) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    self->port.stream = MP_OBJ_NULL;
    self->port.poller = MP_OBJ_NULL;
    self->port.exc = MP_OBJ_NULL;
    self->port.hooks = MP_OBJ_NULL;
    umqtt_client_reset(self->engine);
    if (sock == mp_const_none) {
        return mp_const_none;
    }
    // A client's stream ioctl forwards to its socket: a client as a socket
    // (itself, or two clients each other's) would forward forever.
    if (mp_obj_cast_to_native_base(sock, MP_OBJ_FROM_PTR(&umqtt_client_type)) != MP_OBJ_NULL) {
        mp_raise_ValueError(MP_ERROR_TEXT("umqtt: an MQTT client cannot be a client's socket"));
    }
    // Not mp_get_stream(): a plain Python class has no protocol slot at all.
    const mp_stream_p_t *proto = MP_OBJ_TYPE_GET_SLOT_OR_NULL(mp_obj_get_type(sock), protocol);
    self->port.native = proto != NULL && proto->read != NULL && proto->write != NULL;
    if (!self->port.native) {
        // Duck-typed: needs read(n) and write(buf); AttributeError otherwise.
        mp_load_attr(sock, MP_QSTR_read);
        mp_load_attr(sock, MP_QSTR_write);
    }
    // A poller lets reads and writes wait with a timeout. Objects that cannot
    // be polled (duck-typed test sockets) are treated as always ready.
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        mp_obj_t select = mp_import_name(MP_QSTR_select, mp_const_none, MP_OBJ_NEW_SMALL_INT(0));
        mp_obj_t poller = mp_call_function_0(mp_load_attr(select, MP_QSTR_poll));
        mp_obj_t dest[4];
        mp_load_method(poller, MP_QSTR_register, dest);
        dest[2] = sock;
        dest[3] = MP_OBJ_NEW_SMALL_INT(MP_STREAM_POLL_RD);
        mp_call_method_n_kw(2, 0, dest);
        self->port.poller = poller;
        nlr_pop();
    } else {
        self->port.poller = MP_OBJ_NULL;
    }
    // A subclass that overrides _read/_write (to log, or to adapt a socket)
    // gets all I/O routed through them, as simple2 does.
    bool hooked = umqtt_overridden(self->owner, MP_QSTR__read, &client_read_obj)
        || umqtt_overridden(self->owner, MP_QSTR__write, &client_write_obj);
    self->port.hooks = hooked ? self->owner : MP_OBJ_NULL;
    self->port.stream = sock;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(client_attach_obj, client_attach);

// The port for _read/_write: the socket itself, never the hooks that call them.
static umqtt_port_t umqtt_raw_port(umqtt_client_obj_t *self) {
    umqtt_port_t raw = self->port;
    raw.hooks = MP_OBJ_NULL;
    return raw;
}

static void umqtt_check_raw(umqtt_client_obj_t *self, umqtt_port_t *raw, umqtt_status st) {
    self->port.exc = raw->exc;
    self->port.os_error = raw->os_error;
    umqtt_check(self, st, raw->os_error);
}

// _read(n): exactly n bytes from the socket within socket_timeout (simple2's hook).
static mp_obj_t client_read(mp_obj_t self_in, mp_obj_t n_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    mp_int_t n = mp_obj_get_int(n_in);
    if (n < 0) {
        umqtt_raise_code(UMQTT_EREADLEN);
    }
    umqtt_require_socket(self);
    vstr_t vstr;
    vstr_init_len(&vstr, n);
    umqtt_port_t raw = umqtt_raw_port(self);
    umqtt_status st = umqtt_stream_read_exact(&raw, (uint8_t *)vstr.buf, n,
        umqtt_timeout_ms(self, MP_QSTR_socket_timeout));
    umqtt_check_raw(self, &raw, st);
    return mp_obj_new_bytes_from_vstr(&vstr);
}
static MP_DEFINE_CONST_FUN_OBJ_2(client_read_obj, client_read);

// _write(buf, length=-1): all of buf (or its first length bytes); returns the count.
static mp_obj_t client_write(size_t n_args, const mp_obj_t *args) {
    umqtt_client_obj_t *self = umqtt_client_of(args[0]);
    umqtt_require_socket(self);
    mp_buffer_info_t bufinfo;
    mp_get_buffer_raise(args[1], &bufinfo, MP_BUFFER_READ);
    size_t len = bufinfo.len;
    if (n_args > 2) {
        mp_int_t length = mp_obj_get_int(args[2]);
        if (length >= 0 && (size_t)length < len) {
            len = length;
        }
    }
    umqtt_port_t raw = umqtt_raw_port(self);
    umqtt_status st = umqtt_stream_write_all(&raw, bufinfo.buf, len,
        umqtt_timeout_ms(self, MP_QSTR_socket_timeout));
    umqtt_check_raw(self, &raw, st);
    return MP_OBJ_NEW_SMALL_INT(len);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(client_write_obj, 2, 3, client_write);

// _sock(): the attached socket or None.
static mp_obj_t client_sock(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    return self->port.stream == MP_OBJ_NULL ? mp_const_none : self->port.stream;
}
static MP_DEFINE_CONST_FUN_OBJ_1(client_sock_obj, client_sock);

// _connect(clean_session, version=4, properties=None): CONNECT on the
// attached socket, wait for CONNACK (socket_timeout); returns the
// session-present flag (int). MQTT 5: see umqtt_connect_opts; the
// CONNACK's properties become the owner's connack_properties.
// The CONNECT the owner's attributes describe (client_id, user, pswd, lw_*,
// keepalive). The byte strings borrow the owner's objects.
// MQTT 5 (version 5): `props` are the CONNECT's properties (None or a
// dict; a Maximum Packet Size of the receive buffer is added unless given),
// the will's come from the owner's lw_properties; inbound topic aliases
// get storage if `props` announce a Topic Alias Maximum.
// A UTF-8 string of CONNECT (client id, user name): MQTT forbids U+0000 in
// it (§1.5.4), which a Python str may hold; the engine checks the rest.
static umqtt_bytes umqtt_utf8_field(mp_obj_t obj, qstr attr) {
    umqtt_bytes b = umqtt_optional_bytes_of(obj);
    if (b.len != 0 && memchr(b.ptr, 0, b.len) != NULL) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%q contains U+0000, which MQTT forbids"), attr);
    }
    return b;
}

static umqtt_connect_options umqtt_connect_opts(umqtt_client_obj_t *self, bool clean, mp_int_t version, mp_obj_t props) {
    umqtt_bytes no_props = {.ptr = NULL, .len = 0};
    umqtt_bytes conn_props = no_props, will_props = no_props;
    if (version == 5) {
        conn_props = umqtt_props_build(props, UMQTT_PROPS_CONTEXT_CONNECT, 0x27, self->rx_cap);
        will_props = umqtt_props_build(umqtt_owner_attr_or_none(self, MP_QSTR_lw_properties),
            UMQTT_PROPS_CONTEXT_WILL, 0, 0);
        mp_int_t aliases = 0;
        if (props != mp_const_none) {
            mp_map_elem_t *e = mp_map_lookup(mp_obj_dict_get_map(props), MP_OBJ_NEW_SMALL_INT(0x22), MP_MAP_LOOKUP);
            aliases = e != NULL ? mp_obj_get_int(e->value) : 0;
        }
        if (aliases < 0 || aliases > UMQTT_ALIAS_MAX) {
            mp_raise_ValueError(MP_ERROR_TEXT("Topic Alias Maximum (0x22) must be 0..32"));
        }
        size_t need = (size_t)aliases * (2 + UMQTT_ALIAS_TOPIC);
        if (need != self->aliases_cap) {
            self->aliases = need ? m_new(uint8_t, need) : NULL;
            self->aliases_cap = need;
        }
    } else if (props != mp_const_none) {
        mp_raise_ValueError(MP_ERROR_TEXT("properties need MQTT 5 (version=5)"));
    }
    self->version = (uint8_t)version;
    // Every attribute is read (properties of a subclass may run Python
    // code) before any buffer is borrowed.
    mp_int_t keepalive = mp_obj_get_int(umqtt_owner_attr(self, MP_QSTR_keepalive));
    if (keepalive < 0 || keepalive > 65535) {
        mp_raise_ValueError(MP_ERROR_TEXT("keepalive must be 0..65535"));
    }
    mp_obj_t client_id = umqtt_owner_attr(self, MP_QSTR_client_id);
    mp_obj_t user = umqtt_owner_attr(self, MP_QSTR_user);
    mp_obj_t pswd = umqtt_owner_attr(self, MP_QSTR_pswd);
    mp_obj_t lw_topic = umqtt_owner_attr(self, MP_QSTR_lw_topic);
    mp_obj_t lw_msg = umqtt_owner_attr(self, MP_QSTR_lw_msg);
    bool has_will = lw_topic != mp_const_none && mp_obj_is_true(lw_topic);
    mp_int_t will_qos = mp_obj_get_int(umqtt_owner_attr(self, MP_QSTR_lw_qos));
    if (has_will && (will_qos < 0 || will_qos > 2)) {
        mp_raise_ValueError(MP_ERROR_TEXT("lw_qos must be 0, 1 or 2"));
    }
    bool will_retain = mp_obj_is_true(umqtt_owner_attr(self, MP_QSTR_lw_retain));
    umqtt_connect_options opts = {
        .client_id = umqtt_utf8_field(client_id, MP_QSTR_client_id),
        .has_username = user != mp_const_none,
        .username = umqtt_utf8_field(user, MP_QSTR_user),
        // simple2 sends a password only with a user name (MQTT 3.1.1 requires it).
        .has_password = user != mp_const_none && pswd != mp_const_none,
        .password = umqtt_optional_bytes_of(pswd),
        .has_will = has_will,
        .will_topic = umqtt_optional_bytes_of(lw_topic),
        .will_message = umqtt_optional_bytes_of(lw_msg),
        .will_qos = has_will ? (uint8_t)will_qos : 0,
        .will_retain = will_retain,
        .keepalive = (uint16_t)keepalive,
        .clean_session = clean,
        .version = (uint8_t)version,
        .properties = conn_props,
        .will_properties = will_props,
    };
    return opts;
}

// MQTT 5: the CONNACK's properties become the owner's connack_properties.
static void umqtt_store_connack(umqtt_client_obj_t *self, umqtt_bytes props) {
    mp_store_attr(self->owner, MP_QSTR_connack_properties, umqtt_props_to_dict(self, props));
}

static mp_obj_t client_connect(size_t n_args, const mp_obj_t *args) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(args[0]);
    umqtt_require_socket(self);
    bool clean = mp_obj_is_true(args[1]);
    mp_int_t version = n_args > 2 ? mp_obj_get_int(args[2]) : 4;
    int32_t io_timeout = umqtt_timeout_ms(self, MP_QSTR_socket_timeout);
    umqtt_connect_options opts = umqtt_connect_opts(self, clean, version, n_args > 3 ? args[3] : mp_const_none);
    umqtt_io io = umqtt_io_of(self);
    uint8_t session_present = 0, return_code = 0;
    umqtt_bytes connack_props = {.ptr = NULL, .len = 0};
    umqtt_status st = umqtt_client_connect(self->engine, &io, &opts, io_timeout,
        &session_present, &return_code, &connack_props);
    if (version == 5 && (st == UMQTT_STATUS_OK || st == UMQTT_STATUS_CONNACK_REFUSED)) {
        umqtt_store_connack(self, connack_props);
    }
    if (self->api == UMQTT_API_MPLIB && (st == UMQTT_STATUS_CLOSED || st == UMQTT_STATUS_CONNACK_INVALID)) {
        // micropython-lib 1.8.0: a missing or short CONNACK is MQTTException(-1).
        umqtt_raise_code(UMQTT_EUNKNOWN);
    }
    umqtt_check(self, st, st == UMQTT_STATUS_OS_ERROR ? self->port.os_error : return_code);
    umqtt_mark_received(self, true);
    return MP_OBJ_NEW_SMALL_INT(session_present);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(client_connect_obj, 2, 4, client_connect);

static void umqtt_check_io(umqtt_client_obj_t *self, umqtt_status st) {
    umqtt_check(self, st, self->port.os_error);
}

static void umqtt_check_qos(umqtt_client_obj_t *self, mp_int_t qos) {
    if (qos < 0 || qos > self->max_qos) {
        // simple2 asserts qos in (0, 1): programs and tests rely on AssertionError.
        mp_raise_msg(&mp_type_AssertionError, MP_ERROR_TEXT("unsupported qos"));
    }
}

// The engine's message for publish()/_republish()/_nb_publish().
static umqtt_message umqtt_message_of(umqtt_client_obj_t *self, mp_obj_t topic, mp_obj_t msg,
    mp_int_t qos, bool retain, bool dup, uint16_t pid, mp_obj_t props) {
    umqtt_require_v5(self, props);
    umqtt_message m = {
        .topic = umqtt_bytes_of(topic),
        .msg = umqtt_bytes_of(msg),
        .qos = (uint8_t)qos,
        .retain = retain,
        .dup = dup,
        .pid = pid,
        .properties = umqtt_props_build(props, UMQTT_PROPS_CONTEXT_PUBLISH, 0, 0),
    };
    return m;
}

// A publish/subscribe status with the detail of a BROKER_LIMIT refusal.
static void umqtt_check_limit(umqtt_client_obj_t *self, umqtt_status st, uint8_t limit) {
    umqtt_check(self, st, st == UMQTT_STATUS_BROKER_LIMIT ? limit : self->port.os_error);
}

static mp_obj_t client_receive_one(umqtt_client_obj_t *self, int32_t first_byte_timeout);

// A QoS > 0 publish, a subscribe or an unsubscribe takes a slot of the
// in-flight table. While every slot awaits an ack (a burst of publishes
// before any check_msg()), handle incoming packets as check_msg() does --
// callbacks run, acks and expired pids free slots -- for at most
// socket_timeout, then MQTTException(EINFLIGHT).
static void umqtt_make_room(umqtt_client_obj_t *self) {
    size_t capacity = umqtt_client_pending_capacity();
    if (umqtt_client_pending_len(self->engine) < capacity) {
        return;
    }
    int32_t timeout = umqtt_timeout_ms(self, MP_QSTR_socket_timeout);
    uint32_t start = umqtt_port_ticks_ms();
    while (umqtt_client_pending_len(self->engine) >= capacity) {
        int32_t left = UMQTT_PORT_FOREVER;
        if (timeout != UMQTT_PORT_FOREVER) {
            left = timeout - (int32_t)(umqtt_port_ticks_ms() - start);
            if (left <= 0) {
                umqtt_raise_code(UMQTT_EINFLIGHT);
            }
        }
        client_receive_one(self, left);
    }
}

// publish(topic, msg, retain=False, qos=0, dup=False, properties=None)
// -> pid for QoS > 0, else None. MQTT 5: properties is a dict (see above);
// with a Topic Alias (0x23) in it, an empty topic sends the alias alone.
static mp_obj_t client_publish(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_topic, ARG_msg, ARG_retain, ARG_qos, ARG_dup, ARG_properties };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_topic, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_msg, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_retain, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_FALSE} },
        { MP_QSTR_qos, MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_dup, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_FALSE} },
        { MP_QSTR_properties, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    umqtt_client_obj_t *self = umqtt_idle_client_of(pos_args[0]);
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    if (n_args == 3 && kw_args->used == 0) {
        // publish(topic, msg), the common call: the defaults without parsing.
        args[ARG_topic].u_obj = pos_args[1];
        args[ARG_msg].u_obj = pos_args[2];
        args[ARG_retain].u_obj = mp_const_false;
        args[ARG_qos].u_int = 0;
        args[ARG_dup].u_obj = mp_const_false;
        args[ARG_properties].u_obj = mp_const_none;
    } else {
        mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    }
    mp_int_t qos = args[ARG_qos].u_int;
    umqtt_check_qos(self, qos);
    umqtt_require_socket(self);
    // Python code (callbacks while waiting for room, newpid, timeouts a
    // subclass computes) runs before any buffer is borrowed.
    uint16_t pid = 0;
    int32_t ack_timeout = 0;
    if (qos > 0) {
        umqtt_make_room(self);
        pid = umqtt_next_pid(self);
        ack_timeout = umqtt_timeout_ms(self, MP_QSTR_message_timeout);
    }
    int32_t io_timeout = umqtt_timeout_ms(self, MP_QSTR_socket_timeout);
    umqtt_require_socket(self);
    umqtt_message m = umqtt_message_of(self, args[ARG_topic].u_obj, args[ARG_msg].u_obj, qos,
        mp_obj_is_true(args[ARG_retain].u_obj), mp_obj_is_true(args[ARG_dup].u_obj), pid,
        args[ARG_properties].u_obj);
    umqtt_io io = umqtt_io_of(self);
    uint8_t limit = 0;
    umqtt_status st = umqtt_client_publish(self->engine, &io, &m, ack_timeout, io_timeout, &limit);
    umqtt_check_limit(self, st, limit);
    return qos > 0 ? MP_OBJ_NEW_SMALL_INT(pid) : mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(client_publish_obj, 3, client_publish);

// _republish(topic, msg, retain, qos, pid, properties=None): sends a QoS 1/2 publish again with
// DUP set and the same pid (after a reconnect on a resumed session). The
// engine renews the pid's deadline if it is in flight at that QoS, sends
// nothing for a QoS 2 publish that already got its PUBREC, and raises
// ValueError if the pid is in flight for anything else.
static mp_obj_t client_republish(size_t n_args, const mp_obj_t *args) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(args[0]);
    mp_int_t qos = mp_obj_get_int(args[4]);
    umqtt_check_qos(self, qos);
    if (qos == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("qos 0 has no pid"));
    }
    mp_int_t pid = mp_obj_get_int(args[5]);
    if (pid < 1 || pid > 65535) {
        mp_raise_ValueError(MP_ERROR_TEXT("packet id must be 1..65535"));
    }
    int32_t ack_timeout = umqtt_timeout_ms(self, MP_QSTR_message_timeout);
    int32_t io_timeout = umqtt_timeout_ms(self, MP_QSTR_socket_timeout);
    umqtt_require_socket(self);
    umqtt_message m = umqtt_message_of(self, args[1], args[2], qos, mp_obj_is_true(args[3]), true,
        (uint16_t)pid, n_args > 6 ? args[6] : mp_const_none);
    umqtt_io io = umqtt_io_of(self);
    uint8_t limit = 0;
    umqtt_status st = umqtt_client_publish(self->engine, &io, &m, ack_timeout, io_timeout, &limit);
    umqtt_check_limit(self, st, limit);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(client_republish_obj, 6, 7, client_republish);

// A SUBSCRIBE's options byte: the QoS (bits 0-1) within the façade's limit;
// MQTT 5 adds No Local (0x04), Retain As Published (0x08), Retain Handling (<< 4).
static void umqtt_check_sub_options(umqtt_client_obj_t *self, mp_int_t options) {
    if (options < 0) {
        umqtt_check_qos(self, options);  // a negative QoS: simple2's AssertionError
    }
    if (options > 3 && self->version != 5) {
        mp_raise_ValueError(MP_ERROR_TEXT("subscription options need MQTT 5 (version=5)"));
    }
    if (options > 0x3f) {
        mp_raise_ValueError(MP_ERROR_TEXT("subscription options must be at most 0x3f"));
    }
    umqtt_check_qos(self, options & 3);
}

// subscribe(topic, qos=0, properties=None) -> pid; the SUBACK is reported
// by check_msg. MQTT 5: bits 2-5 of qos are the subscription options (No
// Local 0x04, Retain As Published 0x08, Retain Handling << 4).
static mp_obj_t client_subscribe(size_t n_args, const mp_obj_t *args) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(args[0]);
    mp_int_t options = n_args > 2 ? mp_obj_get_int(args[2]) : 0;
    mp_obj_t props = n_args > 3 ? args[3] : mp_const_none;
    umqtt_check_sub_options(self, options);
    umqtt_require_v5(self, props);
    if (umqtt_owner_attr(self, MP_QSTR_cb) == mp_const_none) {
        // simple2: "Subscribe callback is not set"
        mp_raise_msg(&mp_type_AssertionError, MP_ERROR_TEXT("Subscribe callback is not set"));
    }
    umqtt_require_socket(self);
    umqtt_make_room(self);
    uint16_t pid = umqtt_next_pid(self);
    int32_t ack_timeout = umqtt_timeout_ms(self, MP_QSTR_message_timeout);
    int32_t io_timeout = umqtt_timeout_ms(self, MP_QSTR_socket_timeout);
    umqtt_require_socket(self);
    umqtt_bytes topic = umqtt_bytes_of(args[1]);
    umqtt_bytes block = umqtt_props_build(props, UMQTT_PROPS_CONTEXT_SUBSCRIBE, 0, 0);
    umqtt_io io = umqtt_io_of(self);
    uint8_t limit = 0;
    umqtt_status st = umqtt_client_subscribe(self->engine, &io, topic, (uint8_t)options, block, pid,
        ack_timeout, io_timeout, &limit);
    umqtt_check_limit(self, st, limit);
    return MP_OBJ_NEW_SMALL_INT(pid);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(client_subscribe_obj, 2, 4, client_subscribe);

// unsubscribe(topic, properties=None) -> pid; the UNSUBACK is reported by
// check_msg (0xB0).
static mp_obj_t client_unsubscribe(size_t n_args, const mp_obj_t *args) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(args[0]);
    mp_obj_t props = n_args > 2 ? args[2] : mp_const_none;
    umqtt_require_v5(self, props);
    umqtt_require_socket(self);
    umqtt_make_room(self);
    uint16_t pid = umqtt_next_pid(self);
    int32_t ack_timeout = umqtt_timeout_ms(self, MP_QSTR_message_timeout);
    int32_t io_timeout = umqtt_timeout_ms(self, MP_QSTR_socket_timeout);
    umqtt_require_socket(self);
    umqtt_bytes topic = umqtt_bytes_of(args[1]);
    umqtt_bytes block = umqtt_props_build(props, UMQTT_PROPS_CONTEXT_UNSUBSCRIBE, 0, 0);
    umqtt_io io = umqtt_io_of(self);
    umqtt_check_io(self, umqtt_client_unsubscribe(self->engine, &io, topic, block, pid, ack_timeout, io_timeout));
    return MP_OBJ_NEW_SMALL_INT(pid);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(client_unsubscribe_obj, 2, 3, client_unsubscribe);

// ping(): PINGREQ; the PINGRESP is consumed by check_msg (which returns None).
static mp_obj_t client_ping(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    int32_t io_timeout = umqtt_timeout_ms(self, MP_QSTR_socket_timeout);
    umqtt_require_socket(self);
    umqtt_io io = umqtt_io_of(self);
    umqtt_check_io(self, umqtt_client_ping(self->engine, &io, io_timeout));
    mp_store_attr(self->owner, MP_QSTR_last_ping, umqtt_ticks_obj(umqtt_port_ticks_ms()));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(client_ping_obj, client_ping);

// _send_disconnect(reason=0, properties=None): DISCONNECT, best effort
// (errors are swallowed, as in simple2). MQTT 5: with a reason code (0x04:
// publish the will) and properties (e.g. 0x11 Session Expiry Interval).
static mp_obj_t client_send_disconnect(size_t n_args, const mp_obj_t *args) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(args[0]);
    mp_int_t reason = n_args > 1 ? mp_obj_get_int(args[1]) : 0;
    mp_obj_t props = n_args > 2 ? args[2] : mp_const_none;
    umqtt_require_v5(self, props);
    if (reason < 0 || reason > 255) {
        mp_raise_ValueError(MP_ERROR_TEXT("a DISCONNECT reason code is 0..255"));
    }
    if (reason != 0 && self->version != 5) {
        mp_raise_ValueError(MP_ERROR_TEXT("a DISCONNECT reason code needs MQTT 5 (version=5)"));
    }
    int32_t io_timeout = umqtt_timeout_ms(self, MP_QSTR_socket_timeout);
    umqtt_bytes block = umqtt_props_build(props, UMQTT_PROPS_CONTEXT_DISCONNECT, 0, 0);
    if (self->port.stream != MP_OBJ_NULL) {
        umqtt_io io = umqtt_io_of(self);
        umqtt_status st = umqtt_client_disconnect(self->engine, &io, (uint8_t)reason, block, io_timeout);
        if (st == UMQTT_STATUS_INVALID_ARGUMENT || st == UMQTT_STATUS_INVALID_PROPERTY) {
            umqtt_check(self, st, 0);  // a bad reason code or property: the caller's error
        }
        if (st != UMQTT_STATUS_OK) {
            self->port.exc = MP_OBJ_NULL;
        }
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(client_send_disconnect_obj, 1, 3, client_send_disconnect);

// The first refusal (>= 0x80) among MQTT 5 SUBACK/UNSUBACK reason codes.
static mp_int_t umqtt_first_error(umqtt_bytes codes) {
    for (size_t i = 0; i < codes.len; i++) {
        if (codes.ptr[i] >= 0x80) {
            return codes.ptr[i];
        }
    }
    return 0x80;
}

// MQTT 5: the broker sent DISCONNECT and the connection is closed. Its
// reason code and properties become the owner's disconnect_reason
// (reason, properties); the exception is the one for a closed connection
// (micropython-lib: OSError(-1, text), so umqtt.robust reconnects;
// simple2: MQTTException(1, reason)).
static MP_NORETURN void umqtt_raise_disconnected(umqtt_client_obj_t *self, const umqtt_event *ev) {
    mp_obj_t info[2] = {MP_OBJ_NEW_SMALL_INT(ev->reason), umqtt_props_to_dict(self, ev->properties)};
    mp_store_attr(self->owner, MP_QSTR_disconnect_reason, mp_obj_new_tuple(2, info));
    if (self->api == UMQTT_API_MPLIB) {
        umqtt_bytes name = umqtt_reason_text(ev->reason);
        mp_obj_t args[2] = {MP_OBJ_NEW_SMALL_INT(-1), mp_obj_new_str((const char *)name.ptr, name.len)};
        nlr_raise(mp_obj_new_exception_args(&mp_type_OSError, 2, args));
    }
    mp_obj_t args[2] = {MP_OBJ_NEW_SMALL_INT(UMQTT_ECONCLOSE), MP_OBJ_NEW_SMALL_INT(ev->reason)};
    nlr_raise(mp_obj_new_exception_args(&mp_type_MQTTException, 2, args));
}

// Reports acks whose time ran out: cbstat(pid, 0). At most as many as were
// in flight when it started: a cbstat that puts an expired pid back into
// rcv_pids gets it reported again by the next call, not in an endless loop.
static void umqtt_report_expired(umqtt_client_obj_t *self) {
    uint16_t pid;
    for (size_t n = umqtt_client_pending_len(self->engine); n > 0; n--) {
        if (!umqtt_client_poll_expired(self->engine, &pid)) {
            break;
        }
        umqtt_call_status(self, pid, 0);
    }
}

// Hands the message `ev` reports to owner.cb(topic, msg[, retained[, dup]]
// [, properties]), with the first n_fixed of those four (the topic and
// payload are copied out of the receive buffer first). The engine has
// recorded the delivery; if anything raises before the callback returns
// (the callback, an allocation), the delivery is closed without an ack, so
// the broker redelivers, and the exception propagates. On return, the
// caller sends the ack with umqtt_client_accept / _nb_accept.
static void umqtt_deliver(umqtt_client_obj_t *self, const umqtt_event *ev, size_t n_fixed) {
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        mp_obj_t cb_args[5] = {
            mp_obj_new_bytes(ev->topic.ptr, ev->topic.len),
            mp_obj_new_bytes(ev->payload.ptr, ev->payload.len),
            mp_obj_new_bool(ev->retain),
            mp_obj_new_bool(ev->dup),
        };
        size_t n = n_fixed;
        if (self->version == 5) {
            cb_args[n++] = umqtt_props_to_dict(self, ev->properties);
        }
        mp_obj_t cb = umqtt_owner_attr(self, MP_QSTR_cb);
        if (cb != mp_const_none) {
            mp_call_function_n_kw(cb, n, 0, cb_args);
        }
        nlr_pop();
    } else {
        umqtt_client_forget(self->engine, ev->qos, ev->pid);
        nlr_jump(nlr.ret_val);
    }
}

// One incoming packet, handled as simple2's check_msg does. first_byte_timeout:
// how long to wait for a packet to start (1 ms for check_msg); once one has
// started, the rest must arrive within socket_timeout.
static mp_obj_t client_receive_one(umqtt_client_obj_t *self, int32_t first_byte_timeout) {
    umqtt_report_expired(self);
    int32_t io_timeout = umqtt_timeout_ms(self, MP_QSTR_socket_timeout);
    umqtt_require_socket(self);
    umqtt_io io = umqtt_io_of(self);
    umqtt_event ev;
    umqtt_check_io(self, umqtt_client_receive(self->engine, &io, first_byte_timeout, io_timeout, &ev));
    if (ev.kind == UMQTT_EVENT_KIND_NONE) {
        umqtt_report_expired(self);
        return mp_const_none;
    }
    umqtt_mark_received(self, false);
    mp_obj_t packet_type = MP_OBJ_NEW_SMALL_INT(ev.packet_type << 4);
    switch (ev.kind) {
        case UMQTT_EVENT_KIND_MESSAGE: {
            umqtt_deliver(self, &ev, self->api == UMQTT_API_MPLIB ? 2 : 4);
            // Acknowledged once the callback has returned, on the I/O as the
            // callback left it (it may have published or disconnected).
            io = umqtt_io_of(self);
            umqtt_check_io(self, umqtt_client_accept(self->engine, &io, ev.qos, ev.pid, io_timeout));
            if (self->api == UMQTT_API_MPLIB) {
                // micropython-lib returns the PUBLISH's first byte.
                return MP_OBJ_NEW_SMALL_INT(0x30 | (ev.dup ? 0x08 : 0) | (ev.qos << 1) | (ev.retain ? 1 : 0));
            }
            return mp_const_none;
        }
        case UMQTT_EVENT_KIND_DELIVERED:
        case UMQTT_EVENT_KIND_SUBSCRIBED:
            umqtt_call_status(self, ev.pid, 1);
            return packet_type;
        case UMQTT_EVENT_KIND_SUBSCRIBE_FAILED:
            if (self->version == 5 && self->api == UMQTT_API_MPLIB) {
                umqtt_raise_code(umqtt_first_error(ev.codes));  // the reason code, e.g. 0x87
            }
            umqtt_raise_api(self, UMQTT_ESUBACKFAIL);
        case UMQTT_EVENT_KIND_UNSUBSCRIBE_FAILED:
            umqtt_raise_code(umqtt_first_error(ev.codes));
        case UMQTT_EVENT_KIND_REFUSED:
            // MQTT 5: the broker refused our publish (PUBACK/PUBREC reason >=
            // 0x80): cbstat(pid, reason), then MQTTException(reason).
            umqtt_call_status(self, ev.pid, ev.reason);
            umqtt_raise_code(ev.reason);
        case UMQTT_EVENT_KIND_DISCONNECTED:
            umqtt_raise_disconnected(self, &ev);
        case UMQTT_EVENT_KIND_UNKNOWN_ACK:
            // simple2 status 2: an ack for a pid that is not (or no longer) in flight.
            umqtt_call_status(self, ev.pid, 2);
            return packet_type;
        case UMQTT_EVENT_KIND_PONG:
        case UMQTT_EVENT_KIND_DUPLICATE:
            return mp_const_none;
        default:
            // UNSUBACK, PUBREC, PUBREL, PUBCOMP: handled by the engine, body consumed.
            return packet_type;
    }
}

// check_msg(): handle at most one packet; None when idle. Like simple2 it
// waits up to 1 ms for a packet to start (forever if socket_timeout is None),
// so a check_msg() loop waiting for an ack does not spin the CPU.
static mp_obj_t client_check_msg(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    mp_obj_t timeout = umqtt_owner_attr(self, MP_QSTR_socket_timeout);
    return client_receive_one(self, timeout == mp_const_none ? UMQTT_PORT_FOREVER : 1);
}
static MP_DEFINE_CONST_FUN_OBJ_1(client_check_msg_obj, client_check_msg);

// wait_msg(): wait (forever) for a packet, then handle it like check_msg.
static mp_obj_t client_wait_msg(mp_obj_t self_in) {
    return client_receive_one(umqtt_idle_client_of(self_in), UMQTT_PORT_FOREVER);
}
static MP_DEFINE_CONST_FUN_OBJ_1(client_wait_msg_obj, client_wait_msg);

// _receive(timeout_ms): like check_msg, but waits up to timeout_ms for a packet
// to begin (None: forever). The façades' bounded waits for an ack use it.
static mp_obj_t client_receive(mp_obj_t self_in, mp_obj_t timeout_in) {
    int32_t timeout = UMQTT_PORT_FOREVER;
    if (timeout_in != mp_const_none) {
        mp_int_t ms = mp_obj_get_int(timeout_in);
        timeout = ms < 0 ? 0 : (ms > 2000000000 ? 2000000000 : (int32_t)ms);
    }
    return client_receive_one(umqtt_idle_client_of(self_in), timeout);
}
static MP_DEFINE_CONST_FUN_OBJ_2(client_receive_obj, client_receive);

// _pending(): the live rcv_pids mapping.
static mp_obj_t client_pending(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    return self->pending_view;
}
static MP_DEFINE_CONST_FUN_OBJ_1(client_pending_obj, client_pending);

// _clear_pending(): forget every in-flight pid (clean session).
static mp_obj_t client_clear_pending(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    umqtt_client_pending_clear(self->engine);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(client_clear_pending_obj, client_clear_pending);

// ---------------------------------------------------------------------------
// Non-blocking entry points (_nb_*), for the asyncio client (mqtt_as).
//
// None of them waits. Outgoing packets go to a transmit queue in the tx
// buffer; _nb_flush() writes what the socket takes now and returns how many
// bytes are left, so the caller awaits writability (of this object: see
// client_stream_ioctl) only while something is pending. Reads use zero
// timeouts: a packet that has only partly arrived is kept and continued by
// the next call. Callbacks: owner.cb(topic, msg, retained) for a message,
// owner.cbstat(pid, status) for an ack (1), a refused SUBACK (0x80) or an
// ack for a pid not in flight (2).

// Grows the tx buffer (keeping what is queued) when a packet of up to `need`
// bytes could never fit in it. Otherwise a full queue is WOULD_BLOCK: the
// caller waits for it to drain.
static void umqtt_nb_room(umqtt_client_obj_t *self, size_t need) {
    if (need > self->tx_cap) {
        self->tx = m_renew(uint8_t, self->tx, self->tx_cap, need);
        self->tx_cap = need;
    }
}

// Raises for an error status; returns false for WOULD_BLOCK, true for OK.
static bool umqtt_nb_check(umqtt_client_obj_t *self, umqtt_status st) {
    if (st == UMQTT_STATUS_WOULD_BLOCK) {
        return false;
    }
    umqtt_check(self, st, self->port.os_error);
    return true;
}

// _nb_connect(clean, version=4, properties=None): queue CONNECT on the
// attached socket (MQTT 5 as for _connect).
static mp_obj_t client_nb_connect(size_t n_args, const mp_obj_t *args) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(args[0]);
    umqtt_require_socket(self);
    mp_int_t version = n_args > 2 ? mp_obj_get_int(args[2]) : 4;
    umqtt_connect_options opts = umqtt_connect_opts(self, mp_obj_is_true(args[1]), version,
        n_args > 3 ? args[3] : mp_const_none);
    // CONNECT goes into an emptied queue: make it fit.
    size_t need = 64 + opts.client_id.len + opts.username.len + opts.password.len
        + opts.will_topic.len + opts.will_message.len + opts.properties.len + opts.will_properties.len;
    if (need > self->tx_cap) {
        self->tx = m_renew(uint8_t, self->tx, self->tx_cap, need);
        self->tx_cap = need;
    }
    umqtt_io io = umqtt_io_of(self);
    umqtt_check(self, umqtt_client_nb_connect(self->engine, &io, &opts), self->port.os_error);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(client_nb_connect_obj, 2, 4, client_nb_connect);

// _nb_connack() -> None (not yet) or the session-present flag; raises as
// _connect() does for a refused or invalid CONNACK.
static mp_obj_t client_nb_connack(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    umqtt_require_socket(self);
    umqtt_io io = umqtt_io_of(self);
    bool done = false;
    uint8_t session_present = 0, return_code = 0;
    umqtt_bytes connack_props = {.ptr = NULL, .len = 0};
    umqtt_status st = umqtt_client_nb_connack(self->engine, &io, &done, &session_present, &return_code,
        &connack_props);
    if (self->version == 5 && ((st == UMQTT_STATUS_OK && done) || st == UMQTT_STATUS_CONNACK_REFUSED)) {
        umqtt_store_connack(self, connack_props);
    }
    umqtt_check(self, st, st == UMQTT_STATUS_OS_ERROR ? self->port.os_error : return_code);
    return done ? MP_OBJ_NEW_SMALL_INT(session_present) : mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(client_nb_connack_obj, client_nb_connack);

// _nb_flush() -> bytes still queued (0: all written).
static mp_obj_t client_nb_flush(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    umqtt_require_socket(self);
    umqtt_io io = umqtt_io_of(self);
    size_t left = 0;
    umqtt_check(self, umqtt_client_nb_flush(self->engine, &io, &left), self->port.os_error);
    return MP_OBJ_NEW_SMALL_INT(left);
}
static MP_DEFINE_CONST_FUN_OBJ_1(client_nb_flush_obj, client_nb_flush);

// _nb_pending() -> bytes queued.
static mp_obj_t client_nb_pending(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    return MP_OBJ_NEW_SMALL_INT(umqtt_client_nb_pending(self->engine));
}
static MP_DEFINE_CONST_FUN_OBJ_1(client_nb_pending_obj, client_nb_pending);

// _nb_publish(topic, msg, retain, qos, dup, pid, properties=None) -> True if
// queued, False if the queue has no room now (flush, then call again). The
// tx buffer grows to hold a PUBLISH larger than it. The pid stays in flight
// without deadline until its PUBACK (the caller times republication).
static mp_obj_t client_nb_publish(size_t n_args, const mp_obj_t *args) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(args[0]);
    mp_int_t qos = mp_obj_get_int(args[4]);
    umqtt_check_qos(self, qos);
    umqtt_require_socket(self);
    mp_int_t pid = mp_obj_get_int(args[6]);
    if (qos > 0 && (pid < 1 || pid > 65535)) {
        mp_raise_ValueError(MP_ERROR_TEXT("packet id must be 1..65535"));
    }
    umqtt_message m = umqtt_message_of(self, args[1], args[2], qos, mp_obj_is_true(args[3]),
        mp_obj_is_true(args[5]), (uint16_t)(qos > 0 ? pid : 0), n_args > 7 ? args[7] : mp_const_none);
    umqtt_nb_room(self, m.topic.len + m.msg.len + m.properties.len + 14);
    umqtt_io io = umqtt_io_of(self);
    uint8_t limit = 0;
    umqtt_status st = umqtt_client_nb_publish(self->engine, &io, &m, UMQTT_PORT_FOREVER, &limit);
    if (st == UMQTT_STATUS_BROKER_LIMIT) {
        umqtt_check(self, st, limit);
    }
    return mp_obj_new_bool(umqtt_nb_check(self, st));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(client_nb_publish_obj, 7, 8, client_nb_publish);

static mp_obj_t umqtt_nb_sub(umqtt_client_obj_t *self, mp_obj_t topic_in, uint8_t options, mp_obj_t pid_in,
    mp_obj_t props, umqtt_props_context ctx) {
    umqtt_require_socket(self);
    umqtt_require_v5(self, props);
    umqtt_bytes topic = umqtt_bytes_of(topic_in);
    mp_int_t pid = mp_obj_get_int(pid_in);
    if (pid < 1 || pid > 65535) {
        mp_raise_ValueError(MP_ERROR_TEXT("packet id must be 1..65535"));
    }
    umqtt_bytes block = umqtt_props_build(props, ctx, 0, 0);
    umqtt_nb_room(self, topic.len + block.len + 14);
    umqtt_io io = umqtt_io_of(self);
    uint8_t limit = 0;
    umqtt_status st = umqtt_client_nb_subscribe(self->engine, &io, topic, options, block, (uint16_t)pid,
        UMQTT_PORT_FOREVER, &limit);
    if (st == UMQTT_STATUS_BROKER_LIMIT) {
        umqtt_check(self, st, limit);
    }
    return mp_obj_new_bool(umqtt_nb_check(self, st));
}

// _nb_subscribe(topic, qos, pid, properties=None) -> True if queued, False
// if no room now. MQTT 5: qos may carry subscription options (see subscribe).
static mp_obj_t client_nb_subscribe(size_t n_args, const mp_obj_t *args) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(args[0]);
    mp_int_t options = mp_obj_get_int(args[2]);
    umqtt_check_sub_options(self, options);
    return umqtt_nb_sub(self, args[1], (uint8_t)options, args[3], n_args > 4 ? args[4] : mp_const_none,
        UMQTT_PROPS_CONTEXT_SUBSCRIBE);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(client_nb_subscribe_obj, 4, 5, client_nb_subscribe);

// _nb_unsubscribe(topic, pid, properties=None) -> True if queued, False if
// no room now.
static mp_obj_t client_nb_unsubscribe(size_t n_args, const mp_obj_t *args) {
    return umqtt_nb_sub(umqtt_idle_client_of(args[0]), args[1], UMQTT_NB_UNSUBSCRIBE, args[2],
        n_args > 3 ? args[3] : mp_const_none, UMQTT_PROPS_CONTEXT_UNSUBSCRIBE);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(client_nb_unsubscribe_obj, 3, 4, client_nb_unsubscribe);

// _nb_ping() / _nb_disconnect() -> True if queued, False if no room now.
static mp_obj_t client_nb_ping(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    umqtt_require_socket(self);
    umqtt_io io = umqtt_io_of(self);
    return mp_obj_new_bool(umqtt_nb_check(self, umqtt_client_nb_control(self->engine, &io, false)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(client_nb_ping_obj, client_nb_ping);

static mp_obj_t client_nb_disconnect(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    umqtt_require_socket(self);
    umqtt_io io = umqtt_io_of(self);
    return mp_obj_new_bool(umqtt_nb_check(self, umqtt_client_nb_control(self->engine, &io, true)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(client_nb_disconnect_obj, client_nb_disconnect);

// _nb_receive() -> 0: no complete packet; -1: a packet has partly arrived
// (kept; call again when readable); else the handled packet's type << 4.
// Acks it owes are queued for _nb_flush().
static mp_obj_t client_nb_receive(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    umqtt_require_socket(self);
    umqtt_io io = umqtt_io_of(self);
    umqtt_event ev;
    umqtt_status st = umqtt_client_nb_receive(self->engine, &io, &ev);
    if (st == UMQTT_STATUS_TIMEOUT) {
        return MP_OBJ_NEW_SMALL_INT(-1);
    }
    umqtt_check_io(self, st);
    mp_int_t status = -1;
    switch (ev.kind) {
        case UMQTT_EVENT_KIND_NONE:
            return MP_OBJ_NEW_SMALL_INT(0);
        case UMQTT_EVENT_KIND_MESSAGE:
            umqtt_deliver(self, &ev, 3);  // cb(topic, msg, retained[, properties])
            // Acknowledged once the callback has returned.
            umqtt_check_io(self, umqtt_client_nb_accept(self->engine, ev.qos, ev.pid));
            break;
        case UMQTT_EVENT_KIND_DELIVERED:
        case UMQTT_EVENT_KIND_SUBSCRIBED:
        case UMQTT_EVENT_KIND_UNSUBSCRIBED:
            status = 1;
            break;
        case UMQTT_EVENT_KIND_SUBSCRIBE_FAILED:
        case UMQTT_EVENT_KIND_UNSUBSCRIBE_FAILED:
            status = umqtt_first_error(ev.codes);
            break;
        case UMQTT_EVENT_KIND_REFUSED:
            status = ev.reason;  // MQTT 5: the broker refused the publish
            break;
        case UMQTT_EVENT_KIND_DISCONNECTED:
            umqtt_raise_disconnected(self, &ev);
        case UMQTT_EVENT_KIND_UNKNOWN_ACK:
            status = 2;
            break;
        default:
            break;
    }
    if (status >= 0) {
        umqtt_call_status(self, ev.pid, status);
    }
    return MP_OBJ_NEW_SMALL_INT(ev.packet_type << 4);
}
static MP_DEFINE_CONST_FUN_OBJ_1(client_nb_receive_obj, client_nb_receive);

// The stream protocol's ioctl, as modtls_mbedtls.c does for its socket:
// select.poll and asyncio's IOQueue can wait on the client itself, and
// their wait is the attached socket's (POLL delegated). GET_FILENO is
// delegated only for a plain socket, so that on ports with POSIX poll
// optimisations a TLS socket is polled through its ioctl, which accounts
// for decrypted bytes already buffered and for the direction a handshake
// in progress needs. Python subclasses inherit this slot (py/objtype.c
// copies the base's protocol) and call it with the instance, hence the
// cast to the native base.
static mp_uint_t client_stream_ioctl(mp_obj_t self_in, mp_uint_t request, uintptr_t arg, int *errcode) {
    mp_obj_t native = mp_obj_cast_to_native_base(self_in, MP_OBJ_FROM_PTR(&umqtt_client_type));
    if (native == MP_OBJ_NULL) {
        *errcode = MP_EINVAL;
        return MP_STREAM_ERROR;
    }
    umqtt_client_obj_t *self = MP_OBJ_TO_PTR(native);
    if (request == MP_STREAM_CLOSE) {
        return 0;  // the socket is closed by whoever opened it
    }
    mp_obj_t sock = self->port.stream;
    if (sock == MP_OBJ_NULL) {
        if (request == MP_STREAM_POLL) {
            return MP_STREAM_POLL_NVAL;
        }
        *errcode = MP_EBADF;
        return MP_STREAM_ERROR;
    }
    const mp_obj_type_t *type = mp_obj_get_type(sock);
    const mp_stream_p_t *proto = MP_OBJ_TYPE_GET_SLOT_OR_NULL(type, protocol);
    if (proto == NULL || proto->ioctl == NULL) {
        if (request == MP_STREAM_POLL) {
            return arg & (MP_STREAM_POLL_RD | MP_STREAM_POLL_WR);  // duck-typed: always ready
        }
        *errcode = MP_EINVAL;
        return MP_STREAM_ERROR;
    }
    #ifdef MP_STREAM_GET_FILENO
    if (request == MP_STREAM_GET_FILENO && type->name != MP_QSTR_socket) {
        *errcode = MP_EINVAL;
        return MP_STREAM_ERROR;
    }
    #endif
    return proto->ioctl(sock, request, arg, errcode);
}

static const mp_stream_p_t umqtt_client_stream_p = {
    .ioctl = client_stream_ioctl,
};

// __del__: drop references; the socket has its own finaliser. Safe twice.
static mp_obj_t client_del(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    self->port.stream = MP_OBJ_NULL;
    self->port.poller = MP_OBJ_NULL;
    self->port.exc = MP_OBJ_NULL;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(client_del_obj, client_del);

static const mp_rom_map_elem_t umqtt_client_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&client_del_obj) },
    { MP_ROM_QSTR(MP_QSTR_publish), MP_ROM_PTR(&client_publish_obj) },
    { MP_ROM_QSTR(MP_QSTR_subscribe), MP_ROM_PTR(&client_subscribe_obj) },
    { MP_ROM_QSTR(MP_QSTR_unsubscribe), MP_ROM_PTR(&client_unsubscribe_obj) },
    { MP_ROM_QSTR(MP_QSTR_ping), MP_ROM_PTR(&client_ping_obj) },
    { MP_ROM_QSTR(MP_QSTR_check_msg), MP_ROM_PTR(&client_check_msg_obj) },
    { MP_ROM_QSTR(MP_QSTR_wait_msg), MP_ROM_PTR(&client_wait_msg_obj) },
    { MP_ROM_QSTR(MP_QSTR__receive), MP_ROM_PTR(&client_receive_obj) },
    { MP_ROM_QSTR(MP_QSTR__republish), MP_ROM_PTR(&client_republish_obj) },
    { MP_ROM_QSTR(MP_QSTR__attach), MP_ROM_PTR(&client_attach_obj) },
    { MP_ROM_QSTR(MP_QSTR__read), MP_ROM_PTR(&client_read_obj) },
    { MP_ROM_QSTR(MP_QSTR__write), MP_ROM_PTR(&client_write_obj) },
    { MP_ROM_QSTR(MP_QSTR__sock), MP_ROM_PTR(&client_sock_obj) },
    { MP_ROM_QSTR(MP_QSTR__connect), MP_ROM_PTR(&client_connect_obj) },
    { MP_ROM_QSTR(MP_QSTR__send_disconnect), MP_ROM_PTR(&client_send_disconnect_obj) },
    { MP_ROM_QSTR(MP_QSTR__pending), MP_ROM_PTR(&client_pending_obj) },
    { MP_ROM_QSTR(MP_QSTR__clear_pending), MP_ROM_PTR(&client_clear_pending_obj) },
    { MP_ROM_QSTR(MP_QSTR__nb_connect), MP_ROM_PTR(&client_nb_connect_obj) },
    { MP_ROM_QSTR(MP_QSTR__nb_connack), MP_ROM_PTR(&client_nb_connack_obj) },
    { MP_ROM_QSTR(MP_QSTR__nb_flush), MP_ROM_PTR(&client_nb_flush_obj) },
    { MP_ROM_QSTR(MP_QSTR__nb_pending), MP_ROM_PTR(&client_nb_pending_obj) },
    { MP_ROM_QSTR(MP_QSTR__nb_publish), MP_ROM_PTR(&client_nb_publish_obj) },
    { MP_ROM_QSTR(MP_QSTR__nb_subscribe), MP_ROM_PTR(&client_nb_subscribe_obj) },
    { MP_ROM_QSTR(MP_QSTR__nb_unsubscribe), MP_ROM_PTR(&client_nb_unsubscribe_obj) },
    { MP_ROM_QSTR(MP_QSTR__nb_ping), MP_ROM_PTR(&client_nb_ping_obj) },
    { MP_ROM_QSTR(MP_QSTR__nb_disconnect), MP_ROM_PTR(&client_nb_disconnect_obj) },
    { MP_ROM_QSTR(MP_QSTR__nb_receive), MP_ROM_PTR(&client_nb_receive_obj) },
};
static MP_DEFINE_CONST_DICT(umqtt_client_locals_dict, umqtt_client_locals_dict_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    umqtt_client_type,
    MP_QSTR_Client,
    MP_TYPE_FLAG_NONE,
    make_new, client_make_new,
    protocol, &umqtt_client_stream_p,
    locals_dict, &umqtt_client_locals_dict
    );

// ---------------------------------------------------------------------------
// rcv_pids: a dict-like live view (pid -> deadline in ticks_ms).

// The client behind a view; TypeError if self_in is not one (an explicit
// call through the type), RuntimeError while the client is mid-I/O.
static umqtt_client_obj_t *umqtt_pending_client(mp_obj_t self_in) {
    if (!mp_obj_is_type(self_in, &umqtt_pending_type)) {
        mp_raise_TypeError(MP_ERROR_TEXT("umqtt: not an rcv_pids view"));
    }
    umqtt_pending_obj_t *view = MP_OBJ_TO_PTR(self_in);
    return umqtt_idle_client_of(MP_OBJ_FROM_PTR(view->client));
}

// Whether `key` is a packet id as a dict key would match one: an int (or
// bool) 1..65535. Anything else -- a huge int, a str -- matches no pid.
static bool umqtt_pid_key(mp_obj_t key, uint16_t *pid) {
    if (!mp_obj_is_small_int(key) && !mp_obj_is_bool(key)) {
        return false;
    }
    mp_int_t v = mp_obj_get_int(key);
    if (v < 1 || v > 65535) {
        return false;
    }
    *pid = (uint16_t)v;
    return true;
}

static uint16_t umqtt_pid_arg(mp_obj_t pid_in) {
    uint16_t pid;
    if (!umqtt_pid_key(pid_in, &pid)) {
        mp_raise_type_arg(&mp_type_KeyError, pid_in);
    }
    return pid;
}

static mp_obj_t umqtt_pending_subscr(mp_obj_t self_in, mp_obj_t index, mp_obj_t value) {
    umqtt_client_obj_t *client = umqtt_pending_client(self_in);
    uint16_t pid = umqtt_pid_arg(index);
    uint32_t deadline;
    if (value == MP_OBJ_SENTINEL) {
        // load
        if (!umqtt_client_pending_get(client->engine, pid, &deadline)) {
            mp_raise_type_arg(&mp_type_KeyError, index);
        }
        return umqtt_ticks_obj(deadline);
    } else if (value == MP_OBJ_NULL) {
        // delete
        if (!umqtt_client_pending_remove(client->engine, pid, &deadline)) {
            mp_raise_type_arg(&mp_type_KeyError, index);
        }
        return mp_const_none;
    }
    // store
    umqtt_check(client, umqtt_client_pending_insert(client->engine, pid, umqtt_ticks_from_obj(value)), 0);
    return mp_const_none;
}

static mp_obj_t umqtt_pending_unary_op(mp_unary_op_t op, mp_obj_t self_in) {
    umqtt_client_obj_t *client = umqtt_pending_client(self_in);
    size_t n = umqtt_client_pending_len(client->engine);
    switch (op) {
        case MP_UNARY_OP_BOOL:
            return mp_obj_new_bool(n != 0);
        case MP_UNARY_OP_LEN:
            return MP_OBJ_NEW_SMALL_INT(n);
        default:
            return MP_OBJ_NULL;
    }
}

static mp_obj_t umqtt_pending_binary_op(mp_binary_op_t op, mp_obj_t lhs_in, mp_obj_t rhs_in) {
    umqtt_client_obj_t *client = umqtt_pending_client(lhs_in);
    if (op == MP_BINARY_OP_CONTAINS) {
        uint16_t pid;
        uint32_t deadline;
        return mp_obj_new_bool(umqtt_pid_key(rhs_in, &pid) && umqtt_client_pending_get(client->engine, pid, &deadline));
    }
    if (op == MP_BINARY_OP_EQUAL) {
        // Equal to a dict with the same pids and deadlines, as rcv_pids == {} expects.
        if (!mp_obj_is_type(rhs_in, &mp_type_dict)) {
            return mp_obj_new_bool(lhs_in == rhs_in);
        }
        mp_map_t *map = mp_obj_dict_get_map(rhs_in);
        size_t n = umqtt_client_pending_len(client->engine);
        if (map->used != n) {
            return mp_const_false;
        }
        for (size_t i = 0; i < n; i++) {
            uint16_t pid;
            uint32_t deadline;
            if (!umqtt_client_pending_nth(client->engine, i, &pid, &deadline)) {
                return mp_const_false;
            }
            mp_map_elem_t *elem = mp_map_lookup(map, MP_OBJ_NEW_SMALL_INT(pid), MP_MAP_LOOKUP);
            if (elem == NULL || !mp_obj_equal(elem->value, umqtt_ticks_obj(deadline))) {
                return mp_const_false;
            }
        }
        return mp_const_true;
    }
    return MP_OBJ_NULL;
}

// A snapshot list of keys, values or (key, value) tuples.
enum { UMQTT_VIEW_KEYS, UMQTT_VIEW_VALUES, UMQTT_VIEW_ITEMS };

static mp_obj_t umqtt_pending_snapshot(mp_obj_t self_in, int kind) {
    umqtt_client_obj_t *client = umqtt_pending_client(self_in);
    size_t n = umqtt_client_pending_len(client->engine);
    mp_obj_t list = mp_obj_new_list(n, NULL);
    mp_obj_list_t *l = MP_OBJ_TO_PTR(list);
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t pid;
        uint32_t deadline;
        if (!umqtt_client_pending_nth(client->engine, i, &pid, &deadline)) {
            break;
        }
        mp_obj_t key = MP_OBJ_NEW_SMALL_INT(pid);
        mp_obj_t value = umqtt_ticks_obj(deadline);
        if (kind == UMQTT_VIEW_KEYS) {
            l->items[count++] = key;
        } else if (kind == UMQTT_VIEW_VALUES) {
            l->items[count++] = value;
        } else {
            mp_obj_t kv[2] = {key, value};
            l->items[count++] = mp_obj_new_tuple(2, kv);
        }
    }
    l->len = count;
    return list;
}

static mp_obj_t umqtt_pending_getiter(mp_obj_t self_in, mp_obj_iter_buf_t *iter_buf) {
    return mp_getiter(umqtt_pending_snapshot(self_in, UMQTT_VIEW_KEYS), iter_buf);
}

static mp_obj_t umqtt_pending_keys(mp_obj_t self_in) {
    return umqtt_pending_snapshot(self_in, UMQTT_VIEW_KEYS);
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_pending_keys_obj, umqtt_pending_keys);

static mp_obj_t umqtt_pending_values(mp_obj_t self_in) {
    return umqtt_pending_snapshot(self_in, UMQTT_VIEW_VALUES);
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_pending_values_obj, umqtt_pending_values);

static mp_obj_t umqtt_pending_items(mp_obj_t self_in) {
    return umqtt_pending_snapshot(self_in, UMQTT_VIEW_ITEMS);
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_pending_items_obj, umqtt_pending_items);

static mp_obj_t umqtt_pending_get(size_t n_args, const mp_obj_t *args) {
    umqtt_client_obj_t *client = umqtt_pending_client(args[0]);
    uint16_t pid;
    uint32_t deadline;
    if (umqtt_pid_key(args[1], &pid) && umqtt_client_pending_get(client->engine, pid, &deadline)) {
        return umqtt_ticks_obj(deadline);
    }
    return n_args > 2 ? args[2] : mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(umqtt_pending_get_obj, 2, 3, umqtt_pending_get);

static mp_obj_t umqtt_pending_pop(size_t n_args, const mp_obj_t *args) {
    umqtt_client_obj_t *client = umqtt_pending_client(args[0]);
    uint16_t pid;
    uint32_t deadline;
    if (umqtt_pid_key(args[1], &pid) && umqtt_client_pending_remove(client->engine, pid, &deadline)) {
        return umqtt_ticks_obj(deadline);
    }
    if (n_args > 2) {
        return args[2];
    }
    mp_raise_type_arg(&mp_type_KeyError, args[1]);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(umqtt_pending_pop_obj, 2, 3, umqtt_pending_pop);

static mp_obj_t umqtt_pending_clear(mp_obj_t self_in) {
    umqtt_client_obj_t *client = umqtt_pending_client(self_in);
    umqtt_client_pending_clear(client->engine);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_pending_clear_obj, umqtt_pending_clear);

static const mp_rom_map_elem_t umqtt_pending_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR_keys), MP_ROM_PTR(&umqtt_pending_keys_obj) },
    { MP_ROM_QSTR(MP_QSTR_values), MP_ROM_PTR(&umqtt_pending_values_obj) },
    { MP_ROM_QSTR(MP_QSTR_items), MP_ROM_PTR(&umqtt_pending_items_obj) },
    { MP_ROM_QSTR(MP_QSTR_get), MP_ROM_PTR(&umqtt_pending_get_obj) },
    { MP_ROM_QSTR(MP_QSTR_pop), MP_ROM_PTR(&umqtt_pending_pop_obj) },
    { MP_ROM_QSTR(MP_QSTR_clear), MP_ROM_PTR(&umqtt_pending_clear_obj) },
};
static MP_DEFINE_CONST_DICT(umqtt_pending_locals_dict, umqtt_pending_locals_dict_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    umqtt_pending_type,
    MP_QSTR_PendingAcks,
    MP_TYPE_FLAG_ITER_IS_GETITER | MP_TYPE_FLAG_EQ_CHECKS_OTHER_TYPE,
    subscr, umqtt_pending_subscr,
    unary_op, umqtt_pending_unary_op,
    binary_op, umqtt_pending_binary_op,
    iter, umqtt_pending_getiter,
    locals_dict, &umqtt_pending_locals_dict
    );

// ---------------------------------------------------------------------------
// The module.

// topic_matches(filter, topic) -> bool: MQTT wildcard matching (+, #, $
// topics) by the core's matcher. ValueError if either is not a valid filter /
// topic name (empty, or a wildcard misplaced).
static mp_obj_t umqtt_topic_matches_fn(mp_obj_t filter_in, mp_obj_t topic_in) {
    bool matched = false;
    umqtt_status st = umqtt_topic_matches(umqtt_bytes_of(filter_in), umqtt_bytes_of(topic_in), &matched);
    if (st != UMQTT_STATUS_OK) {
        mp_raise_ValueError(MP_ERROR_TEXT("invalid MQTT topic"));
    }
    return mp_obj_new_bool(matched);
}
static MP_DEFINE_CONST_FUN_OBJ_2(umqtt_topic_matches_obj, umqtt_topic_matches_fn);

static const mp_rom_map_elem_t umqtt_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__umqtt) },
    { MP_ROM_QSTR(MP_QSTR_Client), MP_ROM_PTR(&umqtt_client_type) },
    { MP_ROM_QSTR(MP_QSTR_MQTTException), MP_ROM_PTR(&mp_type_MQTTException) },
    { MP_ROM_QSTR(MP_QSTR_topic_matches), MP_ROM_PTR(&umqtt_topic_matches_obj) },
    { MP_ROM_QSTR(MP_QSTR_API_SIMPLE2), MP_ROM_INT(UMQTT_API_SIMPLE2) },
    { MP_ROM_QSTR(MP_QSTR_API_MPLIB), MP_ROM_INT(UMQTT_API_MPLIB) },
};
static MP_DEFINE_CONST_DICT(umqtt_module_globals, umqtt_module_globals_table);

const mp_obj_module_t umqtt_native_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&umqtt_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__umqtt, umqtt_native_module);

#endif // MICROPY_PY_UMQTT
