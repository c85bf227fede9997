// umqtt-rs: what simple2 adds to the native client: its attributes, kept
// in the client until user code replaces them; set_callback,
// set_callback_status and set_last_will; CONNECT from those attributes
// (_connect), connect() and disconnect().
//
// simple2's __init__ stores 17 attributes on the instance and its class 6
// more (client_id, server, ..., cb, cbstat, newpid, last_ping, lw_*). As
// Python attributes they cost a dict of 17 slots per client, and every
// method call first misses in that full dict. Here they are the values of
// a small array in the native client instead (`settings`), served by the
// type's attr handler when the instance itself has no attribute of that
// name:
//
//   client.cb             instance dict -> the façade's classes -> Simple2's
//                         locals -> simple2_attr() below: settings[cb]
//   client.cb = f         the instance dict (Python's own store): from then
//                         on the instance's value wins, as in simple2
//
// So user code reads and replaces them exactly as before, and a subclass's
// class attribute or method of that name (robust2's cbstat) takes
// precedence. The native client reads a setting straight from the array
// while the instance has no attribute of that name and its classes defined
// none when the client was made (umqtt_owner_attr: ~100 instructions less
// per publish than Python's lookup); otherwise as owner.attr. What it
// updates itself (last_ping, last_cpacket, sock_raw) and what the setters
// store goes to the array under the same condition (umqtt_owner_store).
//
// Re-entrancy: the array is only read or replaced whole-value; user code
// run from a lookup (a property, a callback) can change a setting but never
// a buffer in use.
//
// Simple, the native base of umqtt.simple (and so of umqtt.robust and
// umqtt.MQTTClient), keeps micropython-lib's attributes the same way: the
// same array, its attr slot serving only the names umqtt.simple has (not
// sock_raw, last_ping, last_cpacket, poller_*, rcv_pids), and the façade's
// own defaults for cbstat (owner._status) and newpid (owner._next_pid()),
// made when first read. Its __init__ passes every argument explicitly.
//
// A façade that passes only `owner` (mqtt_as) gets no array and keeps its
// attributes on its instance.

#include <stddef.h>
#include <string.h>

#include "py/objtuple.h"
#include "py/objtype.h"
#include "umqtt_glue.h"

#if MICROPY_PY_UMQTT

