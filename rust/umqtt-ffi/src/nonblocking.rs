//! The non-blocking entry points (`umqtt_client_nb_*`), for callers that
//! wait on the stream themselves (the asyncio client `mqtt_as`).
//!
//! No call here waits. Outgoing packets are encoded into a transmit queue
//! that lives in the caller's transmit buffer (bytes `tx_off..tx_len`); a
//! packet that does not fit now is refused with
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

use umqtt_core::codec::{Disconnect, PingReq};
use umqtt_core::Packet;

use crate::driver::{self, Deadline, Io, Outgoing};
use crate::{
    check_publish_limits, client_mut, close_delivery, handle_connack, io_of, pid_of,
    publish_packet, receive_in, request_packet, result_status, session_status, start_connect,
    track_publish, umqtt_bytes, umqtt_client, umqtt_connect_options, umqtt_event, umqtt_io,
    umqtt_message, umqtt_status, usable_client, write_ptr, Request, Result,
};

/// Makes room for `need` bytes at the end of the transmit queue (moving
/// the pending bytes to the buffer's start if that helps). The offset to
/// encode at, or `WouldBlock` / `BufferTooSmall`.
fn reserve(c: &mut umqtt_client, io: &mut Io<'_>, need: usize) -> Result<usize> {
    let cap = io.tx_cap();
    if need > cap {
        return Err(umqtt_status::BufferTooSmall);
    }
    if c.tx_off == c.tx_len {
        c.tx_off = 0;
        c.tx_len = 0;
    }
    if c.tx_len.checked_add(need).is_some_and(|end| end <= cap) {
        return Ok(c.tx_len);
    }
    if c.tx_off > 0 {
        io.tx_compact(c.tx_off, c.tx_len);
        c.tx_len = c.tx_len.saturating_sub(c.tx_off);
        c.tx_off = 0;
    }
    if c.tx_len.checked_add(need).is_some_and(|end| end <= cap) {
        Ok(c.tx_len)
    } else {
        Err(umqtt_status::WouldBlock)
    }
}

/// Appends `packet` to the transmit queue.
fn enqueue(c: &mut umqtt_client, io: &mut Io<'_>, packet: &Outgoing<'_>) -> Result<()> {
    let start = reserve(c, io, packet.encoded_len())?;
    let len = io.encode_at(packet, start)?;
    c.tx_len = start.checked_add(len).ok_or(umqtt_status::Internal)?;
    Ok(())
}

/// Moves the acks the session owes into the queue while they fit.
fn queue_acks(c: &mut umqtt_client, io: &mut Io<'_>) -> Result<()> {
    while let Some(transmit) = c.session.peek_transmit() {
        match enqueue(c, io, &Outgoing::V3(transmit.packet())) {
            Ok(()) => {
                c.session.poll_transmit();
            }
            Err(umqtt_status::WouldBlock) => break,
            Err(status) => return Err(status),
        }
    }
    Ok(())
}

/// Bytes in the transmit queue.
fn pending(c: &umqtt_client) -> usize {
    c.tx_len.saturating_sub(c.tx_off)
}

/// Encodes CONNECT into the (emptied) transmit queue and starts a new
/// connection on the attached stream; [`umqtt_client_nb_flush`] sends it
/// and [`umqtt_client_nb_connack`] reads the answer. In-flight ids are
/// forgotten for a clean session, as [`crate::umqtt_client_connect`] does.
///
/// # Safety
/// `client` initialised; `io` and `options` valid for the call.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_nb_connect(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    options: *const umqtt_connect_options,
) -> umqtt_status {
    // SAFETY: forwarded contract.
    result_status(unsafe { nb_connect(client, io, options) })
}

unsafe fn nb_connect(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    options: *const umqtt_connect_options,
) -> Result<()> {
    // SAFETY: forwarded contract.
    let (c, mut io, packet) = unsafe { start_connect(client, io, options) }?;
    enqueue(c, &mut io, &packet)
}

/// Reads the CONNACK if it has arrived. `*done` is false while it has not
/// (wait for readability and call again); once true, `*session_present`
/// is set. `*return_code` gets the code of a refusal (`ConnackRefused`),
/// `*connack_properties` the MQTT 5 properties, as for
/// [`crate::umqtt_client_connect`].
///
/// # Safety
/// `client` initialised; `io` valid for the call; outputs null or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_nb_connack(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    done: *mut bool,
    session_present: *mut u8,
    return_code: *mut u8,
    connack_properties: *mut umqtt_bytes,
) -> umqtt_status {
    // SAFETY: forwarded contract.
    result_status(unsafe {
        nb_connack(
            client,
            io,
            done,
            session_present,
            (return_code, connack_properties),
        )
    })
}

