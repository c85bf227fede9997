//! The client engine, sans-I/O: everything a connection is except the way
//! its bytes travel and the clock (quinn-proto's `Connection` is the model).
//!
//! A driver owns the stream and the buffers (the C ABI's blocking and
//! non-blocking drivers in `umqtt-ffi`). For each outgoing packet it asks
//! the engine for the packet (`prepare_*`: arguments checked with the
//! codec's own rules, the broker's limits applied) and, once it knows the
//! bytes fit, puts its packet id in flight (`track_*`); it encodes and
//! writes it. It cuts incoming bytes into
//! frames with [`Client::reader`] and hands each to
//! [`Client::handle_frame`] (or [`Client::handle_connack`] after a
//! CONNECT), which returns what happened. Acks the session owes come from
//! [`Client::poll_transmit`]. Bytes waiting to be written can sit in a
//! [`TxQueue`] in the driver's transmit buffer. Every method takes `now`
//! where time matters; none reads a clock.
//!
//! ```text
//!   Detached --prepare_connect--> AwaitingConnack --handle_connack--> Connected
//!       ^                               |  refused / bad bytes              |
//!       |                               v                                   |
//!       +------------ detach ------  Broken  <---- protocol or I/O error ----+
//! ```
//!
//! # Re-entrancy
//!
//! Application code runs in two places, with different rules.
//!
//! 1. **Between engine calls**, in the callbacks a driver makes once
//!    `handle_frame` has returned (a message, an ack's status). Such code
//!    may call any operation of the same client, including ones that
//!    receive again (a QoS 1 publish waiting for its PUBACK, `check_msg()`),
//!    at any depth:
//!    - a message with an ack to send is recorded ([`crate::deliveries`])
//!      when `handle_frame` reports it, before its callback runs; its ack
//!      is queued by [`Client::accept`] once, when the callback returns,
//!      or dropped by [`Client::forget`] if it raised. A nested receive
//!      never touches the records of the deliveries around it;
//!    - [`Client::can_read`] refuses another read while
//!      [`DELIVERY_DEPTH`] deliveries are open, so no ack is ever lost
//!      track of;
//!    - a connection change ([`Client::detach`], `prepare_connect`) drops
//!      the records: no ack is sent on a connection other than the one
//!      that delivered the message;
//!    - the driver copies a message out of its receive buffer before the
//!      callback (nested reads reuse the buffer) and takes its buffers
//!      anew after it (a nested call may have replaced them).
//! 2. **Inside the driver's own I/O** (a stream or hook implemented in
//!    Python): the engine is in the middle of a call. The driver refuses
//!    every call into the same client from there; the C glue raises
//!    `RuntimeError` (the port's `busy` flag).

mod incoming;
mod keepalive;
mod outgoing;
mod queue;
#[cfg(test)]
mod tests;

pub use incoming::{Connack, Incoming, Received};
pub use keepalive::{KeepAlive, KeepAliveAction};
pub use outgoing::{Message, Outgoing, PublishPacket, Tracking};
pub use queue::{QueueError, TxQueue};

use core::{fmt, ptr};

use crate::codec::properties::{Context, Properties};
use crate::deliveries::Deliveries;
use crate::framing::FrameReader;
#[cfg(feature = "mqtt5")]
use crate::limits::{BrokerLimits, LimitError, TopicAliases};
use crate::session::{Awaiting, Session, SessionError, Transmit};
use crate::tables::{Inline, Tables};
use crate::time::Instant;
use crate::types::{Pid, ProtocolVersion, QoS, QosPid};

/// How many message callbacks may nest (a callback that receives, inside a
/// callback that receives...) before [`Client::can_read`] refuses.
pub const DELIVERY_DEPTH: usize = 8;

/// Where the connection stands.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Link {
    /// No connection: never connected, detached, or disconnected.
    Detached,
    /// CONNECT prepared; the CONNACK has not been handled yet.
    AwaitingConnack,
    /// The broker accepted the connection.
    Connected,
    /// A protocol or I/O error: the stream is out of step with the broker
    /// until the next connect.
    Broken,
}