// simple2's default status callback: cbstat(pid, status) does nothing.
static mp_obj_t umqtt_ignore_status(mp_obj_t pid, mp_obj_t status) {
    (void)pid;
    (void)status;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(umqtt_ignore_status_obj, umqtt_ignore_status);

// The settings' names, scanned from socket_timeout on, wrapping around: the
// client reads socket_timeout on every call, cb, cbstat, newpid and
// message_timeout on most, and stores last_cpacket (a table: a third of a
// switch's size, and faster for those).
#define UMQTT_SCAN_AT(i) (((i) + UMQTT_SETTINGS_N - UMQTT_SET_SOCKET_TIMEOUT) % UMQTT_SETTINGS_N)
static const qstr_short_t umqtt_setting_names[UMQTT_SETTINGS_N] = {
    [UMQTT_SCAN_AT(UMQTT_SET_CLIENT_ID)] = MP_QSTR_client_id,
    [UMQTT_SCAN_AT(UMQTT_SET_SERVER)] = MP_QSTR_server,
    [UMQTT_SCAN_AT(UMQTT_SET_PORT)] = MP_QSTR_port,
    [UMQTT_SCAN_AT(UMQTT_SET_USER)] = MP_QSTR_user,
    [UMQTT_SCAN_AT(UMQTT_SET_PSWD)] = MP_QSTR_pswd,
    [UMQTT_SCAN_AT(UMQTT_SET_KEEPALIVE)] = MP_QSTR_keepalive,
    [UMQTT_SCAN_AT(UMQTT_SET_SSL)] = MP_QSTR_ssl,
    [UMQTT_SCAN_AT(UMQTT_SET_SSL_PARAMS)] = MP_QSTR_ssl_params,
    [UMQTT_SCAN_AT(UMQTT_SET_SOCKET_TIMEOUT)] = MP_QSTR_socket_timeout,
    [UMQTT_SCAN_AT(UMQTT_SET_MESSAGE_TIMEOUT)] = MP_QSTR_message_timeout,
    [UMQTT_SCAN_AT(UMQTT_SET_SOCK_RAW)] = MP_QSTR_sock_raw,
    [UMQTT_SCAN_AT(UMQTT_SET_CB)] = MP_QSTR_cb,
    [UMQTT_SCAN_AT(UMQTT_SET_CBSTAT)] = MP_QSTR_cbstat,
    [UMQTT_SCAN_AT(UMQTT_SET_NEWPID)] = MP_QSTR_newpid,
    [UMQTT_SCAN_AT(UMQTT_SET_LAST_PING)] = MP_QSTR_last_ping,
    [UMQTT_SCAN_AT(UMQTT_SET_LAST_CPACKET)] = MP_QSTR_last_cpacket,
    [UMQTT_SCAN_AT(UMQTT_SET_LW_TOPIC)] = MP_QSTR_lw_topic,
    [UMQTT_SCAN_AT(UMQTT_SET_LW_MSG)] = MP_QSTR_lw_msg,
    [UMQTT_SCAN_AT(UMQTT_SET_LW_QOS)] = MP_QSTR_lw_qos,
    [UMQTT_SCAN_AT(UMQTT_SET_LW_RETAIN)] = MP_QSTR_lw_retain,
    [UMQTT_SCAN_AT(UMQTT_SET_POLLER_R)] = MP_QSTR_poller_r,
    [UMQTT_SCAN_AT(UMQTT_SET_POLLER_W)] = MP_QSTR_poller_w,
};

static int umqtt_setting_index(qstr attr) {
    for (int k = 0; k < UMQTT_SETTINGS_N; k++) {
        if (umqtt_setting_names[k] == attr) {
            int i = k + UMQTT_SET_SOCKET_TIMEOUT;
            return i < UMQTT_SETTINGS_N ? i : i - UMQTT_SETTINGS_N;
        }
    }
    return -1;
}

// The settings the owner's Python classes define (a subclass's method or
// class attribute takes precedence over a setting, as robust2's cbstat), as
// bits by setting index. A class with several bases counts as defining them
// all: every read then goes through Python's own rules.
static uint32_t umqtt_settings_shadowed(mp_obj_t owner) {
    uint32_t bits = 0;
    const mp_obj_type_t *t = mp_obj_get_type(owner);
    while (t != NULL && !mp_obj_is_native_type(t)) {
        if (MP_OBJ_TYPE_HAS_SLOT(t, locals_dict)) {
            mp_map_t *map = &MP_OBJ_TYPE_GET_SLOT(t, locals_dict)->map;
            for (size_t i = 0; i < map->alloc; i++) {
                int idx = mp_map_slot_is_filled(map, i) && mp_obj_is_qstr(map->table[i].key)
                    ? umqtt_setting_index(MP_OBJ_QSTR_VALUE(map->table[i].key)) : -1;
                if (idx >= 0) {
                    bits |= (uint32_t)1 << idx;
                }
            }
        }
        const void *parent = MP_OBJ_TYPE_GET_SLOT_OR_NULL(t, parent);
        if (parent != NULL && ((const mp_obj_base_t *)parent)->type == &mp_type_tuple) {
            return UINT32_MAX;
        }
        t = parent;
    }
    return bits;
}

void umqtt_settings_init(umqtt_client_obj_t *self, const mp_arg_val_t *args) {
    MP_STATIC_ASSERT(UMQTT_SETTINGS_N <= 32);  // one bit each in `shadowed`
    mp_obj_t *s = m_new(mp_obj_t, UMQTT_SETTINGS_N);
    // (an mp_arg_val_t is one word: the arguments copy as they are)
    MP_STATIC_ASSERT(sizeof(mp_arg_val_t) == sizeof(mp_obj_t));
    memcpy(s, args, UMQTT_SETTING_ARGS * sizeof(mp_obj_t));
    // simple2: port 0 is the protocol's default port.
    if (mp_obj_equal(s[UMQTT_SET_PORT], MP_OBJ_NEW_SMALL_INT(0))) {
        s[UMQTT_SET_PORT] = MP_OBJ_NEW_SMALL_INT(mp_obj_is_true(s[UMQTT_SET_SSL]) ? 8883 : 1883);
    }
    // simple2 makes a falsy ssl_params {}: made when first read (simple2_attr).
    if (!mp_obj_is_true(s[UMQTT_SET_SSL_PARAMS])) {
        s[UMQTT_SET_SSL_PARAMS] = MP_OBJ_NULL;
    }
    mp_obj_t now = umqtt_ticks_obj(umqtt_port_ticks_ms());
    s[UMQTT_SET_SOCK_RAW] = mp_const_none;
    s[UMQTT_SET_CB] = mp_const_none;
    // umqtt.simple's default is owner._status: made when first read.
    s[UMQTT_SET_CBSTAT] = UMQTT_IS_SIMPLE(MP_OBJ_FROM_PTR(self)) ? MP_OBJ_NULL : MP_OBJ_FROM_PTR(&umqtt_ignore_status_obj);
    s[UMQTT_SET_NEWPID] = MP_OBJ_NULL;  // the engine's allocator, made when first read
    s[UMQTT_SET_LAST_PING] = now;
    s[UMQTT_SET_LAST_CPACKET] = now;
    s[UMQTT_SET_LW_TOPIC] = mp_const_none;
    s[UMQTT_SET_LW_MSG] = mp_const_none;
    s[UMQTT_SET_LW_QOS] = MP_OBJ_NEW_SMALL_INT(0);
    s[UMQTT_SET_LW_RETAIN] = mp_const_false;
    s[UMQTT_SET_POLLER_R] = mp_const_none;  // simple2's pollers: the client polls itself
    s[UMQTT_SET_POLLER_W] = mp_const_none;
    self->settings = s;
    // Looked up once: a class attribute added later is not seen.
    self->shadowed = self->owner == MP_OBJ_FROM_PTR(self) ? 0 : umqtt_settings_shadowed(self->owner);
}

// The settings umqtt.simple does not have: Simple's attr slot hides them.
#define UMQTT_SIMPLE_HIDDEN ((1u << UMQTT_SET_SOCK_RAW) | (1u << UMQTT_SET_LAST_PING) \
    | (1u << UMQTT_SET_LAST_CPACKET) | (1u << UMQTT_SET_POLLER_R) | (1u << UMQTT_SET_POLLER_W))