unsafe fn nb_connack(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    done: *mut bool,
    session_present: *mut u8,
    (return_code, connack_properties): (*mut u8, *mut umqtt_bytes),
) -> Result<()> {
    // SAFETY: forwarded contract.
    let (c, mut io) = unsafe { usable_client(client, io) }?;
    write_ptr(done, false);
    let frame = match io.read_frame(&mut c.reader, Deadline::after(0), 0) {
        Ok(Some(frame)) => frame,
        Ok(None) | Err(umqtt_status::Timeout) => return Ok(()),
        Err(umqtt_status::Malformed | umqtt_status::PacketTooLarge) => {
            return Err(c.fail(umqtt_status::ConnackInvalid))
        }
        Err(status) => return Err(c.fail(status)),
    };
    let present = handle_connack(c, &mut io, frame, return_code, connack_properties)?;
    write_ptr(session_present, u8::from(present));
    write_ptr(done, true);
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
        if pending(c) == 0 {
            break;
        }
        let n = match io.write_now(c.tx_off, c.tx_len) {
            Ok(n) => n,
            Err(status) => return Err(c.fail(status)),
        };
        if n == 0 {
            break;
        }
        c.tx_off = c.tx_off.saturating_add(n).min(c.tx_len);
        c.session.handle_sent(driver::now());
    }
    write_ptr(left, pending(c));
    Ok(())
}

/// Bytes waiting in the transmit queue.
///
/// # Safety
/// `client` initialised.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_nb_pending(client: *const umqtt_client) -> usize {
    // SAFETY: forwarded contract.
    unsafe { client.as_ref() }.map_or(0, pending)
}

/// Queues a PUBLISH; the bookkeeping of [`crate::umqtt_client_publish`]
/// (start or, with `dup`, resend the `pid`; MQTT 5: the broker's limits,
/// `*detail`) is done only once it is queued. `WouldBlock`: no room now;
/// `BufferTooSmall`: larger than the transmit buffer.
///
/// # Safety
/// `client` initialised; `io` and `message` valid for the call; `detail`
/// null or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_nb_publish(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    message: *const umqtt_message,
    ack_timeout: i32,
    detail: *mut u8,
) -> umqtt_status {
    // SAFETY: forwarded contract.
    result_status(unsafe { nb_publish(client, io, message, ack_timeout, detail) })
}

unsafe fn nb_publish(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    message: *const umqtt_message,
    ack_timeout: i32,
    detail: *mut u8,
) -> Result<()> {
    // SAFETY: forwarded contract.
    let (c, mut io) = unsafe { usable_client(client, io) }?;
    // SAFETY: forwarded contract.
    let m = unsafe { message.as_ref() }.ok_or(umqtt_status::InvalidArgument)?;
    // SAFETY: forwarded contract.
    let (publish, properties) = unsafe { publish_packet(c, m) }?;
    check_publish_limits(c, &publish, properties, detail)?;
    let packet = match properties {
        Some(props) => Outgoing::Publish5(publish, props),
        None => Outgoing::V3(Packet::Publish(publish)),
    };
    // Room first: a refusal leaves the session unchanged.
    let start = reserve(c, &mut io, packet.encoded_len())?;
    let Some(tracking) = track_publish(c, &publish, ack_timeout)? else {
        return Ok(());
    };
    match io.encode_at(&packet, start) {
        Ok(len) => {
            c.tx_len = start.checked_add(len).ok_or(umqtt_status::Internal)?;
            Ok(())
        }
        Err(status) => {
            tracking.undo(c);
            Err(status)
        }
    }
}

/// Queues a SUBSCRIBE (`options` as for [`crate::umqtt_client_subscribe`])
/// or UNSUBSCRIBE (`options` 255) of one filter, with MQTT 5 `properties`;
/// `pid` goes in flight once it is queued.
///
/// # Safety
/// `client` initialised; `io`, `topic` and `properties` valid for the
/// call; `detail` null or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn umqtt_client_nb_subscribe(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    topic: umqtt_bytes,
    options: u8,
    properties: umqtt_bytes,
    pid: u16,
    ack_timeout: i32,
    detail: *mut u8,
) -> umqtt_status {
    // SAFETY: forwarded contract.
    result_status(unsafe {
        nb_subscribe(
            client,
            io,
            (topic, options, properties),
            pid,
            ack_timeout,
            detail,
        )
    })
}