/// Why an operation failed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ClientError {
    /// The connection is broken (an earlier error): connect again.
    Broken,
    /// The answer to CONNECT is not a valid CONNACK.
    ConnackInvalid,
    /// A SUBACK whose return codes do not match its SUBSCRIBE.
    SubackInvalid,
    /// A received PUBLISH has QoS 3.
    InvalidQos,
    /// Received bytes are not a valid MQTT packet.
    Malformed,
    /// The broker broke the protocol (unexpected packet or ack, a topic
    /// alias it may not use).
    ProtocolViolation,
    /// The in-flight table is full.
    InFlightFull,
    /// The packet id is already in flight.
    PidInUse,
    /// A topic name or filter breaks MQTT's rules.
    InvalidTopic,
    /// An argument MQTT does not allow (DUP at QoS 0, a bad options byte...).
    InvalidArgument,
    /// MQTT 5: a property not allowed here, or properties on MQTT 3.
    InvalidProperty,
    /// MQTT 5: the packet breaks a limit of the broker's CONNACK.
    #[cfg(feature = "mqtt5")]
    BrokerLimit(LimitError),
    /// [`DELIVERY_DEPTH`] message callbacks are open: nothing is read.
    NestedTooDeep,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            #[cfg(feature = "mqtt5")]
            ClientError::BrokerLimit(limit) => limit.fmt(f),
            ClientError::Broken => f.write_str("connection broken: connect again"),
            ClientError::ConnackInvalid => f.write_str("invalid CONNACK"),
            ClientError::SubackInvalid => f.write_str("SUBACK does not match its SUBSCRIBE"),
            ClientError::InvalidQos => f.write_str("PUBLISH with QoS 3"),
            ClientError::Malformed => f.write_str("malformed packet"),
            ClientError::ProtocolViolation => f.write_str("protocol violation by the broker"),
            ClientError::InFlightFull => f.write_str("in-flight table full"),
            ClientError::PidInUse => f.write_str("packet id already in flight"),
            ClientError::InvalidTopic => f.write_str("invalid topic"),
            ClientError::InvalidArgument => f.write_str("invalid argument"),
            ClientError::InvalidProperty => f.write_str("invalid MQTT 5 property"),
            ClientError::NestedTooDeep => f.write_str("receive nested in too many callbacks"),
        }
    }
}

impl From<SessionError> for ClientError {
    fn from(err: SessionError) -> ClientError {
        match err {
            SessionError::PidInUse => ClientError::PidInUse,
            SessionError::Full => ClientError::InFlightFull,
            #[cfg(not(feature = "qos2"))]
            SessionError::Unsupported => ClientError::InvalidArgument,
        }
    }
}

/// One client's engine; its session keeps its tables in `T` (see
/// [`Session`] and [`crate::tables`]).
// repr(C), word-aligned fields first, the bytes last: as large as rustc's
// own layout (rv32imc: 136 B, 116 B without MQTT 5), whose field order made
// the engine's code on rv32imc 44 B (84 B with MQTT 5) larger.
#[derive(Debug)]
#[repr(C)]
pub struct Client<T: Tables> {
    session: Session<T>,
    reader: FrameReader,
    queue: TxQueue,
    #[cfg(feature = "mqtt5")]
    limits: BrokerLimits,
    keepalive: KeepAlive,
    deliveries: Deliveries<DELIVERY_DEPTH>,
    #[cfg(feature = "mqtt5")]
    aliases: TopicAliases,
    // Without `mqtt31` and `mqtt5` always 3.1.1: `version` answers that.
    #[cfg(any(feature = "mqtt31", feature = "mqtt5"))]
    version: ProtocolVersion,
    link: Link,
}

impl<const N: usize> Client<Inline<N>> {
    /// A detached client accepting incoming packets of at most `max_body`
    /// bytes after the fixed header, with `N` rows of tables inside it.
    pub const fn new(max_body: usize) -> Self {
        Client::with_tables(max_body, Inline::new())
    }
}

impl<T: Tables> Client<T> {
    /// A detached client accepting incoming packets of at most `max_body`
    /// bytes after the fixed header, its session's tables in `tables`.
    pub const fn with_tables(max_body: usize, tables: T) -> Self {
        Client {
            session: Session::with_tables(tables),
            reader: FrameReader::new(max_body),
            #[cfg(any(feature = "mqtt31", feature = "mqtt5"))]
            version: ProtocolVersion::V311,
            link: Link::Detached,
            deliveries: Deliveries::new(),
            queue: TxQueue::new(),
            #[cfg(feature = "mqtt5")]
            limits: BrokerLimits::UNLIMITED,
            #[cfg(feature = "mqtt5")]
            aliases: TopicAliases::new(0),
            keepalive: KeepAlive::OFF,
        }
    }

