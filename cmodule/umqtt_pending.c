// umqtt-rs: rcv_pids, the type `rcv_pids` (stubs: _PendingAcks): a dict-like live view
// (pid -> deadline in ticks_ms) over the engine's in-flight table. User
// code may read it and insert pids that must time out. Also the default
// newpid (type `newpid`) and the client's methods on the table and its packet
// ids (a clean session's clear; with UMQTT_MPLIB the methods _clear_pending,
// _pending, _take_pid, _pids).

#include "umqtt_glue.h"

#if MICROPY_PY_UMQTT

// An rcv_pids view or a newpid iterator: its type and the client it serves
// (one shape, one constructor).
typedef struct _umqtt_client_ref_t {
    mp_obj_base_t base;
    mp_obj_t client;
} umqtt_client_ref_t;

static MP_NOINLINE mp_obj_t umqtt_client_ref_new(const mp_obj_type_t *type, mp_obj_t client) {
    umqtt_client_ref_t *ref = mp_obj_malloc(umqtt_client_ref_t, type);
    ref->client = client;
    return MP_OBJ_FROM_PTR(ref);
}

static const mp_obj_type_t umqtt_pending_type;

mp_obj_t umqtt_ticks_obj(uint32_t ticks) {
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

// The client behind a view; TypeError if self_in is not one (an explicit
// call through the type), RuntimeError while the client is mid-I/O.
static umqtt_client_obj_t *umqtt_pending_client(mp_obj_t self_in) {
    if (!mp_obj_is_type(self_in, &umqtt_pending_type)) {
        mp_raise_TypeError(MP_ERROR_TEXT("umqtt: not an rcv_pids view"));
    }
    umqtt_client_ref_t *view = MP_OBJ_TO_PTR(self_in);
    return umqtt_idle_client_of(view->client);
}

// Whether `key` is a packet id as a dict key would match one: an int (or
// bool) 1..65535. Anything else -- a huge int, a str -- matches no pid.
static bool umqtt_pid_key(mp_obj_t key, uint16_t *pid) {
    // (True is 1; False, like 0, is no pid)
    mp_int_t v = key == mp_const_true ? 1 : mp_obj_is_small_int(key) ? MP_OBJ_SMALL_INT_VALUE(key) : 0;
    if (v < 1 || v > 65535) {
        return false;
    }
    *pid = (uint16_t)v;
    return true;
}

// The deadline of pid `key` (removed from the table if `remove`); if there
// is none, `dflt`, or KeyError(key) for MP_OBJ_NULL. For get, pop, [] and del.
static MP_NOINLINE mp_obj_t umqtt_pending_lookup(mp_obj_t self_in, mp_obj_t key, bool remove, mp_obj_t dflt) {
    umqtt_client_obj_t *client = umqtt_pending_client(self_in);
    uint16_t pid;
    uint32_t deadline;
    if (umqtt_pid_key(key, &pid) && umqtt_client_pending_get(client->engine, pid, remove, &deadline)) {
        return umqtt_ticks_obj(deadline);
    }
    if (dflt == MP_OBJ_NULL) {
        mp_raise_type_arg(&mp_type_KeyError, key);
    }
    return dflt;
}

static mp_obj_t umqtt_pending_subscr(mp_obj_t self_in, mp_obj_t index, mp_obj_t value) {
    if (value == MP_OBJ_SENTINEL) {
        return umqtt_pending_lookup(self_in, index, false, MP_OBJ_NULL);  // load
    } else if (value == MP_OBJ_NULL) {
        umqtt_pending_lookup(self_in, index, true, MP_OBJ_NULL);  // delete
        return mp_const_none;
    }
    // store
    umqtt_client_obj_t *client = umqtt_pending_client(self_in);
    uint16_t pid;
    if (!umqtt_pid_key(index, &pid)) {
        return umqtt_pending_lookup(self_in, index, false, MP_OBJ_NULL);  // KeyError(index)
    }
    uint32_t ticks = umqtt_ticks_from_obj(value);
    umqtt_tables_room(client);
    umqtt_check(client, umqtt_client_pending_insert(client->engine, pid, ticks), 0);
    return mp_const_none;
}

// len(); truth through it too (mp_obj_is_true falls back to len).
static mp_obj_t umqtt_pending_unary_op(mp_unary_op_t op, mp_obj_t self_in) {
    umqtt_client_obj_t *client = umqtt_pending_client(self_in);
    if (op != MP_UNARY_OP_LEN) {
        return MP_OBJ_NULL;
    }
    return MP_OBJ_NEW_SMALL_INT(umqtt_client_pending_len(client->engine));
}

// A dict {pid: deadline} of the table as it is now: what a view's ==,
// iteration, keys(), values() and items() work on, as on simple2's dict.
static mp_obj_t umqtt_pending_dict(mp_obj_t self_in) {
    umqtt_client_obj_t *client = umqtt_pending_client(self_in);
    mp_obj_t dict = mp_obj_new_dict(umqtt_client_pending_len(client->engine));
    uint16_t pid;
    uint32_t deadline;
    // (an allocation may run a finaliser that changes the table: nth says
    // when the end is reached)
    for (size_t i = 0; umqtt_client_pending_nth(client->engine, i, &pid, &deadline); i++) {
        mp_obj_dict_store(dict, MP_OBJ_NEW_SMALL_INT(pid), umqtt_ticks_obj(deadline));
    }
    return dict;
}

static mp_obj_t umqtt_pending_binary_op(mp_binary_op_t op, mp_obj_t lhs_in, mp_obj_t rhs_in) {
    if (op == MP_BINARY_OP_CONTAINS) {
        return mp_obj_new_bool(umqtt_pending_lookup(lhs_in, rhs_in, false, MP_OBJ_SENTINEL) != MP_OBJ_SENTINEL);
    }
    if (op == MP_BINARY_OP_EQUAL) {
        // Equal to a dict with the same pids and deadlines, as rcv_pids == {} expects.
        return mp_obj_new_bool(mp_obj_equal(umqtt_pending_dict(lhs_in), rhs_in));
    }
    return MP_OBJ_NULL;
}

static mp_obj_t umqtt_pending_getiter(mp_obj_t self_in, mp_obj_iter_buf_t *iter_buf) {
    return mp_getiter(umqtt_pending_dict(self_in), iter_buf);
}

// keys(), values(), items(): the snapshot dict's (views of a dict the table
// no longer changes, as iterating simple2's own dict needs). Other names:
// the locals dict.
static void umqtt_pending_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    if (dest[0] == MP_OBJ_NULL && (attr == MP_QSTR_keys || attr == MP_QSTR_values || attr == MP_QSTR_items)) {
        mp_load_method(umqtt_pending_dict(self_in), attr, dest);
        return;
    }
    dest[1] = MP_OBJ_SENTINEL;
}

