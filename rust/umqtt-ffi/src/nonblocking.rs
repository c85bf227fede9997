//! The non-blocking entry points (`umqtt_client_nb_*`, and connect,
//! publish, subscribe and receive with `io_timeout` [`UMQTT_QUEUE`]), for
//! callers that wait on the stream themselves (the asyncio client `mqtt_as`).
//!
//! No call here waits. Outgoing packets are encoded into the engine's
//! transmit queue (`umqtt_core::client::TxQueue`), which lives in the
//! caller's transmit buffer; a packet that does not fit now is refused with
//! [`umqtt_status::WouldBlock`] and nothing changes (the caller flushes and
//! tries again); a packet larger than the whole buffer is refused with
//! [`umqtt_status::BufferTooSmall`] (the C glue grows the buffer first).
//! [`umqtt_client_nb_flush`] writes what the stream takes now and reports
//! how many bytes are left, so the caller waits for writability only while
//! something is pending. Incoming packets are read with zero timeouts: a
//! packet that has only partly arrived stays in the frame reader and the
//! next call continues it. Acks the session owes (PUBACK after
//! [`umqtt_client_nb_accept`], PUBREL, PUBCOMP) join the queue on the next
//! flush, when there is room for them.

use crate::tables::Grown;
use crate::Error;
use umqtt_core::client::{Client, Outgoing, QueueError};
use umqtt_core::EncodeError;

use crate::client::close_delivery;
use crate::driver::{encode_status, Io};
use crate::port::now;
use crate::{
    client_mut, client_ref, result_status, umqtt_client, umqtt_io, umqtt_status, usable_client,
    write_ptr, Result,
};

type Engine = Client<Grown>;

/// Encodes `packet` after the queued bytes (moved to the front first when
/// that makes room), without queueing it yet: its length, for
/// [`TxQueue::append`] (it starts where the queue ends: the offset is not
/// carried through the `Result`). The encoder checks the room, so no
/// length is computed apart. A refusal (`WouldBlock`: flush first;
/// `BufferTooSmall`: it never fits) queues nothing.
///
/// [`TxQueue::append`]: umqtt_core::client::TxQueue::append
pub(crate) fn encode_tail(c: &mut Engine, io: &mut Io<'_>, packet: &Outgoing<'_>) -> Result<usize> {
    let mut need = 0;
    loop {
        let start = c.queue().reserve(io.tx(), need).map_err(|err| match err {
            QueueError::Full => Error::WouldBlock,
            QueueError::TooLarge => Error::BufferTooSmall,
        })?;
        match io.encode_raw(packet, start) {
            Ok(len) => return Ok(len),
            // Once: `reserve` then makes room for the whole packet or refuses.
            Err(EncodeError::BufferTooSmall { needed }) if need == 0 => need = needed,
            Err(err) => return Err(encode_status(err)),
        }
    }
}

/// Appends `packet` to the transmit queue.
pub(crate) fn enqueue(c: &mut Engine, io: &mut Io<'_>, packet: &Outgoing<'_>) -> Result<()> {
    let len = encode_tail(c, io, packet)?;
    c.queue().append(len);
    Ok(())
}

/// Moves the acks the session owes into the queue while they fit.
fn queue_acks(c: &mut Engine, io: &mut Io<'_>) -> Result<()> {
    while let Some(transmit) = c.peek_transmit() {
        match enqueue(c, io, &Outgoing::Ack(transmit)) {
            Ok(()) => {
                c.poll_transmit();
            }
            Err(Error::WouldBlock) => break,
            Err(status) => return Err(status),
        }
    }
    Ok(())
}

/// Writes as much of the transmit queue as the stream takes now, after
/// adding the acks the session owes. `*left` is the number of bytes still
/// queued (0: all written; otherwise wait for writability and call again).
///
/// # Safety
/// `client` initialised; `io` valid for the call; `left` null or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_nb_flush(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    left: *mut usize,
) -> umqtt_status {
    // SAFETY: forwarded contract.
    result_status(unsafe { nb_flush(client, io, left) })
}

unsafe fn nb_flush(client: *mut umqtt_client, io: *const umqtt_io, left: *mut usize) -> Result<()> {
    // SAFETY: forwarded contract.
    let (c, mut io) = unsafe { usable_client(client, io) }?;
    loop {
        queue_acks(c, &mut io)?;
        let (start, end) = c.queue().range();
        if start == end {
            break;
        }
        let n = io.write_now(start, end).map_err(|s| c.fail(s))?;
        if n == 0 {
            break;
        }
        c.queue().consume(n);
    }
    write_ptr(left, c.queue().pending());
    Ok(())
}

/// Bytes waiting in the transmit queue.
///
/// # Safety
/// `client` initialised.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_nb_pending(client: *const umqtt_client) -> usize {
    // SAFETY: forwarded contract.
    unsafe { client_ref(client) }.map_or(0, |c| c.queue_pending())
}

/// `io_timeout` of [`crate::umqtt_client_connect`],
/// [`crate::umqtt_client_publish`] and [`crate::umqtt_client_subscribe`]
/// that queues the packet instead of sending it, as the other non-blocking
/// calls do (`WouldBlock` when the queue has no room now, `BufferTooSmall`
/// when it never has); a `pid` goes in flight once it is queued. Of
/// [`crate::umqtt_client_receive`]: reads without waiting, acks queued.
/// (One entry point for both ways: they share their code.)
pub const UMQTT_QUEUE: i32 = i32::MIN;

/// Queues a PINGREQ (`disconnect` false) or a DISCONNECT (true).
///
/// # Safety
/// `client` initialised; `io` valid for the call.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_nb_control(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    disconnect: bool,
) -> umqtt_status {
    let packet = if disconnect {
        Outgoing::Disconnect
    } else {
        Outgoing::PingReq
    };
    // SAFETY: forwarded contract.
    result_status(unsafe {
        usable_client(client, io).and_then(|(c, mut io)| {
            enqueue(c, &mut io, &packet)?;
            if !disconnect {
                c.handle_ping_sent(now());
            }
            Ok(())
        })
    })
}

/// The message a receive with [`UMQTT_QUEUE`] reported with `qos` and `pid`
/// has been delivered: queue its PUBACK (QoS 1) or PUBREC (QoS 2) for the
/// next flush, once (see [`crate::umqtt_client_receive`], `UMQTT_ACCEPT`).
///
/// # Safety
/// `client` initialised.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_nb_accept(
    client: *mut umqtt_client,
    qos: u8,
    pid: u16,
) -> umqtt_status {
    // SAFETY: forwarded contract.
    result_status(unsafe { client_mut(client) }.and_then(|c| close_delivery(c, qos, pid).map(drop)))
}
