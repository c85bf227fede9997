//! The blocking operations: each sends its packet (waiting for the stream
//! within `io_timeout` ms) or reads one, over the engine of
//! `umqtt_core::client`. Timeouts are in ms, `UMQTT_PORT_FOREVER` (-1) for
//! none. Whatever the non-blocking entry points queued is sent first, so
//! packets leave in the order they were made.

use crate::tables::Grown;
use crate::Error;
use umqtt_core::client::{Client, Message, Outgoing, PublishPacket, Tracking};
use umqtt_core::codec::{Connect, LastWill, Publish};
use umqtt_core::{Pid, ProtocolVersion, QosPid, TopicName};

use crate::driver::{Deadline, Io};
use crate::port::now;
use crate::{
    client_mut, io_of, pid_of, qos_of, result_status, status_with_detail, str_of, umqtt_bytes,
    umqtt_client, umqtt_event, umqtt_io, umqtt_status, usable_client, write_ptr, Result,
};

type Engine = Client<Grown>;

/// What CONNECT carries. Byte strings are borrowed for the call only.
#[repr(C)]
pub struct umqtt_connect_options {
    /// Client identifier (UTF-8; may be empty with a clean session).
    pub client_id: umqtt_bytes,
    /// Whether `username` is present.
    pub has_username: bool,
    /// User name (UTF-8).
    pub username: umqtt_bytes,
    /// Whether `password` is present.
    pub has_password: bool,
    /// Password (binary).
    pub password: umqtt_bytes,
    /// Whether a last will is set.
    pub has_will: bool,
    /// Will topic (a valid topic name).
    pub will_topic: umqtt_bytes,
    /// Will message.
    pub will_message: umqtt_bytes,
    /// Will QoS, 0..=2.
    pub will_qos: u8,
    /// Will retain flag.
    pub will_retain: bool,
    /// Keep-alive in seconds, 0 disables.
    pub keepalive: u16,
    /// Clean session flag.
    pub clean_session: bool,
    /// 3 for MQTT 3.1 (`MQIsdp`), 4 for MQTT 3.1.1, 5 for MQTT 5. A version
    /// the build left out (features `mqtt31`, `mqtt5`) is `InvalidArgument`.
    pub version: u8,
    /// MQTT 5: the CONNECT's property block (see `umqtt_props_put`).
    pub properties: umqtt_bytes,
    /// MQTT 5: the will's property block.
    pub will_properties: umqtt_bytes,
}

/// An outgoing PUBLISH, as [`umqtt_client_publish`] takes it.
#[repr(C)]
pub struct umqtt_message {
    /// Topic name (empty: MQTT 5, sent by its Topic Alias).
    pub topic: umqtt_bytes,
    /// Payload.
    pub msg: umqtt_bytes,
    /// QoS 0..=2.
    pub qos: u8,
    /// Retain flag.
    pub retain: bool,
    /// DUP flag: a resend (see [`umqtt_client_publish`]).
    pub dup: bool,
    /// Packet id for QoS 1/2 (1..=65535).
    pub pid: u16,
    /// MQTT 5: the PUBLISH's property block; empty on MQTT 3.
    pub properties: umqtt_bytes,
    /// `topic` holds the very bytes an earlier publish accepted as a topic
    /// name, which cannot have changed since (the C glue sets it for the
    /// same immutable object it keeps): a QoS 0 publish does not check
    /// them again. Never set it for anything else.
    pub topic_checked: bool,
}

/// Sends CONNECT and waits up to `io_timeout` for the CONNACK.
/// `*return_code` gets the CONNACK code (also on `ConnackRefused`); on
/// MQTT 5, `*connack_properties` the CONNACK's property block (in the
/// receive buffer, valid until the next read; also on `ConnackRefused`).
///
/// With `options` null, continues a call that returned `NeedBuffer` (a
/// CONNACK larger than the receive buffer): reads the rest of the CONNACK
/// into `io`'s buffer, within `io_timeout`, with the same outputs.
///
/// With `io_timeout` `UMQTT_QUEUE` (the non-blocking calls), nothing
/// waits: with `options`, encodes CONNECT into the (emptied) transmit
/// queue and starts a new connection on the attached stream (the outputs
/// are not written; `umqtt_client_nb_flush` sends it); with `options`
/// null, reads the CONNACK if it has arrived: `Timeout` while it has not
/// (wait for readability and call again; a partial CONNACK is kept), else
/// as above. (One entry point for the four: they share their code.)
///
/// # Safety
/// `client` initialised; `io` and `options` (unless null) valid for the
/// call, with their byte strings; outputs null or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_connect(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    options: *const umqtt_connect_options,
    io_timeout: i32,
    session_present: *mut u8,
    return_code: *mut u8,
    connack_properties: *mut umqtt_bytes,
) -> umqtt_status {
    let outputs = (session_present, return_code, connack_properties);
    // SAFETY: forwarded contract.
    result_status(unsafe { connect(client, io, options, io_timeout, outputs) })
}

