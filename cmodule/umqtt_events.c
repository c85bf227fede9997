// umqtt-rs: the one event dispatcher. A packet the engine has handled
// becomes a message callback and its ack, a status for owner.cbstat, an
// exception, and the receive call's return value, by the conventions the
// caller names: the façade's for check_msg()/wait_msg()/_receive()
// (self->conv->receive), mqtt_as's for _nb_receive() (umqtt_receive_nb).

#include <string.h>

#include "py/objstr.h"
#include "umqtt_glue.h"

#if MICROPY_PY_UMQTT

// owner.cbstat(pid, status), if set.
static void umqtt_call_status(umqtt_client_obj_t *self, uint16_t pid, mp_int_t status) {
    mp_obj_t cbstat = umqtt_owner_attr(self, MP_QSTR_cbstat);
    if (cbstat != mp_const_none) {
        mp_call_function_2(cbstat, MP_OBJ_NEW_SMALL_INT(pid), MP_OBJ_NEW_SMALL_INT(status));
    }
}

// The first refusal (>= 0x80) among SUBACK/UNSUBACK reason codes.
#if defined(UMQTT_MQTT5)
static mp_int_t umqtt_first_error(umqtt_bytes codes) {
    for (size_t i = 0; i < codes.len; i++) {
        if (codes.ptr[i] >= 0x80) {
            return codes.ptr[i];
        }
    }
    return 0x80;
}
#endif

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

// The payload `payload` as a bytes object: the block itself when it lies in
// one (no copy: umqtt_buffers.c), else a copy.
static mp_obj_t umqtt_rx_payload(umqtt_bytes payload, umqtt_body_t *body) {
    const uint8_t *start = body->buf;
    if (start == NULL || payload.ptr < start || payload.ptr + payload.len > start + body->cap) {
        return mp_obj_new_bytes(payload.ptr, payload.len);
    }
    memmove(body->buf, payload.ptr, payload.len);
    vstr_t vstr = {.alloc = body->cap, .len = payload.len, .buf = (char *)body->buf, .fixed_buf = false};
    body->buf = NULL;  // the bytes object owns it now
    return mp_obj_new_bytes_from_vstr(&vstr);
}

// owner.cb(topic, msg[, retained[, dup]][, properties]) for the message
// `ev` reports, with the first n_fixed of those four. The topic and the
// properties are copied out of the packet first; then the payload becomes
// its bytes object (the packet's own block, if it has one: no copy).
static void umqtt_call_cb(umqtt_client_obj_t *self, const umqtt_event *ev, umqtt_body_t *body,
    size_t n_fixed) {
    // (each slot set before the call uses it: no initialiser clearing them all)
    mp_obj_t cb_args[5];
    cb_args[0] = mp_obj_new_bytes(ev->topic.ptr, ev->topic.len);
    cb_args[2] = mp_obj_new_bool(ev->retain);
    cb_args[3] = mp_obj_new_bool(ev->dup);
    size_t n = n_fixed;
    if (UMQTT_IS_V5(self)) {
        cb_args[n++] = umqtt_props_to_dict(self, ev->properties);
    }
    cb_args[1] = umqtt_rx_payload(ev->payload, body);
    mp_obj_t cb = umqtt_owner_attr(self, MP_QSTR_cb);
    if (cb != mp_const_none) {
        mp_call_function_n_kw(cb, n, 0, cb_args);
    }
}

// Hands the message to the callback. For QoS 1/2 the engine has recorded
// the delivery; if anything raises before the callback returns (the
// callback, an allocation), the delivery is closed without an ack, so the
// broker redelivers, and the exception propagates. On return, the ack is
// sent (client_receive_one) or queued (umqtt_accept).
static void umqtt_deliver(umqtt_client_obj_t *self, const umqtt_event *ev, umqtt_body_t *body,
    size_t n_fixed) {
    // (QoS 0 too, through the one call site: it has no record to close)
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        umqtt_call_cb(self, ev, body, n_fixed);
        nlr_pop();
    } else {
        if (ev->qos != 0) {
            umqtt_client_forget(self->engine, ev->qos, ev->pid);
        }
        nlr_jump(nlr.ret_val);
    }
}

// The ack a delivered message owes, once its callback has returned, when
// _nb_receive() handled it: queued for _nb_flush(). A blocking receive
// sends it itself, written on the I/O as the callback left it
// (client_receive_one: UMQTT_ACCEPT).
static void umqtt_accept(umqtt_client_obj_t *self, const umqtt_event *ev, const umqtt_receive_conv_t *rc) {
    #if defined(UMQTT_NONBLOCKING)
    if (rc->queue_acks && ev->qos != 0) {
        umqtt_tables_room(self);
        umqtt_check_io(self, umqtt_client_nb_accept(self->engine, ev->qos, ev->pid));
    }
    #else
    (void)self, (void)ev, (void)rc;
    #endif
}