// Simple2's and Simple's attr slot: loads of a setting (see the top of this
// file). Stores and deletes are not handled here: a façade instance keeps
// what user code assigns in its own dict.
static void simple2_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    umqtt_client_obj_t *self = MP_OBJ_TO_PTR(self_in);
    bool simple = UMQTT_IS_SIMPLE(self_in);
    int idx = dest[0] == MP_OBJ_NULL && self->settings != NULL ? umqtt_setting_index(attr) : -1;
    if (idx >= 0 && simple && ((UMQTT_SIMPLE_HIDDEN >> idx) & 1)) {
        idx = -1;
    }
    if (idx < 0) {
        if (dest[0] == MP_OBJ_NULL && attr == MP_QSTR_rcv_pids && self->settings != NULL && !simple) {
            dest[0] = self->pending_view;  // simple2's dict pid -> deadline, a live view
            return;
        }
        dest[1] = MP_OBJ_SENTINEL;  // not a setting: go on to the locals dict
        return;
    }
    mp_obj_t *slot = &self->settings[idx];
    if (*slot == MP_OBJ_NULL) {
        mp_obj_t v;
        if (attr == MP_QSTR_newpid) {
            #if defined(UMQTT_MPLIB)
            v = simple ? mp_call_function_0(mp_load_attr(self->owner, MP_QSTR__next_pid))
                : umqtt_pids_new(MP_OBJ_FROM_PTR(self));
            #else
            v = umqtt_pids_new(MP_OBJ_FROM_PTR(self));  // only Simple (UMQTT_MPLIB) has _next_pid
            #endif
        #if defined(UMQTT_MPLIB)
        } else if (attr == MP_QSTR_cbstat) {
            v = mp_load_attr(self->owner, MP_QSTR__status);  // Simple only
        #endif
        } else {
            v = mp_obj_new_dict(0);  // ssl_params
        }
        *slot = v;
    }
    dest[0] = *slot;
}