unsafe fn connect(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    options: *const umqtt_connect_options,
    io_timeout: i32,
    outputs: (*mut u8, *mut u8, *mut umqtt_bytes),
) -> Result<()> {
    // SAFETY: forwarded contract.
    let (c, mut io) = unsafe { (client_mut(client)?, io_of(io)?) };
    #[cfg(feature = "nonblocking")]
    let queue = queues(io_timeout);
    // The non-blocking CONNACK: read if it has come (`Timeout`: not yet).
    #[cfg(feature = "nonblocking")]
    if queue && options.is_null() {
        c.usable()?;
        return read_connack(c, &mut io, Deadline::after(0), 0, outputs);
    }
    let mut deadline = Deadline::after(io_timeout);
    // SAFETY: forwarded contract.
    if let Some(options) = unsafe { options.as_ref() } {
        // SAFETY: forwarded contract.
        let packet = unsafe { prepare_connect(c, &mut io, options) }?;
        // The non-blocking connect: queued (`umqtt_client_nb_flush` sends it).
        #[cfg(feature = "nonblocking")]
        if queue {
            return crate::nonblocking::enqueue(c, &mut io, &packet);
        }
        io.send(&packet, &mut deadline).map_err(|s| c.fail(s))?;
    } // else resumed: the CONNECT has gone
    await_connack(c, &mut io, deadline, io_timeout, outputs)
}

/// Reads the answer to CONNECT, which must be a CONNACK (anything else is
/// simple2's ECONLENGTH), and handles it.
fn await_connack(
    c: &mut Engine,
    io: &mut Io<'_>,
    #[cfg_attr(not(feature = "qos2"), allow(unused_mut))] mut deadline: Deadline,
    io_timeout: i32,
    outputs: (*mut u8, *mut u8, *mut umqtt_bytes),
) -> Result<()> {
    read_connack(c, io, deadline, io_timeout, outputs).map_err(|status| match status {
        Error::Timeout => c.fail(status),
        _ => status,
    })?;
    // A resumed session re-sends PUBREL for released QoS 2 publishes
    // (without them nothing is ever queued by then).
    #[cfg(feature = "qos2")]
    flush_acks(c, io, &mut deadline)?;
    Ok(())
}

/// Reads and handles the answer to CONNECT (blocking and non-blocking
/// paths): `Timeout` if it has not come (also mid-packet), the connection
/// left to the caller; the return code and MQTT 5 properties are written
/// out (also on a refusal), then the session-present flag.
fn read_connack(
    c: &mut Engine,
    io: &mut Io<'_>,
    first: Deadline,
    rest_ms: i32,
    (session_present, return_code, connack_properties): (*mut u8, *mut u8, *mut umqtt_bytes),
) -> Result<()> {
    let frame = match io.read_frame(c.reader(), first, rest_ms) {
        Ok(Some(frame)) => frame,
        Ok(None) | Err(Error::Timeout) => return Err(Error::Timeout),
        Err(Error::NeedBuffer) => return Err(Error::NeedBuffer),
        Err(Error::Malformed | Error::PacketTooLarge) => return Err(c.fail(Error::ConnackInvalid)),
        Err(status) => return Err(c.fail(status)),
    };
    let (body, _) = io.frame_parts(frame)?;
    let connack = c.handle_connack(now(), frame, body)?;
    write_ptr(return_code, connack.return_code);
    write_ptr(
        connack_properties,
        umqtt_bytes::of(connack.properties.as_bytes()),
    );
    if !connack.is_accepted() {
        return Err(Error::ConnackRefused);
    }
    write_ptr(session_present, u8::from(connack.session_present));
    Ok(())
}

/// The CONNECT `o` describes, prepared by the engine (the previous
/// connection forgotten, the inbound aliases cleared).
///
/// # Safety
/// The byte strings of `o` are valid for `'a`.
unsafe fn prepare_connect<'a>(
    c: &mut Engine,
    io: &mut Io<'_>,
    o: &'a umqtt_connect_options,
) -> Result<Outgoing<'a>> {
    // SAFETY: forwarded contract.
    let connect = unsafe { connect_packet(o) }?;
    // SAFETY: forwarded contract.
    let (props, will) = unsafe { (o.properties.as_slice(), o.will_properties.as_slice()) };
    let packet = c.prepare_connect(now(), connect, props, will, io.aliases_len())?;
    // Only MQTT 5 reads the store (`Client::handle_frame`).
    if cfg!(feature = "mqtt5") {
        io.clear_aliases();
    }
    Ok(packet)
}

