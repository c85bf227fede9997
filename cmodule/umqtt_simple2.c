// umqtt-rs: what simple2 adds to the native client: its attributes, kept
// in the client until user code replaces them; set_callback,
// set_callback_status and set_last_will; connect() and disconnect().
//
// simple2's __init__ stores 17 attributes on the instance and its class 6
// more (client_id, server, ..., cb, cbstat, newpid, last_ping, lw_*). As
// Python attributes they cost a dict of 17 slots per client, and every
// method call first misses in that full dict. Here they are the values of
// a small array in the native client instead (`settings`), served by the
// type's attr handler when the instance itself has no attribute of that
// name:
//
//   client.cb             instance dict -> the façade's classes -> Client's
//                         locals -> client_attr() below: settings[cb]
//   client.cb = f         the instance dict (Python's own store): from then
//                         on the instance's value wins, as in simple2
//
// So user code reads and replaces them exactly as before, a subclass's
// class attribute or method of that name (robust2's cbstat) takes
// precedence, and the native client reads them through the owner as it
// reads any attribute (umqtt_owner_attr). What the client itself updates
// (last_ping, last_cpacket, sock_raw) goes to the array unless the
// instance has its own attribute of that name (umqtt_owner_store).
//
// A façade that passes only `owner` (all but simple2 and its subclasses)
// gets no array and keeps its attributes on its instance.

#include "py/objtype.h"
#include "umqtt_glue.h"

#if MICROPY_PY_UMQTT

// Order matters: the first UMQTT_SETTING_ARGS are the constructor's
// positional arguments after owner, in simple2's order (pswd is the
// argument `password`).
static const uint16_t umqtt_setting_names[UMQTT_SETTINGS_N] = {
    MP_QSTR_client_id, MP_QSTR_server, MP_QSTR_port, MP_QSTR_user, MP_QSTR_pswd,
    MP_QSTR_keepalive, MP_QSTR_ssl, MP_QSTR_ssl_params, MP_QSTR_socket_timeout,
    MP_QSTR_message_timeout,
    MP_QSTR_sock_raw, MP_QSTR_cb, MP_QSTR_cbstat, MP_QSTR_newpid, MP_QSTR_last_ping,
    MP_QSTR_last_cpacket, MP_QSTR_lw_topic, MP_QSTR_lw_msg, MP_QSTR_lw_qos, MP_QSTR_lw_retain,
    MP_QSTR_poller_r, MP_QSTR_poller_w,
};

// simple2's default status callback: cbstat(pid, status) does nothing.
static mp_obj_t umqtt_ignore_status(mp_obj_t pid, mp_obj_t status) {
    (void)pid;
    (void)status;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(umqtt_ignore_status_obj, umqtt_ignore_status);

static mp_obj_t *umqtt_setting_slot(umqtt_client_obj_t *self, qstr attr) {
    if (self->settings != NULL) {
        for (size_t i = 0; i < UMQTT_SETTINGS_N; i++) {
            if (umqtt_setting_names[i] == attr) {
                return &self->settings[i];
            }
        }
    }
    return NULL;
}

void umqtt_settings_init(umqtt_client_obj_t *self, const mp_arg_val_t *args) {
    mp_obj_t *s = m_new(mp_obj_t, UMQTT_SETTINGS_N);
    for (size_t i = 0; i < UMQTT_SETTING_ARGS; i++) {
        s[i] = args[i].u_obj;
    }
    // simple2: port 0 is the protocol's default port.
    if (mp_obj_equal(s[UMQTT_SET_PORT], MP_OBJ_NEW_SMALL_INT(0))) {
        s[UMQTT_SET_PORT] = MP_OBJ_NEW_SMALL_INT(mp_obj_is_true(s[UMQTT_SET_SSL]) ? 8883 : 1883);
    }
    // simple2 makes a falsy ssl_params {}: made when first read (client_attr).
    if (!mp_obj_is_true(s[UMQTT_SET_SSL_PARAMS])) {
        s[UMQTT_SET_SSL_PARAMS] = MP_OBJ_NULL;
    }
    mp_obj_t now = umqtt_ticks_obj(umqtt_port_ticks_ms());
    s[UMQTT_SET_SOCK_RAW] = mp_const_none;
    s[UMQTT_SET_CB] = mp_const_none;
    s[UMQTT_SET_CBSTAT] = MP_OBJ_FROM_PTR(&umqtt_ignore_status_obj);
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
}

// The attr slot of Client: loads of a setting (see the top of this file).
// Stores and deletes are not handled here: a façade instance keeps what
// user code assigns in its own dict.
void umqtt_client_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    umqtt_client_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_obj_t *slot = dest[0] == MP_OBJ_NULL ? umqtt_setting_slot(self, attr) : NULL;
    if (slot == NULL) {
        if (dest[0] == MP_OBJ_NULL && attr == MP_QSTR_rcv_pids && self->settings != NULL) {
            dest[0] = self->pending_view;  // simple2's dict pid -> deadline, a live view
            return;
        }
        dest[1] = MP_OBJ_SENTINEL;  // not a setting: go on to the locals dict
        return;
    }
    if (*slot == MP_OBJ_NULL) {
        *slot = attr == MP_QSTR_newpid ? umqtt_pids_new(self) : mp_obj_new_dict(0);
    }
    dest[0] = *slot;
}