// The client's setting that is owner.attr, or NULL: there is one if the
// owner is the client itself, or a Python instance with no attribute of
// that name of its own and none in its classes (when the client was made).
static mp_obj_t *umqtt_owner_setting(umqtt_client_obj_t *self, qstr attr) {
    int idx = self->settings == NULL ? -1 : umqtt_setting_index(attr);
    if (idx < 0) {
        return NULL;
    }
    if (self->owner != MP_OBJ_FROM_PTR(self)) {
        if (!mp_obj_is_instance_type(mp_obj_get_type(self->owner)) || (self->shadowed >> idx) & 1) {
            return NULL;
        }
        mp_obj_instance_t *inst = MP_OBJ_TO_PTR(self->owner);
        if (mp_map_lookup(&inst->members, MP_OBJ_NEW_QSTR(attr), MP_MAP_LOOKUP) != NULL) {
            return NULL;
        }
    }
    return &self->settings[idx];
}

void umqtt_owner_store(umqtt_client_obj_t *self, qstr attr, mp_obj_t value) {
    mp_obj_t *setting = umqtt_owner_setting(self, attr);
    if (setting != NULL) {
        *setting = value;
        return;
    }
    mp_store_attr(self->owner, attr, value);
}

// owner.attr: the setting `attr` if the owner has not replaced it and it
// exists, else the Python way.
mp_obj_t umqtt_owner_attr(umqtt_client_obj_t *self, qstr attr) {
    mp_obj_t *setting = umqtt_owner_setting(self, attr);
    if (setting != NULL && *setting != MP_OBJ_NULL) {
        return *setting;
    }
    return mp_load_attr(self->owner, attr);
}

// set_callback(f), set_callback_status(f): simple2's setters of cb and
// cbstat. (One body: GCC would copy it into both.)
static MP_NOINLINE mp_obj_t umqtt_set_setting(mp_obj_t self_in, qstr attr, mp_obj_t f) {
    umqtt_owner_store(umqtt_client_of(self_in), attr, f);
    return mp_const_none;
}

static mp_obj_t client_set_callback(mp_obj_t self_in, mp_obj_t f) {
    return umqtt_set_setting(self_in, MP_QSTR_cb, f);
}
MP_DEFINE_CONST_FUN_OBJ_2(umqtt_set_callback_obj, client_set_callback);

static mp_obj_t client_set_callback_status(mp_obj_t self_in, mp_obj_t f) {
    return umqtt_set_setting(self_in, MP_QSTR_cbstat, f);
}
MP_DEFINE_CONST_FUN_OBJ_2(umqtt_set_callback_status_obj, client_set_callback_status);

// set_last_will(topic, msg, retain=False, qos=0): AssertionError for a qos
// outside 0..2 or an empty topic, as simple2's asserts.
static mp_obj_t client_set_last_will(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_topic, ARG_msg, ARG_retain, ARG_qos, ARG_N };  // publish()'s first four
    umqtt_client_obj_t *self = umqtt_client_of(pos_args[0]);
    mp_arg_val_t args[ARG_N];
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, ARG_N, umqtt_publish_args, args);
    mp_obj_t qos = args[ARG_qos].u_obj;
    if (!mp_obj_is_true(mp_binary_op(MP_BINARY_OP_LESS_EQUAL, MP_OBJ_NEW_SMALL_INT(0), qos))
        || !mp_obj_is_true(mp_binary_op(MP_BINARY_OP_LESS_EQUAL, qos, MP_OBJ_NEW_SMALL_INT(2)))
        || !mp_obj_is_true(args[ARG_topic].u_obj)) {
        umqtt_raise_assert(NULL);
    }
    umqtt_owner_store(self, MP_QSTR_lw_topic, args[ARG_topic].u_obj);
    umqtt_owner_store(self, MP_QSTR_lw_msg, args[ARG_msg].u_obj);
    umqtt_owner_store(self, MP_QSTR_lw_qos, qos);
    umqtt_owner_store(self, MP_QSTR_lw_retain, args[ARG_retain].u_obj);
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_set_last_will_obj, 1, client_set_last_will);

// owner.name() (n_args 0) or owner.name(arg) (n_args 1).
static mp_obj_t umqtt_owner_call(umqtt_client_obj_t *self, qstr name, size_t n_args, mp_obj_t arg) {
    return umqtt_call_method(self->owner, name, n_args, &arg);
}

// The owner's _attach(None), and sock_raw None (disconnect(), a failed
// connect()). (One body: GCC would copy it into both.)
static MP_NOINLINE void umqtt_detach(umqtt_client_obj_t *self) {
    umqtt_owner_call(self, MP_QSTR__attach, 1, mp_const_none);
    umqtt_owner_store(self, MP_QSTR_sock_raw, mp_const_none);
}