/// The CONNECT packet `o` describes.
///
/// # Safety
/// The byte strings of `o` are valid for `'a`.
unsafe fn connect_packet(o: &umqtt_connect_options) -> Result<Connect<'_>> {
    let version = match o.version {
        #[cfg(feature = "mqtt31")]
        3 => ProtocolVersion::V31,
        4 => ProtocolVersion::V311,
        // Without feature `mqtt5` refused here, before the strings are
        // checked: the version is then a constant and its checks fold away.
        #[cfg(feature = "mqtt5")]
        5 => ProtocolVersion::V5,
        _ => return Err(Error::InvalidArgument),
    };
    // SAFETY: the option strings are valid for the call.
    let (client_id, username, password, will_topic, will_message) = unsafe {
        (
            o.client_id.as_slice(),
            o.username.as_slice(),
            o.password.as_slice(),
            o.will_topic.as_slice(),
            o.will_message.as_slice(),
        )
    };
    let will = if o.has_will {
        Some(LastWill {
            topic: TopicName::new(will_topic).map_err(|_| Error::InvalidTopic)?,
            message: will_message,
            qos: qos_of(o.will_qos)?,
            retain: o.will_retain,
        })
    } else {
        None
    };
    Ok(Connect {
        version,
        client_id: str_of(client_id)?,
        clean_session: o.clean_session,
        keep_alive: o.keepalive,
        will,
        username: if o.has_username {
            Some(str_of(username)?)
        } else {
            None
        },
        password: o.has_password.then_some(password),
    })
}

/// The engine's message for `m`, whose topic and payload are `text`:
/// `InvalidQos` above QoS 2, `InvalidArgument` for QoS 1/2 without a pid,
/// and for QoS 2 without feature `qos2`; a QoS 0 message's pid is ignored.
///
/// # Safety
/// The byte strings of `m` are valid for `'a`.
#[inline]
unsafe fn message_of<'a>(m: &'a umqtt_message, text: Text<'a>) -> Result<Message<'a>> {
    let qos_pid = match (m.qos, Pid::new(m.pid)) {
        (0, _) => QosPid::AtMostOnce,
        (1, Some(pid)) => QosPid::AtLeastOnce(pid),
        #[cfg(feature = "qos2")]
        (2, Some(pid)) => QosPid::ExactlyOnce(pid),
        #[cfg(feature = "qos2")]
        (1..=2, None) => return Err(Error::InvalidArgument),
        #[cfg(not(feature = "qos2"))]
        (1..=2, _) => return Err(Error::InvalidArgument),
        _ => return Err(Error::InvalidQos),
    };
    let (topic, payload) = text;
    // SAFETY: forwarded contract.
    let properties = unsafe { m.properties.as_slice() };
    Ok(Message {
        topic,
        payload,
        qos_pid,
        retain: m.retain,
        dup: m.dup,
        properties,
    })
}

/// A message's topic and payload, as slices.
type Text<'a> = (&'a [u8], &'a [u8]);

/// The PUBLISH of `m`, checked and prepared by the engine (the blocking
/// and non-blocking publish); `*detail` as [`umqtt_client_publish`] says.
///
/// # Safety
/// The byte strings of `m` are valid for `'a`.
unsafe fn publish_packet<'a>(
    c: &Engine,
    m: &'a umqtt_message,
    text: Text<'a>,
    detail: *mut u8,
) -> Result<PublishPacket<'a>> {
    // SAFETY: forwarded contract.
    let m = unsafe { message_of(m, text) }?;
    c.prepare_publish(&m)
        .map_err(|e| status_with_detail(e, detail))
}

/// Puts a QoS 1/2 publish's id in flight until `ack_timeout` (blocking and
/// non-blocking paths), as [`Client::track_publish`].
// `extern "C"`: its result in two registers (see `usable_client`).
#[allow(improper_ctypes_definitions)]
extern "C" fn track_publish(
    c: &mut Engine,
    publish: &Publish<'_>,
    ack_timeout: i32,
) -> Result<Option<Tracking>> {
    let ack_deadline = match publish.qos_pid {
        QosPid::AtMostOnce => None, // QoS 0: no ack, and no clock read
        _ => Deadline::instant_after(ack_timeout),
    };
    Ok(c.track_publish(publish, ack_deadline)?)
}

/// Sends a PUBLISH. For QoS 1/2, `pid` (1..=65535) goes in flight with an
/// ack deadline of `ack_timeout` ms. A packet larger than the transmit
/// buffer sends its payload straight from `msg` in a second write.
///
/// With `dup` set this is a resend (MQTT §4.4, after a reconnect on a
/// resumed session): a `pid` already in flight at the same QoS, awaiting
/// its PUBACK/PUBREC, is sent again with a renewed deadline instead of
/// failing with `PidInUse`; a QoS 2 `pid` that already got its PUBREC is
/// not sent again (its PUBREL is) and the call succeeds; a `pid` not in
/// flight goes in flight as usual.
///
/// MQTT 5: `properties` is the PUBLISH's property block (empty on MQTT 3);
/// with a Topic Alias in it, an empty `topic` sends the alias alone. The
/// broker's CONNACK limits are checked first (`BrokerLimit`, `*detail`
/// naming the limit for `umqtt_text`).
///
/// # Safety
/// `client` initialised; `io` and `message` valid for the call, with its
/// byte strings; `detail` null or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_publish(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    message: *const umqtt_message,
    ack_timeout: i32,
    io_timeout: i32,
    detail: *mut u8,
) -> umqtt_status {
    // SAFETY: forwarded contract.
    result_status(unsafe { publish(client, io, message, (ack_timeout, io_timeout), detail) })
}