    /// Initialises the client at `this`, a block of zero bytes, as
    /// [`Client::with_tables`] makes it, one field at a time: no whole
    /// client is built elsewhere and copied in, so the bytes between the
    /// fields (padding) stay zeros. A driver that zeroes a block
    /// MicroPython's conservative GC scans and initialises the client in it
    /// leaves no stale pointer there (a client built on the stack brings
    /// the stack's leftovers in its padding). Smaller too than copying a
    /// whole initial client from flash; the fields (and parts of the
    /// session and the frame reader) whose initial value is all zero bytes
    /// are left as the block holds them (test `init_in_place_is_with_tables`
    /// keeps that true).
    ///
    /// # Safety
    /// `this` is valid for writes of a `Client<T>`, aligned, and every byte
    /// of it is zero; what it held is overwritten, not dropped.
    pub unsafe fn init_in_place(this: *mut Self, max_body: usize, tables: T) {
        // Every field named: a new one cannot be left out.
        let Client {
            session,
            reader,
            #[cfg(any(feature = "mqtt31", feature = "mqtt5"))]
            version,
            link,
            deliveries: _,
            queue: _,
            #[cfg(feature = "mqtt5")]
            limits,
            #[cfg(feature = "mqtt5")]
                aliases: _,
            keepalive: _,
        } = Client::with_tables(max_body, tables);
        // SAFETY: `this` is valid for writes and aligned (the contract), so
        // is each of its fields; the ones not written are zero bytes, which
        // is their initial value.
        unsafe {
            Session::init_in_place(ptr::addr_of_mut!((*this).session), session);
            FrameReader::init_in_place(ptr::addr_of_mut!((*this).reader), reader);
            #[cfg(any(feature = "mqtt31", feature = "mqtt5"))]
            ptr::addr_of_mut!((*this).version).write(version);
            ptr::addr_of_mut!((*this).link).write(link);
            #[cfg(feature = "mqtt5")]
            ptr::addr_of_mut!((*this).limits).write(limits);
        }
    }

    /// Sets the keep-alive policy (see [`KeepAlive::new`]); counts from `now`.
    pub fn set_keepalive(&mut self, now: Instant, ping_every_ms: u32, dead_after_ms: u32) {
        self.keepalive = KeepAlive::new(now, ping_every_ms, dead_after_ms);
    }

    /// What keep-alive asks for at `now` (see [`KeepAlive::poll`]).
    pub fn poll_keepalive(&self, now: Instant, check_dead: bool) -> KeepAliveAction {
        self.keepalive.poll(now, check_dead)
    }

    /// The keep-alive timestamps (last ping, last packet received).
    pub fn keepalive(&self) -> &KeepAlive {
        &self.keepalive
    }

    /// A PINGREQ went out at `now` (keep-alive counts the next from here).
    pub fn handle_ping_sent(&mut self, now: Instant) {
        self.keepalive.handle_ping(now);
    }

    /// Accepts incoming packets of at most `max_body` bytes from now on.
    pub fn set_max_body(&mut self, max_body: usize) {
        self.reader = FrameReader::new(max_body);
    }

    /// Where the connection stands.
    pub fn link(&self) -> Link {
        self.link
    }

    /// The protocol of the last CONNECT.
    pub fn version(&self) -> ProtocolVersion {
        // Without `mqtt31` and `mqtt5` `prepare_connect` accepts only 3.1.1:
        // a constant, so that the decoder's version checks fold away.
        #[cfg(any(feature = "mqtt31", feature = "mqtt5"))]
        return self.version;
        #[cfg(not(any(feature = "mqtt31", feature = "mqtt5")))]
        ProtocolVersion::V311
    }

    /// Whether the last CONNECT was MQTT 5 (never without feature `mqtt5`,
    /// which refuses such a CONNECT: the MQTT 5 paths then fold away).
    pub fn is_v5(&self) -> bool {
        cfg!(feature = "mqtt5") && self.version() == ProtocolVersion::V5
    }

    /// The session (in-flight table, keep-alive), read only.
    pub fn session(&self) -> &Session<T> {
        &self.session
    }

    /// The in-flight table as the application edits it (simple2's
    /// `rcv_pids`: `track`, `forget`, `clear_in_flight`).
    pub fn session_mut(&mut self) -> &mut Session<T> {
        &mut self.session
    }

    /// The framer incoming bytes go through.
    pub fn reader(&mut self) -> &mut FrameReader {
        &mut self.reader
    }

    /// The transmit queue's offsets (in the driver's buffer).
    pub fn queue(&mut self) -> &mut TxQueue {
        &mut self.queue
    }

    /// Bytes waiting in the transmit queue.
    pub fn queue_pending(&self) -> usize {
        self.queue.pending()
    }

    /// MQTT 5: what the broker's CONNACK allows.
    #[cfg(feature = "mqtt5")]
    pub fn limits(&self) -> &BrokerLimits {
        &self.limits
    }

    /// MQTT 5: the inbound topic aliases announced in CONNECT.
    #[cfg(feature = "mqtt5")]
    pub fn aliases(&self) -> TopicAliases {
        self.aliases
    }

