// umqtt-rs: the type Client of `_umqtt`, the native base of every façade.
//
// The native object keeps a reference to the Python instance that owns it
// (the façade subclass) so that attributes user code replaces -- newpid, cb,
// cbstat, socket_timeout... -- are honoured exactly as simple2 reads them.
// Here: construction, _attach and the _read/_write hooks, the blocking calls
// (publish, subscribe, unsubscribe, ping, check_msg, wait_msg...),
// and the argument checks the non-blocking calls (umqtt_client_nb.c) share.

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "py/objstr.h"
#include "py/objtype.h"
#include "umqtt_glue.h"

#if MICROPY_PY_UMQTT

// Default max_packet_size: the largest packet a broker may send us (fixed
// header excluded). A larger one is refused with EPACKETSIZE without
// reading it into memory. A limit, not a buffer (umqtt_buffers.c).
#ifndef UMQTT_DEFAULT_MAX_PACKET
#define UMQTT_DEFAULT_MAX_PACKET (16384)
#endif

// The native client behind `self_in`: the object itself, or the native base
// of a façade instance (an explicit base-class call, MQTTClient.publish(self,
// ...), passes the instance). TypeError for anything else, and for an
// instance whose __init__ did not call super().__init__().
mp_obj_t umqtt_native_client_or_null(mp_obj_t obj) {
    if (umqtt_is_native_client(obj)) {
        return obj;
    }
    // Only a Python instance has a native base to cast to (a native object
    // of another type must not be read as one).
    if (!mp_obj_is_instance_type(mp_obj_get_type(obj))) {
        return MP_OBJ_NULL;
    }
    mp_obj_t native = mp_obj_cast_to_native_base(obj, MP_OBJ_FROM_PTR(&UMQTT_BASE_TYPE));
    return native != MP_OBJ_NULL && umqtt_is_native_client(native) ? native : MP_OBJ_NULL;
}

umqtt_client_obj_t *umqtt_client_of(mp_obj_t self_in) {
    if (umqtt_is_native_client(self_in)) {
        return MP_OBJ_TO_PTR(self_in);  // the usual call: the native base itself
    }
    mp_obj_t native = umqtt_native_client_or_null(self_in);
    if (native == MP_OBJ_NULL) {
        mp_raise_TypeError(MP_ERROR_TEXT("umqtt: not an initialised MQTT client"));
    }
    return MP_OBJ_TO_PTR(native);
}

// The same, for every call that uses the engine, the stream or the
// buffers: while an I/O call of this client runs Python code (a _read or
// _write hook, a duck-typed socket) they are in use, and a call back into
// the client from there raises RuntimeError instead of changing them.
// (One copy for every caller: GCC -Os inlined it nowhere.)
umqtt_client_obj_t *umqtt_idle_client_of(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    if (self->port.busy) {
        mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("umqtt: client called from inside its own socket I/O"));
    }
    return self;
}

umqtt_bytes umqtt_bytes_of(mp_obj_t obj) {
    mp_buffer_info_t bi;
    mp_get_buffer_raise(obj, &bi, MP_BUFFER_READ);
    umqtt_bytes b = {.ptr = bi.buf, .len = bi.len};
    return b;
}

// socket_timeout (or message_timeout) in ms; UMQTT_PORT_FOREVER for None.
int32_t umqtt_timeout_ms(umqtt_client_obj_t *self, bool message) {
    qstr attr = message ? MP_QSTR_message_timeout : MP_QSTR_socket_timeout;
    mp_obj_t t = umqtt_owner_attr(self, attr);
    if (t == mp_const_none) {
        return UMQTT_PORT_FOREVER;
    }
    mp_int_t s;
    if (mp_obj_is_small_int(t)) {  // the usual value (simple2's 5, 10): no float
        s = MP_OBJ_SMALL_INT_VALUE(t);
    } else {
        #if MICROPY_PY_BUILTINS_FLOAT
        mp_float_t ms = mp_obj_get_float(t);
        if (isnan(ms)) {
            // NaN compares false with everything: it would convert to "no limit".
            mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%q must be a number of seconds or None, not NaN"), attr);
        }
        ms *= 1000;
        return ms <= 0 ? 0 : (ms >= 2000000000 ? 2000000000 : (int32_t)ms);
        #else
        s = mp_obj_get_int(t);
        #endif
    }
    return s < 0 ? 0 : (int32_t)(s > 2000000 ? 2000000000 : s * 1000);
}

// simple2 raises ECONNOT when there is no socket (never connected, or disconnected).
void umqtt_require_socket(umqtt_client_obj_t *self) {
    if (self->port.stream == MP_OBJ_NULL) {
        umqtt_raise_api(self, UMQTT_ECONNOT);
    }
}

// A blocking call's last Python code before it borrows the buffers: its
// I/O bound (socket_timeout, which a subclass may compute), then the checks
// that code could undo (a socket still there; with `room`, room in the
// session's tables for the entry it may add). One helper: six callers.
int32_t umqtt_io_timeout(umqtt_client_obj_t *self, bool room) {
    int32_t timeout = umqtt_timeout_ms(self, UMQTT_SOCKET_TIMEOUT);
    umqtt_require_socket(self);
    if (room) {
        umqtt_tables_room(self);
    }
    return timeout;
}

#if !defined(UMQTT_MPLIB)
static  // (one caller without _republish and _nb_*: inlined)
#endif
uint16_t umqtt_pid_of(mp_obj_t pid_in) {
    mp_int_t pid = mp_obj_get_int(pid_in);
    if (pid < 1 || pid > 65535) {
        mp_raise_ValueError(MP_ERROR_TEXT("packet id must be 1..65535"));
    }
    return (uint16_t)pid;
}