unsafe fn publish(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    message: *const umqtt_message,
    (ack_timeout, io_timeout): (i32, i32),
    detail: *mut u8,
) -> Result<()> {
    // The non-blocking publish queues the PUBLISH; its bookkeeping is done
    // only once it is queued.
    let queue = queues(io_timeout);
    let mut deadline = Deadline::after(io_timeout);
    // SAFETY: forwarded contract.
    let (c, mut io) = unsafe { calling_client(client, io, queue, &mut deadline) }?;
    // SAFETY: forwarded contract.
    let message = unsafe { message.as_ref() }.ok_or(Error::InvalidArgument)?;
    // One `Outgoing` both ways, in place: the queue encodes it, the send
    // takes its packet (not a second copy of the packet for the queue).
    let out: Outgoing<'_>;
    // SAFETY: forwarded contract.
    // Both ways take them: made once.
    // SAFETY: forwarded contract.
    let text = unsafe { (message.topic.as_slice(), message.msg.as_slice()) };
    // SAFETY: forwarded contract.
    let tracking = match unsafe { qos0_packet(c, message, text) } {
        Some(packet) if !queue => {
            out = Outgoing::Publish(packet);
            Tracking::None // QoS 0: nothing to track
        }
        _ => {
            // SAFETY: forwarded contract.
            out = Outgoing::Publish(unsafe { publish_packet(c, message, text, detail) }?);
            let Outgoing::Publish(packet) = &out else {
                return Err(Error::Internal);
            };
            // Queued, it is encoded first: a refusal leaves the session unchanged.
            #[cfg(feature = "nonblocking")]
            let queued = match queue {
                true => crate::nonblocking::encode_tail(c, &mut io, &out)?,
                false => 0,
            };
            let Some(tracking) = track_publish(c, &packet.publish, ack_timeout)? else {
                return Ok(()); // QoS 2 past its PUBREC: the PUBREL is due instead
            };
            // Nothing can fail after the tracking: no undo.
            #[cfg(feature = "nonblocking")]
            if queue {
                c.queue().append(queued);
                return Ok(());
            }
            tracking
        }
    };
    let Outgoing::Publish(packet) = &out else {
        return Err(Error::Internal);
    };
    if let Err(status) = io.send_publish(packet, &mut deadline) {
        tracking.undo(c);
        return Err(send_failed(c, status));
    }
    Ok(())
}

/// The PUBLISH of a QoS 0 message without properties or DUP on MQTT 3 to
/// a topic `topic_checked` says an earlier publish made, by the engine's
/// shortcut ([`Client::prepare_publish_qos0`]): the checks of
/// `prepare_publish` that apply to it pass, the topic's skipped. `None`
/// for any other message (`prepare_publish` checks it, one topic check in
/// the code).
///
/// # Safety
/// `text` is `m`'s topic and payload; `topic_checked` as documented.
#[inline]
unsafe fn qos0_packet<'a>(
    c: &Engine,
    m: &umqtt_message,
    (topic, payload): Text<'a>,
) -> Option<PublishPacket<'a>> {
    if m.qos != 0 || m.dup || m.properties.len != 0 || !m.topic_checked {
        return None;
    }
    if topic.is_empty() {
        return None;
    }
    // SAFETY: the caller vouches that an earlier publish accepted these bytes.
    let topic = unsafe { TopicName::new_unchecked(topic) };
    c.prepare_publish_qos0(topic, payload, m.retain)
}

/// A PUBLISH that did not go out: an argument the encoder refused leaves
/// the connection as it was; anything else breaks it (bytes may be half sent).
fn send_failed(c: &mut Engine, status: Error) -> Error {
    match status {
        Error::BufferTooSmall | Error::InvalidArgument => status,
        other => c.fail(other),
    }
}