/// `options` value that makes [`umqtt_client_nb_subscribe`] unsubscribe.
pub const UMQTT_NB_UNSUBSCRIBE: u8 = 255;

unsafe fn nb_subscribe(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    (topic, options, properties): (umqtt_bytes, u8, umqtt_bytes),
    pid: u16,
    ack_timeout: i32,
    detail: *mut u8,
) -> Result<()> {
    // SAFETY: forwarded contract.
    let (c, mut io) = unsafe { usable_client(client, io) }?;
    // SAFETY: forwarded contract.
    let filter = unsafe { topic.as_slice() };
    let pid = pid_of(pid)?;
    let ack_deadline = Deadline::after(ack_timeout).instant();
    let request = if options == UMQTT_NB_UNSUBSCRIBE {
        Request::Unsubscribe(filter)
    } else {
        Request::Subscribe(filter, options)
    };
    // SAFETY: forwarded contract.
    let (packet, subscribe) = unsafe { request_packet(c, request, properties, pid, detail) }?;
    let start = reserve(c, &mut io, packet.encoded_len())?;
    if subscribe {
        c.session.start_subscribe(pid, 1, ack_deadline)
    } else {
        c.session.start_unsubscribe(pid, ack_deadline)
    }
    .map_err(session_status)?;
    finish_enqueue(c, &mut io, &packet, start, pid)
}

fn finish_enqueue(
    c: &mut umqtt_client,
    io: &mut Io<'_>,
    packet: &Outgoing<'_>,
    start: usize,
    pid: umqtt_core::Pid,
) -> Result<()> {
    match io.encode_at(packet, start) {
        Ok(len) => {
            c.tx_len = start.checked_add(len).ok_or(umqtt_status::Internal)?;
            Ok(())
        }
        Err(status) => {
            c.session.forget(pid);
            Err(status)
        }
    }
}

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
    // SAFETY: forwarded contract.
    result_status(unsafe { nb_control(client, io, disconnect) })
}

unsafe fn nb_control(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    disconnect: bool,
) -> Result<()> {
    // SAFETY: forwarded contract.
    let (c, mut io) = unsafe { usable_client(client, io) }?;
    let packet = if disconnect {
        Packet::Disconnect(Disconnect)
    } else {
        Packet::PingReq(PingReq)
    };
    enqueue(c, &mut io, &Outgoing::V3(packet))
}

/// Handles at most one incoming packet without waiting. `Ok` with
/// `event->kind == None` when no complete packet is there; `Timeout` when
/// a packet has started but not finished (it is kept; the next call
/// continues it). Acks are queued, not sent: call
/// [`umqtt_client_nb_flush`].
///
/// # Safety
/// `client` initialised; `io` valid for the call; `event` writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_nb_receive(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    event: *mut umqtt_event,
) -> umqtt_status {
    if event.is_null() {
        return umqtt_status::InvalidArgument;
    }
    // SAFETY: forwarded contract.
    let c = match unsafe { client_mut(client) } {
        Ok(c) => c,
        Err(status) => return status,
    };
    if let Err(status) = c.usable() {
        return status;
    }
    // SAFETY: forwarded contract.
    let mut io = match unsafe { io_of(c, io) } {
        Ok(io) => io,
        Err(status) => return status,
    };
    match receive_in(c, &mut io, Deadline::after(0), 0) {
        Ok(ev) => {
            write_ptr(event, ev);
            umqtt_status::Ok
        }
        Err(status) => status,
    }
}

/// The message [`umqtt_client_nb_receive`] reported with `qos` and `pid`
/// has been delivered: queue its PUBACK (QoS 1) or PUBREC (QoS 2) for the
/// next flush, once (see [`crate::umqtt_client_accept`]).
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
    let c = match unsafe { client_mut(client) } {
        Ok(c) => c,
        Err(status) => return status,
    };
    match close_delivery(c, qos, pid) {
        Ok(_) => umqtt_status::Ok,
        Err(status) => status,
    }
}