// Whether a Python class of the owner defines `attr` (a subclass's method
// or class attribute, which takes precedence over a setting). A class with
// several bases counts as defining everything: stores then go through
// Python's own rules.
static bool umqtt_class_defines(mp_obj_t owner, qstr attr) {
    const mp_obj_type_t *t = mp_obj_get_type(owner);
    while (t != NULL && !mp_obj_is_native_type(t)) {
        if (MP_OBJ_TYPE_HAS_SLOT(t, locals_dict)
            && mp_map_lookup(&MP_OBJ_TYPE_GET_SLOT(t, locals_dict)->map, MP_OBJ_NEW_QSTR(attr), MP_MAP_LOOKUP) != NULL) {
            return true;
        }
        const void *parent = MP_OBJ_TYPE_GET_SLOT_OR_NULL(t, parent);
        if (parent != NULL && ((const mp_obj_base_t *)parent)->type == &mp_type_tuple) {
            return true;
        }
        t = parent;
    }
    return false;
}

void umqtt_owner_store(umqtt_client_obj_t *self, qstr attr, mp_obj_t value) {
    mp_obj_t *slot = umqtt_setting_slot(self, attr);
    if (slot != NULL && self->owner == MP_OBJ_FROM_PTR(self)) {
        *slot = value;
        return;
    }
    if (slot != NULL && mp_obj_is_instance_type(mp_obj_get_type(self->owner))) {
        mp_obj_instance_t *inst = MP_OBJ_TO_PTR(self->owner);
        if (mp_map_lookup(&inst->members, MP_OBJ_NEW_QSTR(attr), MP_MAP_LOOKUP) == NULL
            && !umqtt_class_defines(self->owner, attr)) {
            *slot = value;
            return;
        }
    }
    mp_store_attr(self->owner, attr, value);
}

// set_callback(f), set_callback_status(f): simple2's setters of cb and cbstat.
static mp_obj_t client_set_callback(mp_obj_t self_in, mp_obj_t f) {
    umqtt_owner_store(umqtt_client_of(self_in), MP_QSTR_cb, f);
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_2(umqtt_set_callback_obj, client_set_callback);

static mp_obj_t client_set_callback_status(mp_obj_t self_in, mp_obj_t f) {
    umqtt_owner_store(umqtt_client_of(self_in), MP_QSTR_cbstat, f);
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_2(umqtt_set_callback_status_obj, client_set_callback_status);

// set_last_will(topic, msg, retain=False, qos=0): AssertionError for a qos
// outside 0..2 or an empty topic, as simple2's asserts.
static mp_obj_t client_set_last_will(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_topic, ARG_msg, ARG_retain, ARG_qos };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_topic, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_msg, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_retain, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_FALSE} },
        { MP_QSTR_qos, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_INT(0)} },
    };
    umqtt_client_obj_t *self = umqtt_client_of(pos_args[0]);
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    mp_obj_t qos = args[ARG_qos].u_obj;
    if (!mp_obj_is_true(mp_binary_op(MP_BINARY_OP_LESS_EQUAL, MP_OBJ_NEW_SMALL_INT(0), qos))
        || !mp_obj_is_true(mp_binary_op(MP_BINARY_OP_LESS_EQUAL, qos, MP_OBJ_NEW_SMALL_INT(2)))
        || !mp_obj_is_true(args[ARG_topic].u_obj)) {
        mp_raise_msg(&mp_type_AssertionError, NULL);
    }
    umqtt_owner_store(self, MP_QSTR_lw_topic, args[ARG_topic].u_obj);
    umqtt_owner_store(self, MP_QSTR_lw_msg, args[ARG_msg].u_obj);
    umqtt_owner_store(self, MP_QSTR_lw_qos, qos);
    umqtt_owner_store(self, MP_QSTR_lw_retain, args[ARG_retain].u_obj);
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_set_last_will_obj, 1, client_set_last_will);