/// Sends SUBSCRIBE for one filter; `pid` goes in flight until its SUBACK.
/// `options`: the QoS in bits 0-1; MQTT 5 adds No Local (bit 2), Retain
/// As Published (bit 3) and Retain Handling (bits 4-5), and `properties`
/// (e.g. a Subscription Identifier). `*detail` as for publish. `options`
/// [`UMQTT_UNSUBSCRIBE`] sends UNSUBSCRIBE instead (MQTT 5: with
/// `properties`), `pid` in flight until its UNSUBACK. (One entry point for
/// both: they share their code.)
///
/// # Safety
/// `client` initialised; `io`, `topic` and `properties` valid for the
/// call; `detail` null or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn umqtt_client_subscribe(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    topic: umqtt_bytes,
    options: u8,
    properties: umqtt_bytes,
    pid: u16,
    ack_timeout: i32,
    io_timeout: i32,
    detail: *mut u8,
) -> umqtt_status {
    let request = (topic, (options != UMQTT_UNSUBSCRIBE).then_some(options));
    // SAFETY: forwarded contract.
    result_status(unsafe {
        request_ack(
            client,
            io,
            (request, properties, pid),
            (ack_timeout, io_timeout),
            detail,
        )
    })
}

/// `options` value that makes [`umqtt_client_subscribe`] unsubscribe.
pub const UMQTT_UNSUBSCRIBE: u8 = 255;

/// A SUBSCRIBE (filter, `Some(options)`) or UNSUBSCRIBE (filter, `None`)
/// of one filter, as [`Client::prepare_request`] takes it.
type Request = (umqtt_bytes, Option<u8>);

/// The packet of `request`, prepared by the engine, encoded at the start
/// of the transmit buffer's free room (blocking and non-blocking paths),
/// with `pid` put in flight until `ack_timeout`: its length. Encoded
/// first (it checks the room): a refusal leaves the session as it was.
///
/// # Safety
/// The byte strings are valid for the call.
unsafe fn tracked_request(
    c: &mut Engine,
    io: &mut Io<'_>,
    (request, properties, pid): (Request, umqtt_bytes, u16),
    ack_timeout: i32,
    detail: *mut u8,
) -> Result<usize> {
    let pid = pid_of(pid)?;
    let (filter, options) = request;
    // SAFETY: forwarded contract.
    let (filter, props) = unsafe { (filter.as_slice(), properties.as_slice()) };
    let packet = c
        .prepare_request(pid, filter, options, props)
        .map_err(|e| status_with_detail(e, detail))?;
    // The queue's tail; the blocking calls have sent the queue (at 0 then).
    #[cfg(feature = "nonblocking")]
    let len = crate::nonblocking::encode_tail(c, io, &packet)?;
    #[cfg(not(feature = "nonblocking"))]
    let len = io.encode_at(&packet, 0)?;
    c.track_request(&packet, Deadline::instant_after(ack_timeout))?;
    Ok(len)
}

/// Prepares the request, puts `pid` in flight, sends; forgets the pid if
/// sending fails.
unsafe fn request_ack(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    request: (Request, umqtt_bytes, u16),
    (ack_timeout, io_timeout): (i32, i32),
    detail: *mut u8,
) -> Result<()> {
    let queue = queues(io_timeout);
    let mut deadline = Deadline::after(io_timeout);
    // SAFETY: forwarded contract.
    let (c, mut io) = unsafe { calling_client(client, io, queue, &mut deadline) }?;
    // SAFETY: forwarded contract.
    let len = unsafe { tracked_request(c, &mut io, request, ack_timeout, detail) }?;
    // Nothing can fail after the tracking: no undo.
    #[cfg(feature = "nonblocking")]
    if queue {
        c.queue().append(len);
        return Ok(());
    }
    if let Err(status) = io.send_tx(0, len, &mut deadline) {
        // A request's id is always new (`tracked_request` checked it).
        if let Some(pid) = Pid::new(request.2) {
            Tracking::New(pid).undo(c);
        }
        return Err(c.fail(status));
    }
    Ok(())
}

/// Sends PINGREQ (`disconnect` false; `reason` and `properties` unused)
/// or DISCONNECT (true), which then forgets the connection (not the
/// in-flight ids). MQTT 5: a DISCONNECT with `reason` (e.g. 0x04,
/// "disconnect with will message") and `properties` (e.g. a Session
/// Expiry Interval); on MQTT 3 both must be 0 / empty. (One entry point
/// for both, as [`crate::umqtt_client_nb_control`]: they share their code.)
///
/// # Safety
/// `client` initialised; `io` and `properties` valid for the call.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_control(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    disconnect: bool,
    reason: u8,
    properties: umqtt_bytes,
    io_timeout: i32,
) -> umqtt_status {
    // SAFETY: forwarded contract.
    let Ok(c) = (unsafe { client_mut(client) }) else {
        return umqtt_status::InvalidArgument;
    };
    let packet = if disconnect {
        // SAFETY: forwarded contract.
        c.prepare_disconnect(reason, unsafe { properties.as_slice() })
    } else {
        Ok(Outgoing::PingReq)
    };
    // SAFETY: forwarded contract.
    let status = match packet {
        Ok(packet) => result_status(unsafe { send_simple(client, io, packet, io_timeout) }),
        Err(err) => err.into(),
    };
    // SAFETY: forwarded contract.
    if let Ok(c) = unsafe { client_mut(client) } {
        if disconnect {
            c.detach();
        } else if status == umqtt_status::Ok {
            c.handle_ping_sent(now());
        }
    }
    status
}