static mp_obj_t umqtt_result(uint8_t result, const umqtt_event *ev) {
    switch (result) {
        case UMQTT_RESULT_TYPE:
            return MP_OBJ_NEW_SMALL_INT(ev->packet_type << 4);
        case UMQTT_RESULT_FIRST_BYTE:
            // A PUBLISH's (the only event it is asked for): its flags.
            return MP_OBJ_NEW_SMALL_INT(0x30 | (ev->dup ? 0x08 : 0) | (ev->qos << 1) | (ev->retain ? 1 : 0));
        default:
            return mp_const_none;
    }
}

UMQTT_NO_JUMP_TABLE
static mp_obj_t umqtt_dispatch_event(umqtt_client_obj_t *self, const umqtt_event *ev, umqtt_body_t *body,
    const umqtt_receive_conv_t *rc) {
    mp_int_t status;  // for cbstat(pid, status)
    switch (ev->kind) {
        case UMQTT_EVENT_KIND_MESSAGE:
            umqtt_deliver(self, ev, body, rc->cb_fixed_args);
            umqtt_accept(self, ev, rc);
            return umqtt_result(rc->message_result, ev);
        case UMQTT_EVENT_KIND_DELIVERED:
        case UMQTT_EVENT_KIND_SUBSCRIBED:
            status = 1;
            break;
        case UMQTT_EVENT_KIND_UNSUBSCRIBED:
            if (!rc->acks_as_status) {
                return umqtt_result(UMQTT_RESULT_TYPE, ev);  // simple2: check_msg() returns 0xB0
            }
            status = 1;
            break;
        #if defined(UMQTT_MQTT5) // (events of MQTT 5 reason codes and DISCONNECT)
        case UMQTT_EVENT_KIND_UNSUBSCRIBE_FAILED:
        #endif
        case UMQTT_EVENT_KIND_SUBSCRIBE_FAILED:
            #if defined(UMQTT_MQTT5)
            status = umqtt_first_error(ev->codes);
            #else
            status = 0x80;  // MQTT 3's one refusal (the engine leaves codes empty)
            #endif
            if (!rc->acks_as_status) {
                #if defined(UMQTT_MQTT5)
                if (ev->kind == UMQTT_EVENT_KIND_UNSUBSCRIBE_FAILED) {
                    umqtt_raise_code(status);
                }
                #endif
                umqtt_raise_suback_failed(self, status);
            }
            break;
        #if defined(UMQTT_MQTT5)
        case UMQTT_EVENT_KIND_REFUSED:
            // MQTT 5: the broker refused our publish (PUBACK/PUBREC reason >=
            // 0x80): cbstat(pid, reason), then (blocking) MQTTException(reason).
            umqtt_call_status(self, ev->pid, ev->reason);
            if (!rc->acks_as_status) {
                umqtt_raise_code(ev->reason);
            }
            return umqtt_result(UMQTT_RESULT_TYPE, ev);
        case UMQTT_EVENT_KIND_DISCONNECTED:
            umqtt_raise_disconnected(self, ev);
        #endif
        case UMQTT_EVENT_KIND_UNKNOWN_ACK:
            // simple2 status 2: an ack for a pid that is not (or no longer) in flight.
            status = 2;
            break;
        case UMQTT_EVENT_KIND_PONG:
        #if defined(UMQTT_QOS2)
        case UMQTT_EVENT_KIND_DUPLICATE:
        #endif
            return umqtt_result(rc->quiet_result, ev);
        default:
            // PUBREC, PUBREL, PUBCOMP: handled by the engine, body consumed.
            return umqtt_result(UMQTT_RESULT_TYPE, ev);
    }
    umqtt_call_status(self, ev->pid, status);
    return umqtt_result(UMQTT_RESULT_TYPE, ev);
}

// The block a packet was in goes back to the heap once it is handled (if
// the message's payload did not take it). If handling raises, the GC gets
// it: nothing else refers to it.
UMQTT_NO_JUMP_TABLE
mp_obj_t umqtt_dispatch(umqtt_client_obj_t *self, const umqtt_event *ev, umqtt_body_t *body,
    const umqtt_receive_conv_t *rc) {
    #if !defined(UMQTT_MPLIB)
    // simple2's are the only receive conventions in this firmware: constants
    // the compiler folds into the dispatcher (rc is NULL: UMQTT_RECEIVE_CONV).
    static const umqtt_receive_conv_t simple2_only = UMQTT_RECEIVE_SIMPLE2;
    rc = &simple2_only;
    #endif
    mp_obj_t result = umqtt_dispatch_event(self, ev, body, rc);
    umqtt_body_free(body);
    return result;
}

#endif // MICROPY_PY_UMQTT