// disconnect(): simple2's: DISCONNECT (best effort), close the socket,
// detach. Nothing to do without a socket. The socket is the owner's _sock()
// and is detached by its _attach (a subclass's, if any, as `sock` is).
static mp_obj_t simple2_disconnect(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    mp_obj_t sock = umqtt_owner_call(self, MP_QSTR__sock, 0, MP_OBJ_NULL);
    if (sock == mp_const_none) {
        return mp_const_none;
    }
    umqtt_send_disconnect(1, &self_in);  // errors swallowed
    umqtt_close_quietly(sock);
    umqtt_detach(self);
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_1(umqtt_simple2_disconnect_obj, simple2_disconnect);

// ---------------------------------------------------------------------------
// CONNECT from the owner's attributes: _connect, simple2's connect().

// MQTT 5 inbound topic aliases: at most this many may be announced (the
// Topic Alias Maximum property of connect()), each holding a topic of up
// to UMQTT_ALIAS_TOPIC bytes; a broker that binds a longer topic to an
// alias breaks the connection (EPROTOCOL). Storage is allocated at connect.
#define UMQTT_ALIAS_MAX (32)
#define UMQTT_ALIAS_TOPIC (128)

static umqtt_bytes umqtt_optional_bytes_of(mp_obj_t obj) {
    if (obj == mp_const_none) {
        umqtt_bytes b = {.ptr = NULL, .len = 0};
        return b;
    }
    return umqtt_bytes_of(obj);
}

#if defined(UMQTT_MQTT5)
// The owner's attribute `attr`, or None if it has none.
static mp_obj_t umqtt_owner_attr_or_none(umqtt_client_obj_t *self, qstr attr) {
    mp_obj_t dest[2];
    mp_load_method_maybe(self->owner, attr, dest);
    return dest[0] == MP_OBJ_NULL ? mp_const_none : dest[0];
}
#endif

// CONNECT's strings, borrowed from the owner's client_id, user, pswd,
// lw_topic and lw_msg (in that order in `objs`; None: none). MQTT forbids
// U+0000 in the first two, UTF-8 strings (§1.5.4), which a Python str may
// hold; the engine checks the rest. Returns their total length. (A loop
// over the fields: one call site each for the borrow and the check.)
#define UMQTT_CONNECT_STRINGS (5)
static size_t umqtt_connect_strings(umqtt_connect_options *opts, const mp_obj_t *objs) {
    MP_STATIC_ASSERT(sizeof(umqtt_connect_options) <= UINT8_MAX);  // (offsets in bytes)
    size_t total = 0;
    static const uint8_t fields[UMQTT_CONNECT_STRINGS] = {
        offsetof(umqtt_connect_options, client_id), offsetof(umqtt_connect_options, username),
        offsetof(umqtt_connect_options, password), offsetof(umqtt_connect_options, will_topic),
        offsetof(umqtt_connect_options, will_message),
    };
    for (size_t i = 0; i < UMQTT_CONNECT_STRINGS; i++) {
        umqtt_bytes b = umqtt_optional_bytes_of(objs[i]);
        if (i < 2 && b.len != 0 && memchr(b.ptr, 0, b.len) != NULL) {
            mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%q contains U+0000, which MQTT forbids"),
                i == 0 ? MP_QSTR_client_id : MP_QSTR_user);
        }
        *(umqtt_bytes *)((uint8_t *)opts + fields[i]) = b;
        total += b.len;
    }
    return total;
}

// umqtt_client_connect (CONNECT with opts, else the rest of its CONNACK;
// queued or polled with io_timeout UMQTT_QUEUE), reading on into a larger
// receive buffer after NEED_BUFFER (a CONNACK with a large property block).
// The transmit buffer goes back once nothing is queued. (One call site:
// _connect, _nb_connect and _nb_connack.)
#if !defined(UMQTT_NONBLOCKING)
static  // (one caller: inlined)
#endif
umqtt_status umqtt_connect_call(umqtt_client_obj_t *self, const umqtt_connect_options *opts, int32_t io_timeout,
    umqtt_connack_t *ack) {
    for (;;) {
        umqtt_status st = umqtt_client_connect(self->engine, &self->io, opts, io_timeout,
            &ack->session_present, &ack->return_code, &ack->props);
        umqtt_tx_release(self);
        if (st != UMQTT_STATUS_NEED_BUFFER) {
            return st;
        }
        umqtt_rx_grow(self);
        opts = NULL;  // the CONNECT has gone
    }
}