static uint16_t umqtt_next_pid(umqtt_client_obj_t *self) {
    mp_obj_t pid_obj = mp_iternext(umqtt_owner_attr(self, MP_QSTR_newpid));
    if (pid_obj == MP_OBJ_STOP_ITERATION) {
        mp_raise_ValueError(MP_ERROR_TEXT("newpid is exhausted"));
    }
    return umqtt_pid_of(pid_obj);
}

void umqtt_raise_props_need_v5(void) {
    mp_raise_ValueError(MP_ERROR_TEXT("properties need MQTT 5 (version=5)"));
}

// ---------------------------------------------------------------------------
// Client(owner, *, ...)
// Simple2(owner, client_id, server, port=0, user=None, password=None,
//        keepalive=0, ssl=False, ssl_params=None, socket_timeout=5,
//        message_timeout=10, *, max_packet_size=16384, max_qos=1,
//        api=API_SIMPLE2, props_dict=False)
// (max_qos with UMQTT_MAX_QOS_ARG.)
// max_packet_size is the largest incoming packet accepted, not a buffer
// (umqtt_buffers.c). Simple2 and Simple take these arguments after owner and
// keep the façade's attributes themselves (umqtt_simple2.c); Client none.
// Client, Simple, api and props_dict come with UMQTT_MPLIB.

#if defined(UMQTT_MPLIB)
#define UMQTT_ARG_SETTING_REQUIRED 0  // Client takes none
#else
#define UMQTT_ARG_SETTING_REQUIRED MP_ARG_REQUIRED
#endif

mp_obj_t umqtt_client_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *all_args) {
    enum { ARG_owner, ARG_client_id, ARG_server, ARG_max_packet_size = ARG_client_id + UMQTT_SETTING_ARGS,
           ARG_max_qos, ARG_api, ARG_props_dict };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_owner, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        // In umqtt_simple2.c's order; MP_OBJ_NULL: not given.
        { MP_QSTR_client_id, UMQTT_ARG_SETTING_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_PTR(NULL)} },
        { MP_QSTR_server, UMQTT_ARG_SETTING_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_PTR(NULL)} },
        { MP_QSTR_port, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_INT(0)} },
        { MP_QSTR_user, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_password, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_keepalive, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_INT(0)} },
        { MP_QSTR_ssl, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_FALSE} },
        { MP_QSTR_ssl_params, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_socket_timeout, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_INT(5)} },
        { MP_QSTR_message_timeout, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_INT(10)} },
        { MP_QSTR_max_packet_size, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = UMQTT_DEFAULT_MAX_PACKET} },
        #if UMQTT_MAX_QOS_ARG
        { MP_QSTR_max_qos, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 1} },
        #endif
        #if defined(UMQTT_MPLIB)
        { MP_QSTR_api, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = UMQTT_API_SIMPLE2} },
        { MP_QSTR_props_dict, MP_ARG_KW_ONLY | MP_ARG_BOOL, {.u_bool = false} },
        #endif
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all_kw_array(n_args, n_kw, all_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    mp_int_t max_packet = args[ARG_max_packet_size].u_int;
    #if UMQTT_MAX_QOS_ARG
    mp_int_t max_qos = args[ARG_max_qos].u_int;
    #else
    const mp_int_t max_qos = 1;
    #endif
    #if defined(UMQTT_MPLIB)
    const umqtt_conventions_t *conv = umqtt_conv_of(args[ARG_api].u_int, args[ARG_props_dict].u_bool);
    bool unknown_api = conv == NULL;
    #else
    const bool unknown_api = false;
    #endif
    if (max_packet < 16 || max_packet > 268435455 || max_qos < 0 || max_qos > UMQTT_MAX_QOS || unknown_api) {
        mp_raise_ValueError(MP_ERROR_TEXT("invalid max_packet_size, max_qos or api"));
    }
    #if defined(UMQTT_MPLIB)
    if ((args[ARG_client_id].u_obj == MP_OBJ_NULL) != (type == &umqtt_client_type)
        || (args[ARG_client_id].u_obj != MP_OBJ_NULL && args[ARG_server].u_obj == MP_OBJ_NULL)) {
        mp_raise_TypeError(MP_ERROR_TEXT("Simple2(owner, client_id, server, ...), Client(owner, *, ...)"));
    }
    #endif

    // No finaliser: nothing is left to release when the client goes (the
    // socket has its own, every block is the GC's).
    // Every field starts zero (MP_OBJ_NULL, NULL, false) unless set below
    // (m_new0: not cleared twice where the GC clears every block).
    umqtt_client_obj_t *self = m_new0(umqtt_client_obj_t, 1);
    self->base.type = type;
    self->owner = args[ARG_owner].u_obj == mp_const_none ? MP_OBJ_FROM_PTR(self) : args[ARG_owner].u_obj;
    #if defined(UMQTT_MPLIB)
    self->conv = conv;
    #endif
    umqtt_buffers_init(self);
    self->max_packet = (uint32_t)max_packet;
    self->max_qos = (uint8_t)max_qos;
    self->version = 4;
    size_t engine_size = umqtt_client_size();
    self->engine = (umqtt_client *)m_new(uint8_t, engine_size);
    umqtt_check(self, umqtt_client_init(self->engine, engine_size, max_packet), 0);

    self->pending_view = umqtt_pending_new(self);
    if (args[ARG_client_id].u_obj != MP_OBJ_NULL) {  // (always, without Client)
        umqtt_settings_init(self, &args[ARG_client_id]);
    }
    return MP_OBJ_FROM_PTR(self);
}