static mp_obj_t umqtt_pending_get(size_t n_args, const mp_obj_t *args) {
    return umqtt_pending_lookup(args[0], args[1], false, n_args > 2 ? args[2] : mp_const_none);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(umqtt_pending_get_obj, 2, 3, umqtt_pending_get);

static mp_obj_t umqtt_pending_pop(size_t n_args, const mp_obj_t *args) {
    return umqtt_pending_lookup(args[0], args[1], true, n_args > 2 ? args[2] : MP_OBJ_NULL);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(umqtt_pending_pop_obj, 2, 3, umqtt_pending_pop);

static mp_obj_t umqtt_pending_clear(mp_obj_t self_in) {
    return umqtt_clear_pending(MP_OBJ_FROM_PTR(umqtt_pending_client(self_in)));  // the client's _clear_pending
}
static MP_DEFINE_CONST_FUN_OBJ_1(umqtt_pending_clear_obj, umqtt_pending_clear);

static const mp_rom_map_elem_t umqtt_pending_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR_get), MP_ROM_PTR(&umqtt_pending_get_obj) },
    { MP_ROM_QSTR(MP_QSTR_pop), MP_ROM_PTR(&umqtt_pending_pop_obj) },
    { MP_ROM_QSTR(MP_QSTR_clear), MP_ROM_PTR(&umqtt_pending_clear_obj) },
};
static MP_DEFINE_CONST_DICT(umqtt_pending_locals_dict, umqtt_pending_locals_dict_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    umqtt_pending_type,
    MP_QSTR_rcv_pids,  // (its attribute's name: no name of its own in flash)
    MP_TYPE_FLAG_ITER_IS_GETITER | MP_TYPE_FLAG_EQ_CHECKS_OTHER_TYPE,
    subscr, umqtt_pending_subscr,
    unary_op, umqtt_pending_unary_op,
    binary_op, umqtt_pending_binary_op,
    iter, umqtt_pending_getiter,
    attr, umqtt_pending_attr,
    locals_dict, &umqtt_pending_locals_dict
    );