// The CONNECT the owner's attributes describe (client_id, user, pswd, lw_*,
// keepalive), sent within io_timeout, the CONNACK read into *ack (_connect:
// the engine's status; after NEED_BUFFER the receive buffer grows and the
// read goes on), or, with ack NULL, queued (_nb_connect). The byte strings
// borrow the owner's objects. MQTT 5 (version 5): `props` are the
// CONNECT's properties (None or a dict; a Maximum Packet Size of the
// receive buffer is added unless given), the will's come from the owner's
// lw_properties; inbound topic aliases get storage if `props` announce a
// Topic Alias Maximum.
#if !defined(UMQTT_NONBLOCKING)
static  // (one caller: inlined, the version known)
#endif
umqtt_status umqtt_connect_send(umqtt_client_obj_t *self, bool clean, mp_int_t version, mp_obj_t props,
    int32_t io_timeout, umqtt_connack_t *ack) {
    umqtt_connect_options options;
    umqtt_connect_options *opts = &options;
    umqtt_bytes no_props = {.ptr = NULL, .len = 0};
    umqtt_bytes conn_props = no_props, will_props = no_props;
    #if !defined(UMQTT_MQTT31) || !defined(UMQTT_MQTT5)
    // A version this firmware was built without (one test for both).
    if (
        #if !defined(UMQTT_MQTT31)
        version == 3 ||
        #endif
        #if !defined(UMQTT_MQTT5)
        version == 5 ||
        #endif
        false) {
        umqtt_raise_no_version(version);
    }
    #endif
    #if defined(UMQTT_MQTT5)
    if (version == 5) {
        conn_props = umqtt_props_build(props, UMQTT_PROPS_CONTEXT_CONNECT, 0x27, self->max_packet);
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
        if (need != self->io.aliases_cap) {
            self->io.aliases = need ? m_new(uint8_t, need) : NULL;
            self->io.aliases_cap = need;
        }
    } else
    #endif
    if (props != mp_const_none) {
        umqtt_raise_props_need_v5();
    }
    self->version = (uint8_t)version;
    // Every attribute is read (properties of a subclass may run Python
    // code) before any buffer is borrowed.
    mp_int_t keepalive = mp_obj_get_int(umqtt_owner_attr(self, MP_QSTR_keepalive));
    if (keepalive < 0 || keepalive > 65535) {
        mp_raise_ValueError(MP_ERROR_TEXT("keepalive must be 0..65535"));
    }
    // The strings, then lw_qos and lw_retain: read in one loop, converted after.
    static const qstr_short_t attrs[UMQTT_CONNECT_STRINGS + 2] = {
        MP_QSTR_client_id, MP_QSTR_user, MP_QSTR_pswd, MP_QSTR_lw_topic, MP_QSTR_lw_msg,
        MP_QSTR_lw_qos, MP_QSTR_lw_retain,
    };
    mp_obj_t strings[UMQTT_CONNECT_STRINGS + 2];
    for (size_t i = 0; i < MP_ARRAY_SIZE(attrs); i++) {
        strings[i] = umqtt_owner_attr(self, attrs[i]);
    }
    mp_obj_t user = strings[1], pswd = strings[2], lw_topic = strings[3];
    bool has_will = lw_topic != mp_const_none && mp_obj_is_true(lw_topic);
    mp_int_t will_qos = mp_obj_get_int(strings[UMQTT_CONNECT_STRINGS]);
    if (has_will && (will_qos < 0 || will_qos > 2)) {
        mp_raise_ValueError(MP_ERROR_TEXT("lw_qos must be 0, 1 or 2"));
    }
    bool will_retain = mp_obj_is_true(strings[UMQTT_CONNECT_STRINGS + 1]);
    // Field by field (every field is set): no initialiser clearing it first.
    opts->has_username = user != mp_const_none;
    // simple2 sends a password only with a user name (MQTT 3.1.1 requires it).
    opts->has_password = user != mp_const_none && pswd != mp_const_none;
    opts->has_will = has_will;
    opts->will_qos = has_will ? (uint8_t)will_qos : 0;
    opts->will_retain = will_retain;
    opts->keepalive = (uint16_t)keepalive;
    opts->clean_session = clean;
    opts->version = (uint8_t)version;
    opts->properties = conn_props;
    opts->will_properties = will_props;
    // The transmit buffer holds the whole CONNECT. Growing it allocates,
    // which may run finalisers: the strings are borrowed again after.
    size_t need = 64 + umqtt_connect_strings(opts, strings) + opts->properties.len + opts->will_properties.len;
    if (umqtt_tx_reserve(self, need, false)) {
        umqtt_connect_strings(opts, strings);
    }
    #if defined(UMQTT_NONBLOCKING)
    // Queued (it goes into an emptied queue) through the same call: the
    // engine leaves the outputs alone, and the buffer holds the CONNECT.
    umqtt_connack_t unused;
    if (ack == NULL) {
        ack = &unused;
        io_timeout = UMQTT_QUEUE;
    }
    #endif
    return umqtt_connect_call(self, opts, io_timeout, ack);
}