static mp_obj_t umqtt_owner_call(umqtt_client_obj_t *self, qstr name, size_t n_args, mp_obj_t arg) {
    mp_obj_t dest[3];
    mp_load_method(self->owner, name, dest);
    dest[2] = arg;
    return mp_call_method_n_kw(n_args, 0, dest);
}

static void umqtt_close_quietly(mp_obj_t sock) {
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        mp_obj_t dest[2];
        mp_load_method(sock, MP_QSTR_close, dest);
        mp_call_method_n_kw(0, 0, dest);
        nlr_pop();
    } else if (!mp_obj_is_subclass_fast(MP_OBJ_FROM_PTR(((mp_obj_base_t *)nlr.ret_val)->type), MP_OBJ_FROM_PTR(&mp_type_OSError))) {
        nlr_jump(nlr.ret_val);
    }
}

// disconnect(): simple2's: DISCONNECT (best effort), close the socket,
// detach. Nothing to do without a socket. Every step is the owner's method,
// so a subclass's _send_disconnect or _attach is used.
static mp_obj_t simple2_disconnect(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    mp_obj_t sock = umqtt_owner_call(self, MP_QSTR__sock, 0, MP_OBJ_NULL);
    if (sock == mp_const_none) {
        return mp_const_none;
    }
    umqtt_owner_call(self, MP_QSTR__send_disconnect, 0, MP_OBJ_NULL);  // errors swallowed
    umqtt_close_quietly(sock);
    umqtt_owner_call(self, MP_QSTR__attach, 1, mp_const_none);
    umqtt_owner_store(self, MP_QSTR_sock_raw, mp_const_none);
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_1(umqtt_simple2_disconnect_obj, simple2_disconnect);

// connect(clean_session=True): simple2's: disconnect() first, open the
// connection (umqtt_net.c; ssl may be True with ssl_params the old
// wrap_socket() keywords, or an SSLContext), attach it, CONNECT/CONNACK
// (the owner's _connect). Returns the session-present flag. Whatever makes
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
        mp_raise_msg(&mp_type_AssertionError, NULL);
    }
    mp_obj_t ssl = mp_load_attr(self->owner, MP_QSTR_ssl);
    mp_obj_t conn[5] = {
        mp_load_attr(self->owner, MP_QSTR_server),
        mp_load_attr(self->owner, MP_QSTR_port),
        ssl,
        mp_obj_is_true(ssl) ? mp_load_attr(self->owner, MP_QSTR_ssl_params) : mp_const_none,
        mp_load_attr(self->owner, MP_QSTR_socket_timeout),
    };
    mp_obj_t *pair;
    mp_obj_get_array_fixed_n(umqtt_open_conn(5, conn), 2, &pair);
    mp_obj_t sock = pair[1];
    umqtt_owner_store(self, MP_QSTR_sock_raw, pair[0]);
    umqtt_owner_call(self, MP_QSTR__attach, 1, sock);
    if (mp_obj_is_true(clean)) {
        umqtt_owner_call(self, MP_QSTR__clear_pending, 0, MP_OBJ_NULL);
    }
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        mp_obj_t present = umqtt_owner_call(self, MP_QSTR__connect, 1, clean);
        nlr_pop();
        return present;
    }
    // Refused, timed out, invalid argument: detach and close, then re-raise.
    umqtt_owner_call(self, MP_QSTR__attach, 1, mp_const_none);
    umqtt_owner_store(self, MP_QSTR_sock_raw, mp_const_none);
    umqtt_close_quietly(sock);
    nlr_jump(nlr.ret_val);
}
MP_DEFINE_CONST_FUN_OBJ_KW(umqtt_simple2_connect_obj, 1, simple2_connect);

#endif // MICROPY_PY_UMQTT