unsafe fn send_simple(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    packet: Outgoing<'_>,
    io_timeout: i32,
) -> Result<()> {
    let mut deadline = Deadline::after(io_timeout);
    // SAFETY: forwarded contract.
    let (c, mut io) = unsafe { sending_client(client, io, &mut deadline) }?;
    io.send(&packet, &mut deadline).map_err(|s| c.fail(s))?;
    Ok(())
}

/// Handles at most one incoming packet. Waits `first_byte_timeout` ms for
/// one to start (0: only if bytes are already there); once started, the
/// rest must arrive within `io_timeout` ms, else `Timeout` (the partial
/// packet is kept and the next call continues it). Acks the engine owes
/// (PUBREL, PUBCOMP, a repeated PUBREC) are sent before returning; `*event`
/// is written before they are (an exception to the crate's convention):
/// read it only when the call succeeds.
///
/// A message's own ack waits until it is delivered (its callback
/// returned): then the caller calls again with `first_byte_timeout`
/// [`UMQTT_ACCEPT`] and the same `*event`, which sends its PUBACK (QoS 1)
/// or PUBREC (QoS 2), once, within `io_timeout`, and reads nothing.
/// Nothing is sent for QoS 0, for a delivery already closed, or when the
/// connection changed since it was reported. (One entry point for both:
/// they share their checks.)
///
/// With `io_timeout` `UMQTT_QUEUE` (the non-blocking calls;
/// `first_byte_timeout` 0), nothing waits: `Ok` with `event->kind == None`
/// when no complete packet is there, `Timeout` when one has started but not
/// finished (it is kept; the next call continues it); nothing is sent, the
/// acks owed wait for `umqtt_client_nb_flush`.
///
/// # Safety
/// `client` initialised; `io` valid for the call; `event` writable (and,
/// with `UMQTT_ACCEPT`, what the receive wrote there).
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_receive(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    first_byte_timeout: i32,
    io_timeout: i32,
    event: *mut umqtt_event,
) -> umqtt_status {
    if event.is_null() {
        return umqtt_status::InvalidArgument;
    }
    // SAFETY: forwarded contract.
    result_status(unsafe { receive_or_accept(client, io, first_byte_timeout, io_timeout, event) })
}

/// The body of [`umqtt_client_receive`], both ways.
///
/// # Safety
/// As [`umqtt_client_receive`]; `event` not null.
#[inline(always)]
unsafe fn receive_or_accept(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    first_byte_timeout: i32,
    io_timeout: i32,
    event: *mut umqtt_event,
) -> Result<()> {
    // SAFETY: forwarded contract.
    let engine = || unsafe { client_mut(client) };
    #[cfg(not(feature = "nonblocking"))]
    let c = engine()?;
    if first_byte_timeout == UMQTT_ACCEPT {
        #[cfg(feature = "nonblocking")]
        let c = engine()?;
        // SAFETY: `event` is what the receive wrote; its plain fields only.
        let (qos, pid) = unsafe { ((*event).qos, (*event).pid) };
        // SAFETY: forwarded contract.
        return unsafe { accept(c, (client, io), qos, pid, io_timeout) };
    }
    // With the queue, the `sending_client` every blocking call shares
    // (20 B smaller on rv32); without, its checks on the `c` above (110 B).
    // `UMQTT_QUEUE`: the non-blocking receive, which waits for nothing.
    #[cfg(feature = "nonblocking")]
    let queue = queues(io_timeout);
    #[cfg(feature = "nonblocking")]
    let mut deadline = Deadline::after(io_timeout);
    #[cfg(feature = "nonblocking")]
    // SAFETY: forwarded contract.
    let (c, mut io) = unsafe { calling_client(client, io, queue, &mut deadline) }?;
    #[cfg(feature = "nonblocking")]
    let io_timeout = if queue { 0 } else { io_timeout };
    #[cfg(not(feature = "nonblocking"))]
    #[cfg_attr(not(feature = "qos2"), allow(unused_mut, unused_variables))]
    let (mut deadline, mut io) = {
        c.usable()?;
        // SAFETY: forwarded contract.
        let mut io = unsafe { io_of(io) }?;
        let mut deadline = Deadline::after(io_timeout);
        send_queued(c, &mut io, &mut deadline)?;
        (deadline, io)
    };
    receive_in(
        c,
        &mut io,
        Deadline::after(first_byte_timeout),
        io_timeout,
        event,
    )?;
    // Queued: the acks wait for `umqtt_client_nb_flush`.
    #[cfg(feature = "nonblocking")]
    if queue {
        return Ok(());
    }
    // Without QoS 2 and the non-blocking calls the only ack is a
    // PUBACK, which the `UMQTT_ACCEPT` call sends at once (or breaks
    // the link): there is no queue (see `flush_acks`).
    #[cfg(any(feature = "qos2", feature = "nonblocking"))]
    {
        flush_acks(c, &mut io, &mut deadline)
    }
    #[cfg(not(any(feature = "qos2", feature = "nonblocking")))]
    {
        Ok(())
    }
}