// A CONNACK handled: its MQTT 5 properties to the owner, the block back.
#if !defined(UMQTT_NONBLOCKING)
static  // (one caller: inlined)
#endif
void umqtt_connack_done(umqtt_client_obj_t *self, umqtt_status st, umqtt_bytes props) {
    umqtt_body_t body = umqtt_rx_take(self);
    #if defined(UMQTT_MQTT5)
    if (UMQTT_IS_V5(self) && (st == UMQTT_STATUS_OK || st == UMQTT_STATUS_CONNACK_REFUSED)) {
        mp_store_attr(self->owner, MP_QSTR_connack_properties, umqtt_props_to_dict(self, props));
    }
    #else
    (void)st, (void)props;  // only MQTT 5 has CONNACK properties
    #endif
    umqtt_body_free(&body);
}

// _connect()'s status, `return_code` the CONNACK's, raised through
// umqtt_errors.c. micropython-lib 1.8.0 (broker_codes) raises
// MQTTException(-1) for a missing or short CONNACK.
static void umqtt_check_connect(umqtt_client_obj_t *self, umqtt_status st, uint8_t return_code) {
    if (UMQTT_MPLIB_CONV(self, broker_codes) && (st == UMQTT_STATUS_CLOSED || st == UMQTT_STATUS_CONNACK_INVALID)) {
        umqtt_raise_code(UMQTT_EUNKNOWN);
    }
    umqtt_check(self, st, return_code);
}

// _connect(clean_session, version=4, properties=None): CONNECT on the
// attached socket, wait for CONNACK (socket_timeout); returns the
// session-present flag (int). MQTT 5: see umqtt_connect_send; the
// CONNACK's properties become the owner's connack_properties.
// With `queued`, _nb_connect(clean, version=4, properties=None)
// (umqtt_client_nb.c) instead: CONNECT queued, None returned (one body).
#if !defined(UMQTT_NONBLOCKING)
static  // (one caller: inlined)
#endif
mp_obj_t umqtt_connect_with(size_t n_args, const mp_obj_t *args, bool queued) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(args[0]);
    umqtt_require_socket(self);
    bool clean = mp_obj_is_true(args[1]);
    mp_int_t version = n_args > 2 ? mp_obj_get_int(args[2]) : 4;
    mp_obj_t props = n_args > 3 ? args[3] : mp_const_none;
    #if defined(UMQTT_NONBLOCKING)
    if (queued) {
        umqtt_check(self, umqtt_connect_send(self, clean, version, props, 0, NULL), 0);
        return mp_const_none;
    }
    #else
    (void)queued;
    #endif
    int32_t io_timeout = umqtt_timeout_ms(self, UMQTT_SOCKET_TIMEOUT);
    umqtt_connack_t ack = {.session_present = 0, .return_code = 0, .props = {.ptr = NULL, .len = 0}};
    umqtt_status st = umqtt_connect_send(self, clean, version, props, io_timeout, &ack);
    umqtt_connack_done(self, st, ack.props);
    umqtt_check_connect(self, st, ack.return_code);
    umqtt_mark_received(self, true);
    return MP_OBJ_NEW_SMALL_INT(ack.session_present);
}

static mp_obj_t client_connect(size_t n_args, const mp_obj_t *args) {
    return umqtt_connect_with(n_args, args, false);
}
#if defined(UMQTT_CONNECT_METHOD)
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(umqtt_connect_obj, 2, 4, client_connect);
#endif

