// umqtt-rs: what the engine received -- a message for owner.cb, a status
// for owner.cbstat, acks whose time ran out.

#include "umqtt_glue.h"

#if MICROPY_PY_UMQTT

// owner.cbstat(pid, status), if set.
void umqtt_call_status(umqtt_client_obj_t *self, uint16_t pid, mp_int_t status) {
    mp_obj_t cbstat = umqtt_owner_attr(self, MP_QSTR_cbstat);
    if (cbstat != mp_const_none) {
        mp_call_function_2(cbstat, MP_OBJ_NEW_SMALL_INT(pid), MP_OBJ_NEW_SMALL_INT(status));
    }
}

// The first refusal (>= 0x80) among MQTT 5 SUBACK/UNSUBACK reason codes.
mp_int_t umqtt_first_error(umqtt_bytes codes) {
    for (size_t i = 0; i < codes.len; i++) {
        if (codes.ptr[i] >= 0x80) {
            return codes.ptr[i];
        }
    }
    return 0x80;
}

// Reports acks whose time ran out: cbstat(pid, 0). At most as many as were
// in flight when it started: a cbstat that puts an expired pid back into
// rcv_pids gets it reported again by the next call, not in an endless loop.
void umqtt_report_expired(umqtt_client_obj_t *self) {
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
void umqtt_deliver(umqtt_client_obj_t *self, const umqtt_event *ev, size_t n_fixed) {
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

#endif // MICROPY_PY_UMQTT
