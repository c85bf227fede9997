// umqtt-rs: a client's receive and transmit buffers. Each is a small array
// inside the client object; a packet that does not fit gets a heap block of
// its exact size for as long as it needs one. No buffer is sized by a limit:
// max_packet_size bounds what is accepted, it is never allocated up front.
//
// Receive. The engine stops with NEED_BUFFER once a packet's header
// announces a body larger than the receive buffer, before reading any of
// it. umqtt_rx_grow gives it a block of the body's size; for a PUBLISH, that
// block becomes the payload's bytes object (umqtt_events.c's umqtt_rx_payload
// moves the payload to its start and shrinks it in place), so a message is read once
// and never copied. A PUBLISH whose block cannot be allocated is dropped off
// the stream through the inline array (the connection stays in step) and
// the receive raises MQTTException(EMSGSKIPPED); nothing is acknowledged,
// so the broker sends a QoS 1/2 message again on the next connection. Any
// other packet the session needs: MemoryError, and it is still waiting,
// unread, for the next call.
//
// Transmit. A packet is encoded in one piece, a PUBLISH up to its payload
// (which the engine writes from the caller's object), so only a packet with
// a long topic, client id, will or property block needs more than the
// inline array: umqtt_tx_reserve grows the buffer before the call, and
// umqtt_tx_release gives the block back once the non-blocking queue (which
// lives in this buffer, payloads included) is empty. (A mutable payload
// Python-level I/O could resize: umqtt_client.c's umqtt_stable_payload.)
//
// The session's tables (packet ids in flight, QoS 2 messages awaiting
// PUBREL, acks owed) are rows in a block of their own, grown the same way:
// none until the first receive or exchange, then 1, 2, 4... rows of
// umqtt_row_size() bytes up to the in-flight limit (32).
//
// The blocks hang off the client object, so the GC sees them while Python
// code runs in the middle of a read (a socket hook, a callback).

#include <string.h>

#include "py/objstr.h"
#include "umqtt_glue.h"

#if MICROPY_PY_UMQTT

void umqtt_rx_grow(umqtt_client_obj_t *self) {
    size_t len = 0;
    if (!umqtt_client_pending_body(self->engine, false, &len)) {
        umqtt_raise_status(self, UMQTT_STATUS_INTERNAL, 0);
    }
    // A block still attached belonged to a packet a reset abandoned.
    umqtt_body_t old = umqtt_rx_take(self);
    umqtt_body_free(&old);
    // +1: the NUL a bytes object made from the block gets.
    uint8_t *block = m_malloc_maybe(len + 1);
    if (block == NULL) {
        if (umqtt_client_pending_body(self->engine, true, NULL)) {
            return;  // a PUBLISH: read through rx_inline and dropped
        }
        block = m_malloc(len + 1);  // raises MemoryError; the packet waits, unread
    }
    self->io.rx = block;
    self->io.rx_cap = len + 1;
}

umqtt_body_t umqtt_rx_take(umqtt_client_obj_t *self) {
    umqtt_body_t body = {.buf = NULL, .cap = 0};
    if (self->io.rx != self->rx_inline) {
        body.buf = self->io.rx;
        body.cap = self->io.rx_cap;
        self->io.rx = self->rx_inline;
        self->io.rx_cap = sizeof(self->rx_inline);
    }
    return body;
}

void umqtt_body_free(umqtt_body_t *body) {
    if (body->buf != NULL) {
        m_del(uint8_t, body->buf, body->cap);
        body->buf = NULL;
    }
}

bool umqtt_tx_reserve(umqtt_client_obj_t *self, size_t need, bool queued) {
    // The non-blocking queue may hold packets already: room for this one
    // after them while the queue stays under UMQTT_TX_QUEUE (beyond, the
    // caller flushes and tries again), and for this one alone in any case.
    size_t pending = queued ? umqtt_queued(self) : 0;
    if (pending + need <= UMQTT_TX_QUEUE) {
        need += pending;
    }
    if (need <= self->io.tx_cap) {
        return false;
    }
    uint8_t *block = m_new(uint8_t, need);
    memcpy(block, self->io.tx, self->io.tx_cap);  // the non-blocking queue's bytes
    if (self->io.tx != self->tx_inline) {
        m_del(uint8_t, self->io.tx, self->io.tx_cap);
    }
    self->io.tx = block;
    self->io.tx_cap = need;
    return true;
}

void umqtt_tables_room(umqtt_client_obj_t *self) {
    size_t rows = umqtt_client_rows_wanted(self->engine);
    if (rows == 0) {
        return;
    }
    uint8_t *block = m_new(uint8_t, rows * umqtt_row_size());
    umqtt_check(self, umqtt_client_move_tables(self->engine, block, rows), 0);
    if (self->rows != NULL) {
        m_del(uint8_t, self->rows, self->rows_n * umqtt_row_size());
    }
    self->rows = block;
    self->rows_n = rows;
}

void umqtt_tx_release(umqtt_client_obj_t *self) {
    if (self->io.tx != self->tx_inline && umqtt_queued(self) == 0) {
        m_del(uint8_t, self->io.tx, self->io.tx_cap);
        self->io.tx = self->tx_inline;
        self->io.tx_cap = sizeof(self->tx_inline);
    }
}

#endif // MICROPY_PY_UMQTT