// connect(clean_session=True): simple2's: disconnect() first, open the
// connection (umqtt_net.c; ssl may be True with ssl_params the old
// wrap_socket() keywords, or an SSLContext), attach it, CONNECT/CONNACK
// (the owner's _connect where the firmware has it, else the same code
// here). Returns the session-present flag. Whatever makes
// it fail, no socket is left open.
static mp_obj_t simple2_connect(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_clean_session, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_TRUE} },
    };
    umqtt_client_obj_t *self = umqtt_client_of(pos_args[0]);
    mp_arg_val_t arg;
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, 1, allowed_args, &arg);
    mp_obj_t clean = arg.u_obj;
    umqtt_owner_call(self, MP_QSTR_disconnect, 0, MP_OBJ_NULL);
    mp_obj_t keepalive = mp_load_attr(self->owner, MP_QSTR_keepalive);
    if (mp_obj_is_true(keepalive)
        && !mp_obj_is_true(mp_binary_op(MP_BINARY_OP_LESS, keepalive, MP_OBJ_NEW_SMALL_INT(65536)))) {
        umqtt_raise_assert(NULL);
    }
    mp_obj_t ssl = mp_load_attr(self->owner, MP_QSTR_ssl);
    mp_obj_t conn[5] = {
        mp_load_attr(self->owner, MP_QSTR_server),
        mp_load_attr(self->owner, MP_QSTR_port),
        ssl,
        mp_obj_is_true(ssl) ? mp_load_attr(self->owner, MP_QSTR_ssl_params) : mp_const_none,
        mp_load_attr(self->owner, MP_QSTR_socket_timeout),
    };
    // (the 2-tuple open_conn made: no length to check)
    mp_obj_tuple_t *pair = MP_OBJ_TO_PTR(umqtt_open_conn(5, conn));
    mp_obj_t sock = pair->items[1];
    umqtt_owner_store(self, MP_QSTR_sock_raw, pair->items[0]);
    umqtt_owner_call(self, MP_QSTR__attach, 1, sock);
    if (mp_obj_is_true(clean)) {
        umqtt_clear_pending(pos_args[0]);
    }
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        #if defined(UMQTT_CONNECT_METHOD)
        mp_obj_t present = umqtt_owner_call(self, MP_QSTR__connect, 1, clean);  // a façade's own, if any
        #else
        mp_obj_t args[2] = {MP_OBJ_FROM_PTR(self), clean};
        mp_obj_t present = client_connect(2, args);
        #endif
        nlr_pop();
        return present;
    }
    // Refused, timed out, invalid argument: detach and close, then re-raise.
    umqtt_detach(self);
    umqtt_close_quietly(sock);
    nlr_jump(nlr.ret_val);
}
MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_simple2_connect_obj, 1, simple2_connect);

// Simple2(owner, client_id, server, ...): Client with simple2's attributes
// and methods, the native base of umqtt.simple2.MQTTClient (and so of
// robust2's); the other façades derive from Client and do not see them.
// Its locals (umqtt_client.c) are Client's methods and UMQTT_SIMPLE2_METHODS.
// Without UMQTT_MPLIB there is no Client: Simple2 stands alone (the macro
// counts the slots after UMQTT_WITH_MPLIB has expanded).
MP_DEFINE_CONST_OBJ_TYPE(
    umqtt_simple2_type,
    MP_QSTR_Simple2,
    MP_TYPE_FLAG_NONE,
    make_new, umqtt_client_make_new,
    attr, simple2_attr,
    UMQTT_WITH_MPLIB(parent, &umqtt_client_type, )
    locals_dict, &umqtt_simple2_locals_dict
    );

#if defined(UMQTT_MPLIB)
// Simple(owner, client_id, server, port, user, password, keepalive, ssl,
// ssl_params, socket_timeout, message_timeout, *, ...): Client with
// umqtt.simple's attributes, the native base of umqtt.simple.MQTTClient.
// Of simple2's methods only set_callback (the same: cb = f); connect,
// disconnect and set_last_will are the façade's (its locals: umqtt_client.c).

MP_DEFINE_CONST_OBJ_TYPE(
    umqtt_simple_type,
    MP_QSTR_Simple,
    MP_TYPE_FLAG_NONE,
    make_new, umqtt_client_make_new,
    attr, simple2_attr,
    parent, &umqtt_client_type,
    locals_dict, &umqtt_simple_locals_dict
    );
#endif

#endif // MICROPY_PY_UMQTT