    /// Forgets the connection (the stream was replaced or closed): partial
    /// packets, queued bytes and acks, open deliveries, error state. The
    /// in-flight ids stay, as simple2 keeps `rcv_pids` across reconnects.
    // Out of line: every connect, disconnect and close goes through it.
    #[inline(never)]
    pub fn detach(&mut self) {
        self.reader.reset();
        self.session.handle_disconnect();
        self.link = Link::Detached;
        self.deliveries.clear();
        self.queue.clear();
    }

    /// Marks the connection broken (an I/O error, or bytes the engine
    /// refused) and returns `err`.
    pub fn fail<E>(&mut self, err: E) -> E {
        self.break_link();
        err
    }

    /// Out of line: `fail` is on every error path of every call.
    #[inline(never)]
    fn break_link(&mut self) {
        self.link = Link::Broken;
        self.reader.reset();
        self.queue.clear();
    }

    /// `Err(Broken)` after an error, until the next connect.
    pub fn usable(&self) -> Result<(), ClientError> {
        match self.link {
            Link::Broken => Err(ClientError::Broken),
            _ => Ok(()),
        }
    }

    /// Whether a packet may be read now: the connection is usable and
    /// another delivery can be recorded (see the module's re-entrancy rules).
    pub fn can_read(&self) -> Result<(), ClientError> {
        self.usable()?;
        if self.deliveries.is_full() {
            return Err(ClientError::NestedTooDeep);
        }
        Ok(())
    }

    /// The next ack the session owes, oldest first.
    #[cfg(any(test, feature = "ack-queue"))]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.session.poll_transmit()
    }

    /// The next ack, left queued (a non-blocking sender checks for room).
    #[cfg(any(test, feature = "ack-queue"))]
    pub fn peek_transmit(&self) -> Option<Transmit> {
        self.session.peek_transmit()
    }

    /// Removes one exchange whose ack did not come by `now`.
    pub fn poll_expired(&mut self, now: Instant) -> Option<(Pid, Awaiting)> {
        self.session.poll_expired(now)
    }

    /// The message reported with `qos_pid` was delivered (its callback
    /// returned): queue its PUBACK / PUBREC. `Ok(false)`: nothing to send
    /// (QoS 0, already closed, or the connection changed since).
    #[cfg(any(test, feature = "ack-queue"))]
    pub fn accept(&mut self, qos_pid: QosPid) -> Result<bool, ClientError> {
        if !self.deliveries.take(qos_pid) {
            return Ok(false);
        }
        self.usable()?;
        self.session
            .accept_message(qos_pid)
            .map_err(|_| self.fail(ClientError::ProtocolViolation))?;
        Ok(true)
    }

    /// [`Client::accept`] for a driver that sends the ack at once, without
    /// the QoS 2 flows: the only ack is then a PUBACK, which needs no
    /// session state, so it is returned rather than queued. `Ok(None)`:
    /// nothing to send (QoS 0, already closed, or the connection changed
    /// since). A driver that lets acks wait in the queue (`poll_transmit`)
    /// uses `accept`, which keeps them in order.
    #[cfg(not(feature = "qos2"))]
    pub fn accept_now(&mut self, qos_pid: QosPid) -> Result<Option<Transmit>, ClientError> {
        if !self.deliveries.take(qos_pid) {
            return Ok(None);
        }
        self.usable()?;
        Ok(match qos_pid {
            QosPid::AtLeastOnce(pid) => Some(Transmit::PubAck(pid)),
            // Never delivered (QoS 0 needs no record; QoS 2 is refused).
            QosPid::AtMostOnce | QosPid::ExactlyOnce(_) => None,
        })
    }

    /// The callback of the message reported with `qos_pid` raised: close
    /// its delivery without an ack (the broker redelivers it).
    pub fn forget(&mut self, qos_pid: QosPid) {
        self.deliveries.take(qos_pid);
    }

    /// How many deliveries are open (callbacks running).
    pub fn open_deliveries(&self) -> usize {
        self.deliveries.len()
    }

    /// The property block of an operation, checked for `context`: `Some`
    /// on an MQTT 5 connection; on MQTT 3 only an empty block is allowed.
    pub fn properties<'a>(
        &self,
        block: &'a [u8],
        context: Context,
    ) -> Result<Option<Properties<'a>>, ClientError> {
        if self.is_v5() {
            Properties::parse(block, context)
                .map(Some)
                .map_err(|_| ClientError::InvalidProperty)
        } else if block.is_empty() {
            Ok(None)
        } else {
            Err(ClientError::InvalidProperty)
        }
    }
}

/// `qos` and `pid` as the session pairs them; `InvalidArgument` if they
/// do not go together (QoS 0 with a pid, QoS 1/2 without).
#[inline]
pub fn qos_pid(qos: QoS, pid: Option<Pid>) -> Result<QosPid, ClientError> {
    QosPid::new(qos, pid).ok_or(ClientError::InvalidArgument)
}