// The view of `client`'s in-flight table (one per client, made with it).
mp_obj_t umqtt_pending_new(umqtt_client_obj_t *client) {
    return umqtt_client_ref_new(&umqtt_pending_type, MP_OBJ_FROM_PTR(client));
}

// ---------------------------------------------------------------------------
// The default newpid: an iterator over the engine's next free packet ids
// (what _take_pid() returns): 1..65535 in turn, wrapping, skipping ids still
// in flight. A generator doing the same took 96 bytes of heap per client.

// The engine's next free packet id after `after` (0: after the last one
// taken), for newpid and _take_pid.
#if defined(UMQTT_MPLIB) // (one body for both; without _take_pid, inlined)
MP_NOINLINE
#endif
static mp_obj_t umqtt_take_pid(umqtt_client_obj_t *client, uint16_t after) {
    uint16_t pid = 0;
    umqtt_check(client, umqtt_client_next_pid(client->engine, after, &pid), 0);
    return MP_OBJ_NEW_SMALL_INT(pid);
}

static mp_obj_t umqtt_pids_iternext(mp_obj_t self_in) {
    umqtt_client_ref_t *pids = MP_OBJ_TO_PTR(self_in);
    return umqtt_take_pid(umqtt_idle_client_of(pids->client), 0);
}

static MP_DEFINE_CONST_OBJ_TYPE(
    umqtt_pids_type,
    MP_QSTR_newpid,  // (likewise)
    MP_TYPE_FLAG_ITER_IS_ITERNEXT,
    iter, umqtt_pids_iternext
    );

mp_obj_t umqtt_pids_new(mp_obj_t client) {
    return umqtt_client_ref_new(&umqtt_pids_type, client);
}

// ---------------------------------------------------------------------------
// The client's methods on its in-flight table and packet ids.

// _clear_pending(): forget every in-flight pid (clean session).
mp_obj_t umqtt_clear_pending(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    umqtt_client_pending_clear(self->engine);
    return mp_const_none;
}

#if defined(UMQTT_MPLIB)
MP_DEFINE_CONST_FUN_OBJ_1(umqtt_clear_pending_obj, umqtt_clear_pending);

// _pending(): the live rcv_pids mapping.
static mp_obj_t client_pending(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_client_of(self_in);
    return self->pending_view;
}
MP_DEFINE_CONST_FUN_OBJ_1(umqtt_pending_view_obj, client_pending);

// _take_pid(after=0) -> the engine's next free packet id: 1..65535 in
// turn, wrapping, skipping ids still awaiting an ack; `after` (1..65535)
// continues after that id (umqtt.simple's settable `pid`). Every façade's
// default newpid yields these; a newpid the user sets replaces them.
static mp_obj_t client_take_pid(size_t n_args, const mp_obj_t *args) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(args[0]);
    mp_int_t after = n_args > 1 ? mp_obj_get_int(args[1]) : 0;
    return umqtt_take_pid(self, after >= 1 && after <= 65535 ? (uint16_t)after : 0);
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(umqtt_take_pid_obj, 1, 2, client_take_pid);

// _pids() -> an iterator of _take_pid() values: the façades' default newpid.
static mp_obj_t client_pids(mp_obj_t self_in) {
    umqtt_client_of(self_in);
    return umqtt_pids_new(self_in);
}
MP_DEFINE_CONST_FUN_OBJ_1(umqtt_pids_obj, client_pids);
#endif

#endif // MICROPY_PY_UMQTT