static const mp_obj_fun_builtin_var_t client_read_obj;
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
    if (umqtt_native_client_or_null(sock) != MP_OBJ_NULL) {
        mp_raise_ValueError(MP_ERROR_TEXT("umqtt: an MQTT client cannot be a client's socket"));
    }
    // Not mp_get_stream(): a plain Python class has no protocol slot at all.
    // (the type once: the macro names it three times)
    const mp_obj_type_t *type = mp_obj_get_type(sock);
    const mp_stream_p_t *proto = MP_OBJ_TYPE_GET_SLOT_OR_NULL(type, protocol);
    self->port.native = proto != NULL && proto->read != NULL && proto->write != NULL;
    if (!self->port.native) {
        // Duck-typed: needs read(n) and write(buf); AttributeError otherwise.
        mp_load_attr(sock, MP_QSTR_read);
        mp_load_attr(sock, MP_QSTR_write);
        // A Python-level stream waits through a select.poll object; one that
        // cannot be polled (duck-typed test sockets) counts as always ready.
        // A native stream is waited for without one (umqtt_port.c). The
        // poller stays MP_OBJ_NULL (set above) unless one is made.
        nlr_buf_t nlr;
        if (nlr_push(&nlr) == 0) {
            mp_obj_t select = mp_import_name(MP_QSTR_select, mp_const_none, MP_OBJ_NEW_SMALL_INT(0));
            mp_obj_t poller = umqtt_call_method(select, MP_QSTR_poll, 0, NULL);
            mp_obj_t args[2] = {sock, MP_OBJ_NEW_SMALL_INT(MP_STREAM_POLL_RD)};
            umqtt_call_method(poller, MP_QSTR_register, 2, args);
            self->port.poller = poller;
            nlr_pop();
        }
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

// _read(n): exactly n bytes from the socket within socket_timeout (simple2's
// hook). _write(buf, length=-1): all of buf (or its first length bytes);
// returns the count. One body for both (args as passed): all the bytes
// within socket_timeout, on the socket itself, never through the hooks that
// call them.
static mp_obj_t umqtt_raw_call(size_t n_args, const mp_obj_t *args, bool write) {
    umqtt_client_obj_t *self = umqtt_client_of(args[0]);
    mp_int_t length = -1;  // _read's n, _write's length
    if (!write) {
        length = mp_obj_get_int(args[1]);
        if (length < 0) {
            umqtt_raise_code(UMQTT_EREADLEN);
        }
    }
    umqtt_require_socket(self);
    mp_buffer_info_t bufinfo;
    vstr_t vstr;
    if (write) {
        vstr.buf = NULL;  // (not used)
        mp_get_buffer_raise(args[1], &bufinfo, MP_BUFFER_READ);
        if (n_args > 2) {
            length = mp_obj_get_int(args[2]);
        }
    } else {
        vstr_init_len(&vstr, length);
    }
    // socket_timeout may be a property (Python code): read before borrowing buf.
    int32_t timeout = umqtt_timeout_ms(self, UMQTT_SOCKET_TIMEOUT);
    bufinfo.buf = vstr.buf;  // (_write's: borrowed below)
    bufinfo.len = length;
    if (write) {
        mp_get_buffer_raise(args[1], &bufinfo, MP_BUFFER_READ);
        if (length >= 0 && (size_t)length < bufinfo.len) {
            bufinfo.len = length;
        }
    }
    umqtt_port_t raw = self->port;
    raw.hooks = MP_OBJ_NULL;
    umqtt_status st = umqtt_stream_io(&raw, bufinfo.buf, bufinfo.len, timeout, write);
    self->port.exc = raw.exc;
    self->port.os_error = raw.os_error;
    umqtt_check(self, st, 0);
    return write ? MP_OBJ_NEW_SMALL_INT(bufinfo.len) : mp_obj_new_bytes_from_vstr(&vstr);
}

static mp_obj_t client_read(size_t n_args, const mp_obj_t *args) {
    return umqtt_raw_call(n_args, args, false);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(client_read_obj, 2, 2, client_read);

static mp_obj_t client_write(size_t n_args, const mp_obj_t *args) {
    return umqtt_raw_call(n_args, args, true);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(client_write_obj, 2, 3, client_write);

// _sock(): the attached socket or None.
static mp_obj_t client_sock(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    return self->port.stream == MP_OBJ_NULL ? mp_const_none : self->port.stream;
}
static MP_DEFINE_CONST_FUN_OBJ_1(client_sock_obj, client_sock);

void umqtt_check_qos(umqtt_client_obj_t *self, mp_int_t qos) {
    if (qos < 0 || qos > self->max_qos) {
        // simple2 asserts qos in (0, 1): programs and tests rely on AssertionError.
        umqtt_raise_assert(MP_ERROR_TEXT("unsupported qos"));
    }
}

// A str or bytes: an object whose bytes never change. (One copy of
// MicroPython's type test for both callers.)
static MP_NOINLINE bool umqtt_is_str_or_bytes(mp_obj_t obj) {
    return mp_obj_is_str_or_bytes(obj);
}

// The payload to borrow for a publish. A PUBLISH larger than the transmit
// buffer sends its payload from where it lies after writing its header; if
// the stream runs Python code (a _read/_write hook, a duck-typed socket),
// that code could resize a bytearray payload in between. Then a mutable
// payload is copied first: the engine only ever reads bytes nobody can
// change while it uses them. Native sockets run no Python code: no copy.
static mp_obj_t umqtt_stable_payload(umqtt_client_obj_t *self, mp_obj_t msg) {
    bool python_io = self->port.hooks != MP_OBJ_NULL || !self->port.native;
    if (!python_io || umqtt_is_str_or_bytes(msg)) {
        return msg;
    }
    vstr_t copy;
    vstr_init_len(&copy, umqtt_bytes_of(msg).len);
    // The allocation may have run finalisers (Python code that could resize
    // the payload): its bytes are borrowed after it, and at most what fits.
    umqtt_bytes b = umqtt_bytes_of(msg);
    copy.len = b.len < copy.len ? b.len : copy.len;
    memcpy(copy.buf, b.ptr, copy.len);
    return mp_obj_new_bytes_from_vstr(&copy);
}

// The PUBLISH of publish()/_republish() (raises for its status), or
// (`queued`, io_timeout UMQTT_QUEUE) the one _nb_publish() queues (its
// status returned, *limit the detail of a BROKER_LIMIT refusal). The
// message gets room in the transmit buffer: up to the payload, or (queued)
// with it. The topic is not checked again if it is the very object an
// earlier publish() sent (client_publish).
#if !defined(UMQTT_MPLIB)
static  // (one caller: inlined)
#endif
umqtt_status umqtt_publish_message(umqtt_client_obj_t *self, mp_obj_t topic, mp_obj_t msg, mp_int_t qos,
    bool retain, bool dup, uint16_t pid, mp_obj_t props, bool queued, int32_t ack_timeout, int32_t io_timeout,
    uint8_t *limit) {
    umqtt_require_v5(self, props);
    msg = umqtt_stable_payload(self, msg);
    umqtt_message m;
    // Field by field: a struct literal would clear the whole struct first.
    m.qos = (uint8_t)qos;
    m.retain = retain;
    m.dup = dup;
    m.pid = pid;
    m.topic_checked = topic == self->topic_ok;
    // A user property's iterable may run Python code: before borrowing.
    m.properties = props == mp_const_none ? (umqtt_bytes) {.ptr = NULL, .len = 0}
        : umqtt_props_build(props, UMQTT_PROPS_CONTEXT_PUBLISH, 0, 0);
    m.topic = umqtt_bytes_of(topic);
    m.msg = umqtt_bytes_of(msg);
    if (umqtt_tx_reserve(self, m.topic.len + m.properties.len + 16 + (queued ? m.msg.len : 0), queued)) {
        m.topic = umqtt_bytes_of(topic);  // the allocation may have run finalisers
        m.msg = umqtt_bytes_of(msg);
    }
    *limit = 0;
    #if !defined(UMQTT_NONBLOCKING)
    queued = false;  // (no _nb_publish: the compiler drops its branches)
    #endif
    // One call: sent (with the stack lent), or queued (io_timeout UMQTT_QUEUE).
    UMQTT_LEND_STACK(self->io, !queued);
    umqtt_status st = umqtt_client_publish(self->engine, &self->io, &m, ack_timeout, io_timeout, limit);
    UMQTT_RETURN_STACK(self->io);
    if (queued) {
        return st;
    }
    umqtt_tx_release(self);
    umqtt_check(self, st, *limit);
    return st;
}

static mp_obj_t client_receive_one(umqtt_client_obj_t *self, int32_t first_byte_timeout);

// A QoS > 0 publish, a subscribe or an unsubscribe takes a slot of the
// in-flight table. While every slot awaits an ack (a burst of publishes
// before any check_msg()), handle incoming packets as check_msg() does --
// callbacks run, acks and expired pids free slots -- for at most
// socket_timeout, then MQTTException(EINFLIGHT).
static void umqtt_make_room(umqtt_client_obj_t *self) {
    size_t capacity = UMQTT_PENDING_CAPACITY;
    if (umqtt_client_pending_len(self->engine) < capacity) {
        return;
    }
    int32_t timeout = umqtt_timeout_ms(self, UMQTT_SOCKET_TIMEOUT);
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

// A publish, subscribe or unsubscribe that waits for its ack: room in the
// in-flight table, then its pid from newpid, then (*ack_timeout)
// message_timeout -- the Python code it runs, in this order.
static uint16_t umqtt_acked_request_pid(umqtt_client_obj_t *self, int32_t *ack_timeout) {
    umqtt_make_room(self);
    uint16_t pid = umqtt_next_pid(self);
    *ack_timeout = umqtt_timeout_ms(self, UMQTT_MESSAGE_TIMEOUT);
    return pid;
}

// publish(topic, msg, retain=False, qos=0, dup=False, properties=None)
// -> pid for QoS > 0, else None (properties: with UMQTT_V5_ARGS, as for
// subscribe and unsubscribe). MQTT 5: properties is a dict (see above);
// with a Topic Alias (0x23) in it, an empty topic sends the alias alone.
// (set_last_will(topic, msg, retain=False, qos=0) takes the first four)
const mp_arg_t umqtt_publish_args[UMQTT_PUBLISH_ARGS] = {
    { MP_QSTR_topic, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    { MP_QSTR_msg, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    { MP_QSTR_retain, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_FALSE} },
    { MP_QSTR_qos, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_INT(0)} },
    { MP_QSTR_dup, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_FALSE} },
    #if UMQTT_V5_ARGS
    { MP_QSTR_properties, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    #endif
};

static mp_obj_t client_publish(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_topic, ARG_msg, ARG_retain, ARG_qos, ARG_dup, ARG_properties };
    umqtt_client_obj_t *self = umqtt_idle_client_of(pos_args[0]);
    // publish(topic, msg), the common call: the defaults without parsing.
    mp_obj_t topic = pos_args[1], msg = pos_args[2], props = mp_const_none;
    mp_int_t qos = 0;
    bool retain = false, dup = false;
    if (n_args != 3 || kw_args->used != 0) {
        mp_arg_val_t args[UMQTT_PUBLISH_ARGS];
        mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, UMQTT_PUBLISH_ARGS, umqtt_publish_args, args);
        topic = args[ARG_topic].u_obj, msg = args[ARG_msg].u_obj;
        #if UMQTT_V5_ARGS
        props = args[ARG_properties].u_obj;
        #endif
        qos = mp_obj_get_int(args[ARG_qos].u_obj);
        retain = mp_obj_is_true(args[ARG_retain].u_obj), dup = mp_obj_is_true(args[ARG_dup].u_obj);
    }
    umqtt_check_qos(self, qos);
    umqtt_require_socket(self);
    // Python code (callbacks while waiting for room, newpid, timeouts a
    // subclass computes) runs before any buffer is borrowed.
    uint16_t pid = 0;
    int32_t ack_timeout = 0;
    if (qos > 0) {
        pid = umqtt_acked_request_pid(self, &ack_timeout);
    }
    int32_t io_timeout = umqtt_io_timeout(self, qos > 0);
    uint8_t limit;
    umqtt_publish_message(self, topic, msg, qos, retain, dup, pid, props, false, ack_timeout, io_timeout, &limit);
    // A bytes or str topic the engine accepted is kept: such an object never
    // changes (unlike a bytearray, a memoryview or a subclass), so the same
    // object next time is the same valid topic (umqtt_publish_message); keeping
    // it stops another object from taking its address meanwhile.
    if (topic != self->topic_ok && umqtt_is_str_or_bytes(topic)) {
        self->topic_ok = topic;
    }
    return qos > 0 ? MP_OBJ_NEW_SMALL_INT(pid) : mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(client_publish_obj, 3, client_publish);

#if defined(UMQTT_MPLIB)
// _republish(topic, msg, retain, qos, pid, properties=None): sends a QoS 1/2 publish again with
// DUP set and the same pid (after a reconnect on a resumed session). The
// engine renews the pid's deadline if it is in flight at that QoS, sends
// nothing for a QoS 2 publish that already got its PUBREC, and raises
// ValueError if the pid is in flight for anything else.
// With `queued`, _nb_publish(topic, msg, retain, qos, dup, pid,
// properties=None) (umqtt_client_nb.c) instead: one body for both.
mp_obj_t umqtt_publish_with_pid(size_t n_args, const mp_obj_t *args, bool queued) {
    #if !defined(UMQTT_NONBLOCKING)
    queued = false;  // (no _nb_publish: the compiler drops its branches)
    #endif
    umqtt_client_obj_t *self = umqtt_idle_client_of(args[0]);
    mp_int_t qos = mp_obj_get_int(args[4]);
    umqtt_check_qos(self, qos);
    const mp_obj_t *pid_and_props = args + 5 + queued;  // (_nb_publish has dup before them)
    mp_obj_t props = n_args > 6u + queued ? pid_and_props[1] : mp_const_none;
    int32_t ack_timeout = UMQTT_PORT_FOREVER, io_timeout = 0;
    uint16_t pid;
    if (queued) {
        #if defined(UMQTT_NONBLOCKING)
        io_timeout = UMQTT_QUEUE;
        #endif
        umqtt_require_socket(self);
        // (QoS 0 has no pid, but the argument must still be an int)
        pid = qos > 0 ? umqtt_pid_of(pid_and_props[0]) : (mp_obj_get_int(pid_and_props[0]), 0);
        umqtt_tables_room(self);
    } else {
        if (qos == 0) {
            mp_raise_ValueError(MP_ERROR_TEXT("qos 0 has no pid"));
        }
        pid = umqtt_pid_of(pid_and_props[0]);
        ack_timeout = umqtt_timeout_ms(self, UMQTT_MESSAGE_TIMEOUT);
        io_timeout = umqtt_io_timeout(self, true);
    }
    bool dup = !queued || mp_obj_is_true(args[5]);
    uint8_t limit;
    umqtt_status st = umqtt_publish_message(self, args[1], args[2], qos, mp_obj_is_true(args[3]), dup,
        pid, props, queued, ack_timeout, io_timeout, &limit);
    #if defined(UMQTT_NONBLOCKING)
    if (queued) {
        return umqtt_nb_queued(self, st, limit);
    }
    #else
    (void)st;
    #endif
    return mp_const_none;
}

static mp_obj_t client_republish(size_t n_args, const mp_obj_t *args) {
    return umqtt_publish_with_pid(n_args, args, false);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(client_republish_obj, 6, 7, client_republish);
#endif

// A SUBSCRIBE's options byte: the QoS (bits 0-1) within the façade's limit;
// MQTT 5 adds No Local (0x04), Retain As Published (0x08), Retain Handling
// (<< 4). Without UMQTT_V5_ARGS (simple2 only, no MQTT 5) it is simple2's
// qos: AssertionError outside 0..1.
static void umqtt_check_sub_options(umqtt_client_obj_t *self, mp_int_t options) {
    #if UMQTT_V5_ARGS
    if (options < 0) {
        umqtt_check_qos(self, options);  // a negative QoS: simple2's AssertionError
    }
    if (options > 3 && !UMQTT_IS_V5(self)) {
        mp_raise_ValueError(MP_ERROR_TEXT("subscription options need MQTT 5 (version=5)"));
    }
    if (options > 0x3f) {
        mp_raise_ValueError(MP_ERROR_TEXT("subscription options must be at most 0x3f"));
    }
    options &= 3;
    #endif
    umqtt_check_qos(self, options);
}

#if defined(UMQTT_NONBLOCKING)
mp_obj_t umqtt_nb_queued(umqtt_client_obj_t *self, umqtt_status st, uint8_t limit) {
    if (st == UMQTT_STATUS_WOULD_BLOCK) {
        return mp_const_false;
    }
    umqtt_check(self, st, limit);
    return mp_const_true;
}
#endif

// A SUBSCRIBE of `options`, or (options UMQTT_UNSUBSCRIBE) an
// UNSUBSCRIBE, of `topic`. subscribe()/unsubscribe() (pid_in MP_OBJ_NULL):
// sent, the pid from newpid returned, the ack reported by check_msg;
// _nb_subscribe()/_nb_unsubscribe() (their pid_in): queued, True, or
// False if the queue has no room now. The Python code a request runs
// (waiting for room, newpid, timeouts a subclass computes, properties from
// iterables) comes first, as the glue's rule asks, then the topic is
// borrowed for the engine.
static mp_obj_t umqtt_request(umqtt_client_obj_t *self, mp_obj_t topic, mp_obj_t props, uint8_t options, mp_obj_t pid_in) {
    bool unsubscribe = options == UMQTT_UNSUBSCRIBE;
    #if defined(UMQTT_NONBLOCKING)
    bool queued = pid_in != MP_OBJ_NULL;
    #else
    const bool queued = false;
    (void)pid_in;
    #endif
    umqtt_require_socket(self);
    uint16_t pid;
    int32_t ack_timeout = UMQTT_PORT_FOREVER, io_timeout = 0;
    if (queued) {
        umqtt_require_v5(self, props);
        umqtt_tables_room(self);
        umqtt_bytes_of(topic);  // (a TypeError for the topic before one for the pid)
        pid = umqtt_pid_of(pid_in);
        #if defined(UMQTT_NONBLOCKING)
        io_timeout = UMQTT_QUEUE;  // (the one call below queues it)
        #endif
    } else {
        pid = umqtt_acked_request_pid(self, &ack_timeout);
        io_timeout = umqtt_io_timeout(self, true);
    }
    umqtt_bytes t = umqtt_bytes_of(topic);
    umqtt_bytes block = umqtt_props_build(props,
        unsubscribe ? UMQTT_PROPS_CONTEXT_UNSUBSCRIBE : UMQTT_PROPS_CONTEXT_SUBSCRIBE, 0, 0);
    #if defined(UMQTT_MQTT5) // (without, umqtt_props_build allocates nothing)
    if (props != mp_const_none) {
        t = umqtt_bytes_of(topic);  // borrowed again: see umqtt_publish_message
    }
    #endif
    if (umqtt_tx_reserve(self, t.len + block.len + 16, queued)) {
        t = umqtt_bytes_of(topic);
    }
    uint8_t limit = 0;
    umqtt_status st = umqtt_client_subscribe(self->engine, &self->io, t, options, block, pid, ack_timeout, io_timeout,
        &limit);
    #if defined(UMQTT_NONBLOCKING)
    if (queued) {
        return umqtt_nb_queued(self, st, limit);
    }
    #endif
    umqtt_tx_release(self);
    umqtt_check(self, st, limit);  // (a BROKER_LIMIT's detail: SUBSCRIBE's and UNSUBSCRIBE's)
    return MP_OBJ_NEW_SMALL_INT(pid);
}

// subscribe(topic, qos=0, properties=None) -> pid; the SUBACK is reported
// by check_msg. MQTT 5: bits 2-5 of qos are the subscription options (No
// Local 0x04, Retain As Published 0x08, Retain Handling << 4).
// unsubscribe(topic, properties=None) -> pid; the UNSUBACK is reported by
// check_msg (0xB0).
// With `queued`, _nb_subscribe(topic, qos, pid, properties=None) and
// _nb_unsubscribe(topic, pid, properties=None) (umqtt_client_nb.c): one
// body for the four, their arguments as passed.
#if !defined(UMQTT_NONBLOCKING)
static
#endif
mp_obj_t umqtt_subscription(size_t n_args, const mp_obj_t *args, bool queued, bool unsubscribe) {
    #if !defined(UMQTT_NONBLOCKING)
    queued = false;  // (no _nb_*: the compiler drops their branches)
    #endif
    umqtt_client_obj_t *self = umqtt_idle_client_of(args[0]);
    size_t next = 2;  // the argument after topic (and qos)
    mp_int_t options = UMQTT_UNSUBSCRIBE;
    if (!unsubscribe) {
        options = n_args > 2 ? mp_obj_get_int(args[2]) : 0;
        next = 3;
    }
    mp_obj_t pid_in = queued ? args[next++] : MP_OBJ_NULL;
    mp_obj_t props = (UMQTT_V5_ARGS || queued) && n_args > next ? args[next] : mp_const_none;
    if (!unsubscribe) {
        umqtt_check_sub_options(self, options);
    }
    if (!queued) {  // (umqtt_request checks a queued one's properties)
        umqtt_require_v5(self, props);
        if (!unsubscribe && umqtt_owner_attr(self, MP_QSTR_cb) == mp_const_none) {
            // simple2: "Subscribe callback is not set"
            umqtt_raise_assert(MP_ERROR_TEXT("Subscribe callback is not set"));
        }
    }
    return umqtt_request(self, args[1], props, (uint8_t)options, pid_in);
}

static mp_obj_t client_subscribe(size_t n_args, const mp_obj_t *args) {
    return umqtt_subscription(n_args, args, false, false);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(client_subscribe_obj, 2, 3 + UMQTT_V5_ARGS, client_subscribe);

static mp_obj_t client_unsubscribe(size_t n_args, const mp_obj_t *args) {
    return umqtt_subscription(n_args, args, false, true);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(client_unsubscribe_obj, 2, 2 + UMQTT_V5_ARGS, client_unsubscribe);

// ping(): PINGREQ; the PINGRESP is consumed by check_msg (which returns None).
static mp_obj_t client_ping(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    int32_t io_timeout = umqtt_io_timeout(self, false);
    umqtt_check_io(self, umqtt_client_control(self->engine, &self->io, false, 0, (umqtt_bytes){NULL, 0}, io_timeout));
    umqtt_owner_store(self, MP_QSTR_last_ping, umqtt_ticks_obj(umqtt_port_ticks_ms()));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(client_ping_obj, client_ping);

// _send_disconnect(reason=0, properties=None): DISCONNECT, best effort
// (errors are swallowed, as in simple2). MQTT 5: with a reason code (0x04:
// publish the will) and properties (e.g. 0x11 Session Expiry Interval).
mp_obj_t umqtt_send_disconnect(size_t n_args, const mp_obj_t *args) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(args[0]);
    mp_int_t reason = UMQTT_V5_ARGS && n_args > 1 ? mp_obj_get_int(args[1]) : 0;
    mp_obj_t props = UMQTT_V5_ARGS && n_args > 2 ? args[2] : mp_const_none;
    umqtt_require_v5(self, props);
    // (in this order, a firmware without MQTT 5 has only the first)
    if (reason != 0 && !UMQTT_IS_V5(self)) {
        mp_raise_ValueError(MP_ERROR_TEXT("a DISCONNECT reason code needs MQTT 5 (version=5)"));
    }
    if (reason < 0 || reason > 255) {
        mp_raise_ValueError(MP_ERROR_TEXT("a DISCONNECT reason code is 0..255"));
    }
    int32_t io_timeout = umqtt_timeout_ms(self, UMQTT_SOCKET_TIMEOUT);
    umqtt_bytes block = umqtt_props_build(props, UMQTT_PROPS_CONTEXT_DISCONNECT, 0, 0);
    #if defined(UMQTT_MQTT5) // (without, DISCONNECT's 2 bytes fit the inline buffer)
    umqtt_tx_reserve(self, block.len + 16, false);
    #endif
    if (self->port.stream != MP_OBJ_NULL) {
        umqtt_status st = umqtt_client_control(self->engine, &self->io, true, (uint8_t)reason, block, io_timeout);
        umqtt_tx_release(self);
        if (st == UMQTT_STATUS_INVALID_ARGUMENT || st == UMQTT_STATUS_INVALID_PROPERTY) {
            umqtt_raise_status(self, st, 0);  // a bad reason code or property: the caller's error
        }
        if (st != UMQTT_STATUS_OK) {
            self->port.exc = MP_OBJ_NULL;
        }
    }
    return mp_const_none;
}
#if defined(UMQTT_MPLIB)
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(client_send_disconnect_obj, 1, 3, umqtt_send_disconnect);
#endif

// One incoming packet, handled as the façade's check_msg does (see
// umqtt_dispatch). first_byte_timeout: how long to wait for a packet to start
// (1 ms for check_msg); once one has started, the rest must arrive within
// socket_timeout. A message's ack, once its callback returned, goes out by
// the same call (UMQTT_ACCEPT) within socket_timeout, before this returns.
static mp_obj_t client_receive_one(umqtt_client_obj_t *self, int32_t first_byte_timeout) {
    umqtt_report_expired(self);
    int32_t io_timeout = umqtt_io_timeout(self, true);
    umqtt_event ev;
    mp_obj_t result = mp_const_none;
    for (;;) {  // again with a larger buffer after NEED_BUFFER, then the ack (one call site)
        umqtt_status st = umqtt_client_receive(self->engine, &self->io, first_byte_timeout, io_timeout, &ev);
        if (st == UMQTT_STATUS_NEED_BUFFER) {
            umqtt_rx_grow(self);
            continue;
        }
        umqtt_check_io(self, st);
        if (first_byte_timeout == UMQTT_ACCEPT) {
            return result;  // the ack is out
        }
        if (ev.kind == UMQTT_EVENT_KIND_NONE) {
            umqtt_report_expired(self);
            return mp_const_none;
        }
        umqtt_body_t body = umqtt_rx_take(self);
        umqtt_mark_received(self, false);
        result = umqtt_dispatch(self, &ev, &body, UMQTT_RECEIVE_CONV(self));
        if (ev.kind != UMQTT_EVENT_KIND_MESSAGE || ev.qos == 0) {
            return result;  // nothing owed
        }
        #if UMQTT_QOS2 || defined(UMQTT_NONBLOCKING)
        umqtt_tables_room(self);  // the ack waits in the session's queue first
        #endif
        first_byte_timeout = UMQTT_ACCEPT;
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

// _receive(timeout_ms): like check_msg, but waits up to timeout_ms for a packet
// to begin (None: forever). The façades' bounded waits for an ack use it
// (with UMQTT_MPLIB); wait_msg() is _receive(None).
static mp_obj_t client_receive(mp_obj_t self_in, mp_obj_t timeout_in) {
    int32_t timeout = UMQTT_PORT_FOREVER;
    if (timeout_in != mp_const_none) {
        mp_int_t ms = mp_obj_get_int(timeout_in);
        timeout = ms < 0 ? 0 : (ms > 2000000000 ? 2000000000 : (int32_t)ms);
    }
    return client_receive_one(umqtt_idle_client_of(self_in), timeout);
}
#if defined(UMQTT_MPLIB)
static MP_DEFINE_CONST_FUN_OBJ_2(client_receive_obj, client_receive);
#endif

// wait_msg(): wait (forever) for a packet, then handle it like check_msg.
static mp_obj_t client_wait_msg(mp_obj_t self_in) {
    return client_receive(self_in, mp_const_none);
}
static MP_DEFINE_CONST_FUN_OBJ_1(client_wait_msg_obj, client_wait_msg);

#if defined(UMQTT_KEEPALIVE)
// _keepalive_set(ping_every_ms, dead_after_ms): the façade's keep-alive numbers
// (0 turns either off); the engine keeps the timestamps (every packet
// received, every PINGREQ sent) and counts from each connect.
static mp_obj_t client_keepalive(mp_obj_t self_in, mp_obj_t ping_in, mp_obj_t dead_in) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    mp_int_t ping = mp_obj_get_int(ping_in);
    mp_int_t dead = mp_obj_get_int(dead_in);
    if (ping < 0 || dead < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("keep-alive intervals must be >= 0 ms"));
    }
    umqtt_client_set_keepalive(self->engine, (uint32_t)ping, (uint32_t)dead);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(client_keepalive_obj, client_keepalive);

// _keepalive_due(check_dead=True) -> None: keep-alive is off; > 0: nothing
// due for that many ms; 0: send a PINGREQ now; -1: nothing came from the
// broker for the dead-after time (only with check_dead: a caller that is
// not reading has no evidence against the broker).
static mp_obj_t client_keepalive_due(size_t n_args, const mp_obj_t *args) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(args[0]);
    bool check_dead = n_args < 2 || mp_obj_is_true(args[1]);
    int32_t wait_ms = UMQTT_PORT_FOREVER;
    switch (umqtt_client_poll_keepalive(self->engine, check_dead, &wait_ms)) {
        case UMQTT_KEEPALIVE_PING:
            return MP_OBJ_NEW_SMALL_INT(0);
        case UMQTT_KEEPALIVE_DEAD:
            return MP_OBJ_NEW_SMALL_INT(-1);
        default:
            return wait_ms == UMQTT_PORT_FOREVER ? mp_const_none : MP_OBJ_NEW_SMALL_INT(wait_ms < 1 ? 1 : wait_ms);
    }
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(client_keepalive_due_obj, 1, 2, client_keepalive_due);
#endif

// Client's methods; Simple2's table holds them too (a lookup through a
// façade instance then stops at Simple2 instead of walking on to Client,
// and Simple2 is complete without Client): Client's dict is the start of
// Simple2's table, not a copy of it.
#define UMQTT_CLIENT_METHODS \
    { MP_ROM_QSTR(MP_QSTR_publish), MP_ROM_PTR(&client_publish_obj) }, \
    { MP_ROM_QSTR(MP_QSTR_subscribe), MP_ROM_PTR(&client_subscribe_obj) }, \
    { MP_ROM_QSTR(MP_QSTR_unsubscribe), MP_ROM_PTR(&client_unsubscribe_obj) }, \
    { MP_ROM_QSTR(MP_QSTR_ping), MP_ROM_PTR(&client_ping_obj) }, \
    { MP_ROM_QSTR(MP_QSTR_check_msg), MP_ROM_PTR(&client_check_msg_obj) }, \
    { MP_ROM_QSTR(MP_QSTR_wait_msg), MP_ROM_PTR(&client_wait_msg_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__attach), MP_ROM_PTR(&client_attach_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__read), MP_ROM_PTR(&client_read_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__write), MP_ROM_PTR(&client_write_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__sock), MP_ROM_PTR(&client_sock_obj) }, \
    UMQTT_WITH_CONNECT_METHOD({ MP_ROM_QSTR(MP_QSTR__connect), MP_ROM_PTR(&umqtt_connect_obj) }, ) \
    UMQTT_WITH_MPLIB( \
    { MP_ROM_QSTR(MP_QSTR__send_disconnect), MP_ROM_PTR(&client_send_disconnect_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__clear_pending), MP_ROM_PTR(&umqtt_clear_pending_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__republish), MP_ROM_PTR(&client_republish_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__receive), MP_ROM_PTR(&client_receive_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__pending), MP_ROM_PTR(&umqtt_pending_view_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__take_pid), MP_ROM_PTR(&umqtt_take_pid_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__pids), MP_ROM_PTR(&umqtt_pids_obj) }, ) \
    UMQTT_WITH_KEEPALIVE( \
    { MP_ROM_QSTR(MP_QSTR__keepalive_set), MP_ROM_PTR(&client_keepalive_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__keepalive_due), MP_ROM_PTR(&client_keepalive_due_obj) }, )
#if defined(UMQTT_NONBLOCKING)
#define UMQTT_CLIENT_NB_METHODS \
    { MP_ROM_QSTR(MP_QSTR__nb_connect), MP_ROM_PTR(&umqtt_nb_connect_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__nb_connack), MP_ROM_PTR(&umqtt_nb_connack_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__nb_flush), MP_ROM_PTR(&umqtt_nb_flush_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__nb_pending), MP_ROM_PTR(&umqtt_nb_pending_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__nb_publish), MP_ROM_PTR(&umqtt_nb_publish_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__nb_subscribe), MP_ROM_PTR(&umqtt_nb_subscribe_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__nb_unsubscribe), MP_ROM_PTR(&umqtt_nb_unsubscribe_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__nb_ping), MP_ROM_PTR(&umqtt_nb_ping_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__nb_disconnect), MP_ROM_PTR(&umqtt_nb_disconnect_obj) }, \
    { MP_ROM_QSTR(MP_QSTR__nb_receive), MP_ROM_PTR(&umqtt_nb_receive_obj) },
#else
#define UMQTT_CLIENT_NB_METHODS
#endif
static const mp_rom_map_elem_t umqtt_simple2_locals_dict_table[] = {
    UMQTT_CLIENT_METHODS
    UMQTT_CLIENT_NB_METHODS
    UMQTT_SIMPLE2_METHODS
};
MP_DEFINE_CONST_DICT(umqtt_simple2_locals_dict, umqtt_simple2_locals_dict_table);

#if defined(UMQTT_MPLIB)
// (sizeof only counts Client's entries: the literal is never made)
#define UMQTT_CLIENT_METHODS_N \
    MP_ARRAY_SIZE(((const mp_rom_map_elem_t[]) {UMQTT_CLIENT_METHODS UMQTT_CLIENT_NB_METHODS}))
static MP_DEFINE_CONST_DICT_WITH_SIZE(umqtt_client_locals_dict, umqtt_simple2_locals_dict_table,
    UMQTT_CLIENT_METHODS_N);
// Simple's one method, set_callback: the first of UMQTT_SIMPLE2_METHODS.
MP_DEFINE_CONST_DICT_WITH_SIZE(umqtt_simple_locals_dict, &umqtt_simple2_locals_dict_table[UMQTT_CLIENT_METHODS_N], 1);

#if defined(UMQTT_NONBLOCKING)
MP_DEFINE_CONST_OBJ_TYPE(
    umqtt_client_type,
    MP_QSTR_Client,
    MP_TYPE_FLAG_NONE,
    make_new, umqtt_client_make_new,
    protocol, &umqtt_client_stream_p,
    locals_dict, &umqtt_client_locals_dict
    );
#else
MP_DEFINE_CONST_OBJ_TYPE(
    umqtt_client_type,
    MP_QSTR_Client,
    MP_TYPE_FLAG_NONE,
    make_new, umqtt_client_make_new,
    locals_dict, &umqtt_client_locals_dict
    );
#endif
#endif // UMQTT_MPLIB

#endif // MICROPY_PY_UMQTT
