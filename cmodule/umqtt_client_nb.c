// umqtt-rs: the non-blocking entry points (_nb_*) of Client, for the
// asyncio client (mqtt_as), and the stream protocol it polls the client by.
//
// None of them waits. Outgoing packets go to a transmit queue in the tx
// buffer; _nb_flush() writes what the socket takes now and returns how many
// bytes are left, so the caller awaits writability (of this object: see
// client_stream_ioctl) only while something is pending. Reads use zero
// timeouts: a packet that has only partly arrived is kept and continued by
// the next call. What _nb_receive() reports, and how: umqtt_receive_nb
// (modumqtt.c) -- cb(topic, msg, retained) for a message, cbstat(pid,
// status) for every ack and refusal.

#include "umqtt_glue.h"

#if MICROPY_PY_UMQTT && defined(UMQTT_NONBLOCKING)

// _nb_connect(clean, version=4, properties=None): queue CONNECT on the
// attached socket (MQTT 5 as for _connect).
static mp_obj_t client_nb_connect(size_t n_args, const mp_obj_t *args) {
    return umqtt_connect_with(n_args, args, true);  // (umqtt_simple2.c: one body with _connect)
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(umqtt_nb_connect_obj, 2, 4, client_nb_connect);

// _nb_connack() -> None (not yet) or the session-present flag; raises as
// _connect() does for a refused or invalid CONNACK.
static mp_obj_t client_nb_connack(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    umqtt_require_socket(self);
    umqtt_connack_t ack = {.session_present = 0, .return_code = 0, .props = {.ptr = NULL, .len = 0}};
    umqtt_status st = umqtt_connect_call(self, NULL, UMQTT_QUEUE, &ack);
    if (st == UMQTT_STATUS_TIMEOUT) {
        return mp_const_none;  // not yet (a partial CONNACK keeps its buffer)
    }
    umqtt_connack_done(self, st, ack.props);  // (st OK: done)
    umqtt_check(self, st, ack.return_code);
    return MP_OBJ_NEW_SMALL_INT(ack.session_present);
}
MP_DEFINE_CONST_FUN_OBJ_1(umqtt_nb_connack_obj, client_nb_connack);

// _nb_flush() -> bytes still queued (0: all written).
static mp_obj_t client_nb_flush(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    umqtt_require_socket(self);
    size_t left = 0;
    umqtt_check(self, umqtt_client_nb_flush(self->engine, &self->io, &left), 0);
    umqtt_tx_release(self);  // once the queue is empty
    return MP_OBJ_NEW_SMALL_INT(left);
}
MP_DEFINE_CONST_FUN_OBJ_1(umqtt_nb_flush_obj, client_nb_flush);

// _nb_pending() -> bytes queued.
static mp_obj_t client_nb_pending(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    return MP_OBJ_NEW_SMALL_INT(umqtt_client_nb_pending(self->engine));
}
MP_DEFINE_CONST_FUN_OBJ_1(umqtt_nb_pending_obj, client_nb_pending);

// _nb_publish(topic, msg, retain, qos, dup, pid, properties=None) -> True if
// queued, False if the queue has no room now (flush, then call again). The
// tx buffer grows to hold a PUBLISH larger than it (until the queue has
// drained: umqtt_tx_release). The pid stays in flight
// without deadline until its PUBACK (the caller times republication).
static mp_obj_t client_nb_publish(size_t n_args, const mp_obj_t *args) {
    return umqtt_publish_with_pid(n_args, args, true);  // (umqtt_client.c: one body with _republish)
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(umqtt_nb_publish_obj, 7, 8, client_nb_publish);

// _nb_subscribe(topic, qos, pid, properties=None) -> True if queued, False
// if no room now. MQTT 5: qos may carry subscription options (see subscribe).
static mp_obj_t client_nb_subscribe(size_t n_args, const mp_obj_t *args) {
    return umqtt_subscription(n_args, args, true, false);  // (umqtt_client.c: one body with subscribe)
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(umqtt_nb_subscribe_obj, 4, 5, client_nb_subscribe);

// _nb_unsubscribe(topic, pid, properties=None) -> True if queued, False if
// no room now.
static mp_obj_t client_nb_unsubscribe(size_t n_args, const mp_obj_t *args) {
    return umqtt_subscription(n_args, args, true, true);
}
MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(umqtt_nb_unsubscribe_obj, 3, 4, client_nb_unsubscribe);

// _nb_ping() / _nb_disconnect() -> True if queued, False if no room now.
// (One body for both: GCC would copy it into each.)
static MP_NOINLINE mp_obj_t umqtt_nb_control(mp_obj_t self_in, bool disconnect) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    umqtt_require_socket(self);
    return umqtt_nb_queued(self, umqtt_client_nb_control(self->engine, &self->io, disconnect), 0);
}

static mp_obj_t client_nb_ping(mp_obj_t self_in) {
    return umqtt_nb_control(self_in, false);
}
MP_DEFINE_CONST_FUN_OBJ_1(umqtt_nb_ping_obj, client_nb_ping);

static mp_obj_t client_nb_disconnect(mp_obj_t self_in) {
    return umqtt_nb_control(self_in, true);
}
MP_DEFINE_CONST_FUN_OBJ_1(umqtt_nb_disconnect_obj, client_nb_disconnect);

// _nb_receive() -> 0: no complete packet; -1: a packet has partly arrived
// (kept; call again when readable); else the handled packet's type << 4
// (umqtt_receive_nb). Acks it owes are queued for _nb_flush().
static mp_obj_t client_nb_receive(mp_obj_t self_in) {
    umqtt_client_obj_t *self = umqtt_idle_client_of(self_in);
    umqtt_require_socket(self);
    umqtt_tables_room(self);
    umqtt_event ev;
    umqtt_status st;
    for (;;) {  // again with a larger buffer after NEED_BUFFER (one call site)
        st = umqtt_client_receive(self->engine, &self->io, 0, UMQTT_QUEUE, &ev);
        if (st != UMQTT_STATUS_NEED_BUFFER) {
            break;
        }
        umqtt_rx_grow(self);
    }
    if (st == UMQTT_STATUS_TIMEOUT) {
        return MP_OBJ_NEW_SMALL_INT(-1);  // a partial packet keeps its buffer
    }
    umqtt_check_io(self, st);
    if (ev.kind == UMQTT_EVENT_KIND_NONE) {
        return MP_OBJ_NEW_SMALL_INT(0);
    }
    umqtt_body_t body = umqtt_rx_take(self);
    return umqtt_dispatch(self, &ev, &body, &umqtt_receive_nb);
}
MP_DEFINE_CONST_FUN_OBJ_1(umqtt_nb_receive_obj, client_nb_receive);

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
    mp_obj_t native = umqtt_native_client_or_null(self_in);
    int err = MP_EINVAL;
    if (native == MP_OBJ_NULL) {
        goto error;
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
        err = MP_EBADF;
        goto error;
    }
    const mp_obj_type_t *type = mp_obj_get_type(sock);
    const mp_stream_p_t *proto = MP_OBJ_TYPE_GET_SLOT_OR_NULL(type, protocol);
    if (proto == NULL || proto->ioctl == NULL) {
        if (request == MP_STREAM_POLL) {
            return arg & (MP_STREAM_POLL_RD | MP_STREAM_POLL_WR);  // duck-typed: always ready
        }
        goto error;
    }
    #ifdef MP_STREAM_GET_FILENO
    if (request == MP_STREAM_GET_FILENO && type->name != MP_QSTR_socket) {
        goto error;
    }
    #endif
    return proto->ioctl(sock, request, arg, errcode);
error:
    *errcode = err;
    return MP_STREAM_ERROR;
}

const mp_stream_p_t umqtt_client_stream_p = {
    .ioctl = client_stream_ioctl,
};

#endif // MICROPY_PY_UMQTT && UMQTT_NONBLOCKING