/// `first_byte_timeout` of [`umqtt_client_receive`] that acks the message
/// in `*event` instead of reading.
pub const UMQTT_ACCEPT: i32 = i32::MIN;

/// Reads and handles at most one packet (blocking and non-blocking paths)
/// and writes its event to `event` (without a packet: `None`); acks the
/// session queues are left for the caller to send.
// Out of line: the receive itself, whatever called it.
#[cfg_attr(feature = "nonblocking", inline(never))]
fn receive_in(
    c: &mut Engine,
    io: &mut Io<'_>,
    first: Deadline,
    io_timeout: i32,
    event: *mut umqtt_event,
) -> Result<()> {
    // Every open delivery keeps its record until its callback returns.
    c.can_read()?;
    let frame = match io.read_frame(c.reader(), first, io_timeout) {
        Ok(Some(frame)) => frame,
        Ok(None) => {
            write_ptr(event, umqtt_event::NONE);
            return Ok(());
        }
        Err(status @ (Error::Timeout | Error::NeedBuffer | Error::Skipped)) => {
            return Err(status); // the stream is in step: the connection stays usable
        }
        Err(status) => return Err(c.fail(status)),
    };
    let (body, aliases) = io.frame_parts(frame)?;
    let incoming = c.handle_frame(now(), frame, body, aliases)?;
    // Written here, not returned: one copy of the event, not three.
    write_ptr(event, umqtt_event::of(&incoming));
    Ok(())
}

/// After `NeedBuffer`: the body length of the packet being read, in
/// `*len`, for a receive buffer of that size. `false` if none is pending.
///
/// With `skip`, for a PUBLISH no buffer can be found for (`len` is not
/// written): the next receive calls read its body through the buffer they
/// are given and drop it, then return `Skipped` (see
/// [`umqtt_status::Skipped`]). `false` if no PUBLISH body is pending
/// (other packets cannot be skipped: the session needs them). (One entry
/// point for both: they share their checks.)
///
/// # Safety
/// `client` initialised; `len` null or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_pending_body(
    client: *mut umqtt_client,
    skip: bool,
    len: *mut usize,
) -> bool {
    // SAFETY: forwarded contract.
    let Ok(c) = (unsafe { client_mut(client) }) else {
        return false;
    };
    let Some((first, body_len)) = c.reader().pending_body() else {
        return false;
    };
    if skip {
        return first >> 4 == 3 && c.reader().skip_body();
    }
    write_ptr(len, body_len);
    true
}

/// The ack of the message reported with `qos` and `pid` (see
/// [`umqtt_client_receive`], `UMQTT_ACCEPT`).
///
/// # Safety
/// `c` is `client`'s engine, not used after the call; `io` valid for the
/// call.
#[inline(always)]
unsafe fn accept(
    c: &mut Engine,
    #[cfg_attr(
        not(any(feature = "qos2", feature = "nonblocking")),
        allow(unused_variables)
    )]
    (client, io): (*mut umqtt_client, *const umqtt_io),
    qos: u8,
    pid: u16,
    io_timeout: i32,
) -> Result<()> {
    #[cfg(not(any(feature = "qos2", feature = "nonblocking")))]
    {
        // No ack ever waits (see `flush_acks`): this one goes at once,
        // so the stream is checked before the delivery is closed.
        // SAFETY: forwarded contract.
        let mut io = unsafe { io_of(io) }?;
        let Some(ack) = c.accept_now(qos_pid_of(qos, pid)?)? else {
            return Ok(());
        };
        let mut deadline = Deadline::after(io_timeout);
        io.send(&Outgoing::Ack(ack), &mut deadline)
            .map_err(|s| c.fail(s))
    }
    #[cfg(any(feature = "qos2", feature = "nonblocking"))]
    {
        if !close_delivery(c, qos, pid)? {
            return Ok(());
        }
        let mut deadline = Deadline::after(io_timeout);
        // The checks and the queue every blocking call shares (the link is
        // usable: `close_delivery` checked it).
        // SAFETY: forwarded contract (`c` is not used again).
        let (c, mut io) = unsafe { sending_client(client, io, &mut deadline) }?;
        flush_acks(c, &mut io, &mut deadline)
    }
}

/// Closes the delivery of (`qos`, `pid`) and queues its ack: whether it
/// was open on this connection.
#[cfg(any(feature = "qos2", feature = "nonblocking"))]
// `extern "C"`: its result in two registers (see `usable_client`).
#[allow(improper_ctypes_definitions)]
pub(crate) extern "C" fn close_delivery(c: &mut Engine, qos: u8, pid: u16) -> Result<bool> {
    Ok(c.accept(qos_pid_of(qos, pid)?)?)
}

/// `qos` and `pid` as the engine pairs them: `InvalidQos` above 2,
/// `InvalidArgument` for QoS 0 with a pid or QoS 1/2 without (as
/// `qos_of` then `qos_pid`, in one match), and for QoS 2 without feature
/// `qos2` (no QoS 2 message is ever delivered then).
fn qos_pid_of(qos: u8, pid: u16) -> Result<QosPid> {
    Ok(match (qos, Pid::new(pid)) {
        (0, None) => QosPid::AtMostOnce,
        (1, Some(pid)) => QosPid::AtLeastOnce(pid),
        #[cfg(feature = "qos2")]
        (2, Some(pid)) => QosPid::ExactlyOnce(pid),
        (0..=2, _) => return Err(Error::InvalidArgument),
        _ => return Err(Error::InvalidQos),
    })
}

/// The callback of the message reported with `qos` and `pid` raised (or
/// it could not be handed over): close its delivery without an ack, so the
/// broker redelivers it.
///
/// # Safety
/// `client` initialised.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_forget(client: *mut umqtt_client, qos: u8, pid: u16) {
    // SAFETY: forwarded contract.
    if let (Ok(c), Ok(qos_pid)) = (unsafe { client_mut(client) }, qos_pid_of(qos, pid)) {
        c.forget(qos_pid);
    }
}

/// Whether `io_timeout` is [`crate::UMQTT_QUEUE`]: a non-blocking call,
/// which queues its packet (never without the non-blocking calls).
fn queues(io_timeout: i32) -> bool {
    #[cfg(feature = "nonblocking")]
    {
        io_timeout == crate::UMQTT_QUEUE
    }
    #[cfg(not(feature = "nonblocking"))]
    {
        let _ = io_timeout;
        false
    }
}

/// The client and the call's stream and buffers: [`usable_client`] for a
/// call that `queue`s its packet, else [`sending_client`].
///
/// # Safety
/// As [`usable_client`].
#[inline(always)]
unsafe fn calling_client<'a>(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    queue: bool,
    deadline: &mut Deadline,
) -> Result<(&'a mut Engine, Io<'a>)> {
    // SAFETY: forwarded contract.
    unsafe {
        if queue {
            usable_client(client, io)
        } else {
            sending_client(client, io, deadline)
        }
    }
}

/// As [`usable_client`], for a blocking call that writes: what the
/// non-blocking entry points queued is sent first, within `io_timeout`.
///
/// # Safety
/// As [`usable_client`].
// Out of line when the queue exists (its flush is then real code in every
// blocking call); without it this is `usable_client` alone.
#[cfg_attr(feature = "nonblocking", inline(never))]
#[cfg_attr(not(feature = "nonblocking"), inline)]
// `extern "C"`: its result in two registers (see `usable_client`).
#[allow(improper_ctypes_definitions)]
unsafe extern "C" fn sending_client<'a>(
    client: *mut umqtt_client,
    io: *const umqtt_io,
    deadline: &mut Deadline,
) -> Result<(&'a mut Engine, Io<'a>)> {
    // SAFETY: forwarded contract.
    let (c, mut io) = unsafe { usable_client(client, io) }?;
    send_queued(c, &mut io, deadline)?;
    Ok((c, io))
}

/// Writes the non-blocking transmit queue out (see [`sending_client`]).
#[inline]
fn send_queued(c: &mut Engine, io: &mut Io<'_>, deadline: &mut Deadline) -> Result<()> {
    // Only the non-blocking entry points queue packets.
    if !cfg!(feature = "nonblocking") || c.queue_pending() == 0 {
        return Ok(());
    }
    let (start, end) = c.queue().range();
    io.send_tx(start, end, deadline).map_err(|s| c.fail(s))?;
    c.queue().clear();
    Ok(())
}

// Acks wait in the session's queue (umqtt-core's feature
// `ack-queue`) with QoS 2 (PUBREL, PUBCOMP, a repeated PUBREC) and the
// non-blocking calls (which send them on their flush): only then is there
// a queue to flush. Without both, the `UMQTT_ACCEPT` receive sends the one ack
// there is, a PUBACK, at once.

/// Sends the acks the session owes.
#[cfg(any(feature = "qos2", feature = "nonblocking"))]
fn flush_acks(c: &mut Engine, io: &mut Io<'_>, deadline: &mut Deadline) -> Result<()> {
    while let Some(transmit) = c.poll_transmit() {
        io.send(&Outgoing::Ack(transmit), deadline)
            .map_err(|s| c.fail(s))?;
    }
    Ok(())
}

// In a file of its own (this one stays under 1,000 lines), as a child
// module: the tests call the private pairing functions.
#[cfg(test)]
#[path = "tests/qos_pid.rs"]
mod qos_pid_tests;
