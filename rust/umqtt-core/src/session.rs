//! The client session: what is in flight, what must be acknowledged, when
//! the next deadline falls.
//!
//! [`Session`] does no I/O. The driver tells it what it sent
//! (`handle_connect`, `start_*`) and what it received
//! ([`Session::handle_packet`], with decoded packets), then asks what to do:
//! [`Session::poll_transmit`] for acks to send, [`Session::poll_expired`] for
//! acks that did not come in time. Keep-alive is the client engine's
//! ([`crate::client::KeepAlive`]).
//!
//! Capacities are the rows of the session's [`Tables`]: one row holds an
//! outgoing exchange (QoS 1/2 publish, subscribe, unsubscribe), an incoming
//! QoS 2 message awaiting PUBREL and an ack to send; 24 bytes a row (20
//! without feature `qos2`, which has no QoS 2 flows: see [`QOS2`]; 16
//! without feature `ack-queue` too, whose driver sends each PUBACK at
//! once). The
//! rows are an array inside the session ([`Inline`]) or storage its owner
//! grows as exchanges open, up to [`Tables::limit`] ([`crate::tables`]).

use core::fmt;

use crate::codec::{ConnAck, EncodeError, Packet, PubAck, Publish, UnsubAck};
#[cfg(feature = "qos2")]
use crate::codec::{PubComp, PubRec, PubRel};
use crate::tables::{Inline, Lens, Outbound, Row, Tables};
use crate::time::Instant;
use crate::types::{PacketType, Pid, QoS, QosPid};

/// A good in-flight limit: that of most embedded clients.
pub const DEFAULT_CAPACITY: usize = 32;

/// Whether the QoS 2 flows are built in (feature `qos2`, a default one).
/// Without them the session refuses to start a QoS 2 publish
/// (`SessionError::Unsupported`) and a QoS 2 PUBLISH, PUBREC, PUBREL or
/// PUBCOMP from the broker is [`ProtocolError::UnexpectedPacket`]: a client
/// that never publishes or subscribes at QoS 2 is never sent one (MQTT
/// 3.1.1 §3.8.4). A will's QoS is CONNECT's alone and may still be 2.
pub const QOS2: bool = cfg!(feature = "qos2");

/// The acknowledgement an outgoing exchange waits for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Awaiting {
    /// A QoS 1 PUBLISH was sent.
    PubAck,
    /// A QoS 2 PUBLISH was sent.
    #[cfg(feature = "qos2")]
    PubRec,
    /// A PUBREL was sent (QoS 2, second half).
    #[cfg(feature = "qos2")]
    PubComp,
    /// A SUBSCRIBE with this many filters was sent.
    SubAck {
        /// How many return codes the SUBACK must carry.
        filters: u16,
    },
    /// An UNSUBSCRIBE was sent.
    UnsubAck,
    /// An entry the application added ([`Session::track`]): a PUBACK or a
    /// SUBACK with its id completes it. umqtt.simple2's `rcv_pids` allows
    /// this, so the session does.
    Tracked,
}

/// A control packet the session wants sent, from [`Session::poll_transmit`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Transmit {
    /// Acknowledges a QoS 1 message.
    PubAck(Pid),
    /// First acknowledgement of a QoS 2 message.
    #[cfg(feature = "qos2")]
    PubRec(Pid),
    /// Releases a QoS 2 message we published.
    #[cfg(feature = "qos2")]
    PubRel(Pid),
    /// Completes a QoS 2 message we received.
    #[cfg(feature = "qos2")]
    PubComp(Pid),
}

impl Transmit {
    /// The packet to send.
    pub fn packet(self) -> Packet<'static> {
        match self {
            Transmit::PubAck(pid) => Packet::PubAck(PubAck { pid }),
            #[cfg(feature = "qos2")]
            Transmit::PubRec(pid) => Packet::PubRec(PubRec { pid }),
            #[cfg(feature = "qos2")]
            Transmit::PubRel(pid) => Packet::PubRel(PubRel { pid }),
            #[cfg(feature = "qos2")]
            Transmit::PubComp(pid) => Packet::PubComp(PubComp { pid }),
        }
    }

    /// Length of every acknowledgement: type, length 2, packet id.
    pub const ENCODED_LEN: usize = 4;

    /// Encodes the packet (4 bytes) into `buf`: the bytes of
    /// [`Transmit::packet`], without the whole codec behind them.
    pub fn encode(self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        let (packet_type, pid) = match self {
            Transmit::PubAck(pid) => (PacketType::PubAck, pid),
            #[cfg(feature = "qos2")]
            Transmit::PubRec(pid) => (PacketType::PubRec, pid),
            #[cfg(feature = "qos2")]
            Transmit::PubRel(pid) => (PacketType::PubRel, pid),
            #[cfg(feature = "qos2")]
            Transmit::PubComp(pid) => (PacketType::PubComp, pid),
        };
        let [high, low] = pid.get().to_be_bytes();
        crate::codec::put_all(buf, &[packet_type.fixed_first_byte(), 2, high, low])
    }
}

/// What a received packet meant, from [`Session::handle_packet`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Event<'a> {
    /// The CONNACK answering our CONNECT (accepted or not: see its return code).
    Connected(ConnAck),
    /// A new application message. For QoS 1 and 2, call
    /// [`Session::accept_message`] once the application has it, which
    /// queues the acknowledgement; not calling it makes the broker resend.
    Message(Publish<'a>),
    /// A QoS 2 message already delivered and not yet released: the broker
    /// resent it. Not for the application; its PUBREC is queued again.
    #[cfg(feature = "qos2")]
    Duplicate(Publish<'a>),
    /// Our QoS 1 (PUBACK) or QoS 2 (PUBCOMP) publish, or a tracked id, is done.
    Delivered {
        /// The publish's id.
        pid: Pid,
        /// Its QoS.
        qos: QoS,
    },
    /// PUBREC for our QoS 2 publish: PUBREL is queued, PUBCOMP awaited.
    #[cfg(feature = "qos2")]
    Received(Pid),
    /// PUBREL for a QoS 2 message we received: PUBCOMP is queued.
    #[cfg(feature = "qos2")]
    Released(Pid),
    /// SUBACK for our SUBSCRIBE (or a tracked id); a code 0x80 is a refusal.
    Subscribed {
        /// The SUBSCRIBE's id.
        pid: Pid,
        /// One granted QoS (0-2) or 0x80 per filter, in order.
        return_codes: &'a [u8],
    },
    /// UNSUBACK for our UNSUBSCRIBE.
    Unsubscribed(Pid),
    /// MQTT 5: the broker refused our QoS 1/2 publish `pid` (a PUBACK or
    /// PUBREC with a reason code of 0x80 or above). The exchange is over:
    /// the id is free and no PUBREL follows (§4.3.3).
    Refused {
        /// The refusing ack's type (PUBACK or PUBREC).
        packet_type: PacketType,
        /// The publish's id.
        pid: Pid,
    },
    /// PINGRESP.
    Pong,
    /// A PUBACK, PUBREC, PUBCOMP, SUBACK or UNSUBACK for an id that is not in
    /// flight (any more): stale, e.g. it arrived after its deadline. Harmless.
    UnknownAck {
        /// The ack's type.
        packet_type: PacketType,
        /// Its id.
        pid: Pid,
    },
}

/// The broker broke the protocol; the connection must be closed (§4.8).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A packet a server never sends (CONNECT, SUBSCRIBE, PINGREQ...), a
    /// CONNACK we did not ask for, or anything before the CONNACK; without
    /// feature `qos2`, a QoS 2 PUBLISH, PUBREC, PUBREL or PUBCOMP.
    UnexpectedPacket(PacketType),
    /// An ack of the wrong type for its id, e.g. PUBACK for a QoS 2 publish.
    WrongAck {
        /// The ack's type.
        packet_type: PacketType,
        /// Its id.
        pid: Pid,
    },
    /// A SUBACK with a different number of return codes than filters sent.
    SubAckCount,
    /// More QoS 2 messages awaiting PUBREL, or more acks queued, than the
    /// session has rows.
    TooManyInFlight,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProtocolError::UnexpectedPacket(_) => "unexpected packet from server",
            ProtocolError::WrongAck { .. } => "acknowledgement of the wrong type",
            ProtocolError::SubAckCount => "SUBACK return code count mismatch",
            ProtocolError::TooManyInFlight => "too many messages in flight",
        })
    }
}

/// Why an outgoing exchange could not start.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SessionError {
    /// The id is already in flight.
    PidInUse,
    /// Every row holds an exchange in flight.
    Full,
    /// A QoS 2 publish, and the QoS 2 flows are not built in ([`QOS2`]).
    /// (Only then does it exist: with them, a third error to map cost the
    /// firmware's callers of `start_*` about 40 B of rv32imc code.)
    #[cfg(not(feature = "qos2"))]
    Unsupported,
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SessionError::PidInUse => "packet id already in flight",
            SessionError::Full => "in-flight table full",
            #[cfg(not(feature = "qos2"))]
            SessionError::Unsupported => "QoS 2 is not built in",
        })
    }
}

/// Client session state for one broker; see the module docs. Its tables
/// (outgoing exchanges, incoming QoS 2 messages, acks to send) live in the
/// rows `T` provides ([`crate::tables`]).
#[derive(Clone, Debug)]
pub struct Session<T: Tables> {
    tables: T,
    lens: Lens,
    last_pid: u16,
    awaiting_connack: bool,
}

impl<T: Tables + Default> Default for Session<T> {
    fn default() -> Self {
        Self::with_tables(T::default())
    }
}

impl<const N: usize> Session<Inline<N>> {
    /// An empty session with `N` rows inside it.
    pub const fn new() -> Session<Inline<N>> {
        Session::with_tables(Inline::new())
    }
}

impl<T: Tables> Session<T> {
    /// An empty session keeping its tables in `tables`.
    pub const fn with_tables(tables: T) -> Session<T> {
        Session {
            tables,
            lens: Lens::EMPTY,
            last_pid: 0,
            awaiting_connack: false,
        }
    }

    /// Writes `new`, a session [`Session::with_tables`] made, at `this`, a
    /// block of zero bytes: only its tables, the rest of a new session is
    /// zero bytes (see [`Client::init_in_place`]).
    ///
    /// # Safety
    /// `this` is valid for writes, aligned, and every byte of it is zero.
    ///
    /// [`Client::init_in_place`]: crate::client::Client::init_in_place
    pub(crate) unsafe fn init_in_place(this: *mut Session<T>, new: Session<T>) {
        let Session { tables, .. } = new;
        // SAFETY: `this` is valid for writes and aligned (the contract).
        unsafe { core::ptr::addr_of_mut!((*this).tables).write(tables) };
    }

    /// Rows the tables need so that each can take one more entry (within
    /// [`Tables::limit`]). More than the rows there are means: give the
    /// session more ([`Session::replace_tables`]) before the next exchange,
    /// received packet or accepted message.
    pub fn rows_wanted(&self) -> usize {
        self.lens.rows_for_one_more().min(self.tables.limit())
    }

    /// The tables' storage.
    pub fn tables(&self) -> &T {
        &self.tables
    }

    /// Moves the tables into `tables` (at least as many rows as each
    /// table's length; else `Err(tables)`) and returns the old storage.
    pub fn replace_tables(&mut self, mut tables: T) -> Result<T, T> {
        if !self.lens.move_rows(self.tables.rows(), tables.rows_mut()) {
            return Err(tables);
        }
        Ok(core::mem::replace(&mut self.tables, tables))
    }

    fn rows(&self) -> &[Row] {
        self.tables.rows()
    }

    /// Forgets everything in flight in both directions (a clean session).
    pub fn clear(&mut self) {
        self.lens = Lens::EMPTY;
    }

    /// The connection is gone. In-flight state is kept for a resumed session;
    /// queued acks are dropped.
    pub fn handle_disconnect(&mut self) {
        #[cfg(any(test, feature = "ack-queue"))]
        self.lens.tx_clear();
        self.awaiting_connack = false;
    }

    /// A CONNECT was sent. A clean session forgets all in-flight state; a
    /// resumed one queues PUBREL again for QoS 2 publishes that were
    /// released but not completed (§4.4).
    pub fn handle_connect(&mut self, clean_session: bool) {
        self.handle_disconnect();
        if clean_session {
            self.clear();
        }
        #[cfg(feature = "qos2")]
        if !clean_session {
            let rows = self.tables.rows_mut();
            for i in 0..self.lens.out_len() {
                let Some(entry) = self.lens.out_get(rows, i) else {
                    break;
                };
                if entry.awaiting == Awaiting::PubComp {
                    // The acks' table has as many rows as the outgoing one.
                    self.lens.tx_push(rows, Transmit::PubRel(entry.pid));
                }
            }
        }
        self.awaiting_connack = true;
    }

    /// QoS 1/2 publishes sent and not yet acknowledged: what an MQTT 5
    /// broker's Receive Maximum limits (§4.9).
    pub fn publishes_in_flight(&self) -> usize {
        self.lens
            .out(self.rows())
            .filter(|e| match e.awaiting {
                Awaiting::PubAck => true,
                #[cfg(feature = "qos2")]
                Awaiting::PubRec | Awaiting::PubComp => true,
                _ => false,
            })
            .count()
    }

    /// MQTT 5: a PUBACK or PUBREC for `pid` carried an error reason code
    /// (0x80 or above): the broker refused the publish. It ends the
    /// exchange instead of [`Session::handle_packet`]; a stale id is
    /// [`Event::UnknownAck`] as there.
    pub fn handle_refused_ack(
        &mut self,
        packet_type: PacketType,
        pid: Pid,
    ) -> Result<Event<'static>, ProtocolError> {
        let Some(index) = self.find(pid) else {
            return Ok(Event::UnknownAck { packet_type, pid });
        };
        self.refuse(index, packet_type, pid)
    }

    /// [`Session::handle_refused_ack`] for the exchange at `index`.
    fn refuse(
        &mut self,
        index: usize,
        packet_type: PacketType,
        pid: Pid,
    ) -> Result<Event<'static>, ProtocolError> {
        let awaiting = self.lens.out_get(self.rows(), index).map(|e| e.awaiting);
        let fits = match (packet_type, awaiting) {
            (PacketType::PubAck, Some(Awaiting::PubAck | Awaiting::Tracked)) => true,
            #[cfg(feature = "qos2")]
            (PacketType::PubRec, Some(Awaiting::PubRec)) => true,
            _ => false,
        };
        if !fits {
            return Err(ProtocolError::WrongAck { packet_type, pid });
        }
        self.lens.out_remove(self.tables.rows_mut(), index);
        Ok(Event::Refused { packet_type, pid })
    }

    /// Makes [`Session::next_pid`] continue after `pid` (micropython-lib's
    /// umqtt.simple lets the application set its `pid` counter).
    pub fn continue_after(&mut self, pid: u16) {
        self.last_pid = pid;
    }

    /// The next packet id that is not in flight, or `None` if
    /// [`Tables::limit`] exchanges are in flight. Ids run 1..=65535 and wrap.
    pub fn next_pid(&mut self) -> Option<Pid> {
        let taken = self.lens.out_len();
        if taken >= self.tables.limit() {
            return None;
        }
        // `taken` ids are in flight, so at most `taken` + 1 candidates are tried.
        for _ in 0..=taken {
            let candidate = Pid::new(self.last_pid).map_or(Pid::FIRST, Pid::next);
            self.last_pid = candidate.get();
            if self.find(candidate).is_none() {
                return Some(candidate);
            }
        }
        None
    }

    /// A PUBLISH with `pid` was sent; its ack is due by `deadline` (`None`:
    /// no limit). QoS 0 publishes are not tracked (this does nothing).
    pub fn start_publish(
        &mut self,
        pid: Pid,
        qos: QoS,
        deadline: Option<Instant>,
    ) -> Result<(), SessionError> {
        let awaiting = match qos {
            QoS::AtMostOnce => return Ok(()),
            QoS::AtLeastOnce => Awaiting::PubAck,
            #[cfg(feature = "qos2")]
            QoS::ExactlyOnce => Awaiting::PubRec,
            #[cfg(not(feature = "qos2"))]
            QoS::ExactlyOnce => return Err(SessionError::Unsupported),
        };
        self.insert(pid, awaiting, deadline)
    }

    /// A PUBLISH with `pid` is being sent again with DUP set (after a
    /// reconnect on a resumed session, §4.4); its ack is now due by
    /// `deadline`. Returns whether the PUBLISH must be sent:
    /// - `pid` awaits the publish's first ack at this QoS (PUBACK, PUBREC):
    ///   the deadline is renewed, `Ok(true)`;
    /// - a QoS 2 `pid` already got its PUBREC (awaits PUBCOMP): the PUBLISH
    ///   must not be sent again (the PUBREL is), `Ok(false)`;
    /// - `pid` is not in flight (e.g. its deadline passed): it is tracked as
    ///   a new publish, `Ok(true)`;
    /// - `pid` is in flight for something else (another QoS, a subscribe):
    ///   [`SessionError::PidInUse`]. QoS 0 is never tracked: `Ok(true)`.
    pub fn resend_publish(
        &mut self,
        pid: Pid,
        qos: QoS,
        deadline: Option<Instant>,
    ) -> Result<bool, SessionError> {
        Ok(self.start_or_resend(pid, qos, deadline, true)?.is_some())
    }

    /// [`Session::resend_publish`] (`resend`), saying also whether `pid`
    /// was in flight: `Some(true)` resent, `Some(false)` newly tracked,
    /// `None` not to be sent (one lookup of `pid` for the client's
    /// `track_publish`); without `resend`, [`Session::start_publish`]
    /// (`Some(false)`): one body, one `insert` call, for both.
    // Inlined without QoS 2: its one caller in the firmware
    // (`Client::track_publish`) then sees that `Ok(None)` and `Unsupported`
    // never come, and their paths fold away (78 B of rv32imc).
    #[cfg_attr(not(feature = "qos2"), inline(always))]
    pub(crate) fn start_or_resend(
        &mut self,
        pid: Pid,
        qos: QoS,
        deadline: Option<Instant>,
        resend: bool,
    ) -> Result<Option<bool>, SessionError> {
        let awaiting = match qos {
            QoS::AtMostOnce => return Ok(Some(false)),
            QoS::AtLeastOnce => Awaiting::PubAck,
            #[cfg(feature = "qos2")]
            QoS::ExactlyOnce => Awaiting::PubRec,
            #[cfg(not(feature = "qos2"))]
            QoS::ExactlyOnce => return Err(SessionError::Unsupported),
        };
        // A new publish: `insert` looks `pid` up (PidInUse if in flight).
        let found = if resend { self.find(pid) } else { None };
        let Some(index) = found else {
            self.insert(pid, awaiting, deadline)?;
            return Ok(Some(false));
        };
        let entry = self
            .lens
            .out_get_mut(self.tables.rows_mut(), index)
            .ok_or(SessionError::PidInUse)?;
        match (entry.awaiting, qos) {
            (current, _) if current == awaiting => {
                entry.deadline = deadline;
                Ok(Some(true))
            }
            #[cfg(feature = "qos2")]
            (Awaiting::PubComp, QoS::ExactlyOnce) => Ok(None),
            _ => Err(SessionError::PidInUse),
        }
    }

    /// A SUBSCRIBE with `filters` filters was sent.
    pub fn start_subscribe(
        &mut self,
        pid: Pid,
        filters: u16,
        deadline: Option<Instant>,
    ) -> Result<(), SessionError> {
        self.insert(pid, Awaiting::SubAck { filters }, deadline)
    }

    /// An UNSUBSCRIBE was sent.
    pub fn start_unsubscribe(
        &mut self,
        pid: Pid,
        deadline: Option<Instant>,
    ) -> Result<(), SessionError> {
        self.insert(pid, Awaiting::UnsubAck, deadline)
    }

    /// Sets the deadline of `pid`, adding it as a [`Awaiting::Tracked`]
    /// entry if it is not in flight (simple2's `rcv_pids[pid] = deadline`).
    pub fn track(&mut self, pid: Pid, deadline: Option<Instant>) -> Result<(), SessionError> {
        match self.find(pid) {
            Some(index) => {
                if let Some(entry) = self.lens.out_get_mut(self.tables.rows_mut(), index) {
                    entry.deadline = deadline;
                }
                Ok(())
            }
            None => self.insert(pid, Awaiting::Tracked, deadline),
        }
    }

    /// Removes `pid` from the in-flight table; returns what it awaited and
    /// its deadline.
    pub fn forget(&mut self, pid: Pid) -> Option<(Awaiting, Option<Instant>)> {
        let index = self.find(pid)?;
        let entry = self.lens.out_remove(self.tables.rows_mut(), index)?;
        Some((entry.awaiting, entry.deadline))
    }

    /// What `pid` awaits and its deadline, if it is in flight.
    pub fn in_flight(&self, pid: Pid) -> Option<(Awaiting, Option<Instant>)> {
        let entry = self.lens.out_get(self.rows(), self.find(pid)?)?;
        Some((entry.awaiting, entry.deadline))
    }

    /// Whether `pid` is in flight: `in_flight(pid).is_some()` in one lookup
    /// (the broker's Receive Maximum check of a resend).
    #[cfg(feature = "mqtt5")]
    pub(crate) fn is_in_flight(&self, pid: Pid) -> bool {
        self.find(pid).is_some()
    }

    /// The in-flight exchanges, oldest first: id, what it awaits, deadline.
    pub fn in_flight_iter(&self) -> impl Iterator<Item = (Pid, Awaiting, Option<Instant>)> + '_ {
        self.lens
            .out(self.rows())
            .map(|e| (e.pid, e.awaiting, e.deadline))
    }

    /// The `index`-th in-flight exchange, oldest first (what
    /// [`Session::in_flight_iter`] yields at `index`, looked up directly).
    pub fn in_flight_at(&self, index: usize) -> Option<(Pid, Awaiting, Option<Instant>)> {
        let e = self.lens.out_get(self.rows(), index)?;
        Some((e.pid, e.awaiting, e.deadline))
    }

    /// How many outgoing exchanges are in flight.
    pub fn in_flight_len(&self) -> usize {
        self.lens.out_len()
    }

    /// Forgets every outgoing exchange (simple2's `rcv_pids.clear()`).
    pub fn clear_in_flight(&mut self) {
        self.lens.out_clear();
    }

    /// Handles a packet received at `now`.
    pub fn handle_packet<'a>(
        &mut self,
        now: Instant,
        packet: Packet<'a>,
    ) -> Result<Event<'a>, ProtocolError> {
        let _ = now;
        let packet_type = packet.packet_type();
        if self.awaiting_connack {
            return match packet {
                Packet::ConnAck(ack) => {
                    self.awaiting_connack = false;
                    Ok(Event::Connected(ack))
                }
                _ => Err(ProtocolError::UnexpectedPacket(packet_type)),
            };
        }
        match packet {
            #[cfg(feature = "qos2")]
            Packet::Publish(publish) => Ok(if self.handle_publish(&publish)? {
                Event::Duplicate(publish)
            } else {
                Event::Message(publish)
            }),
            #[cfg(not(feature = "qos2"))]
            Packet::Publish(publish) => {
                self.handle_publish(&publish)?;
                Ok(Event::Message(publish))
            }
            #[cfg(feature = "qos2")]
            Packet::PubRel(PubRel { pid }) => {
                self.handle_pubrel(pid)?;
                Ok(Event::Released(pid))
            }
            #[cfg(feature = "qos2")]
            Packet::PubRec(PubRec { pid }) | Packet::PubComp(PubComp { pid }) => {
                self.handle_ack(packet_type, pid, &[], false)
            }
            Packet::PubAck(PubAck { pid }) | Packet::UnsubAck(UnsubAck { pid }) => {
                self.handle_ack(packet_type, pid, &[], false)
            }
            Packet::SubAck(ack) => self.handle_ack(packet_type, ack.pid, ack.return_codes, false),
            Packet::PingResp(_) => Ok(Event::Pong),
            Packet::Connect(_)
            | Packet::ConnAck(_)
            | Packet::Subscribe(_)
            | Packet::Unsubscribe(_)
            | Packet::PingReq(_)
            | Packet::Disconnect(_)
            | Packet::Auth(_) => Err(ProtocolError::UnexpectedPacket(packet_type)),
            #[cfg(not(feature = "qos2"))]
            Packet::PubRec(_) | Packet::PubRel(_) | Packet::PubComp(_) => {
                Err(ProtocolError::UnexpectedPacket(packet_type))
            }
        }
    }

    /// Whether the CONNACK is still awaited: until it comes, any other
    /// packet is [`ProtocolError::UnexpectedPacket`].
    pub(crate) fn awaiting_connack(&self) -> bool {
        self.awaiting_connack
    }

    /// A CONNACK arrived: whether it was awaited (it no longer is).
    pub(crate) fn take_connack(&mut self) -> bool {
        core::mem::replace(&mut self.awaiting_connack, false)
    }

    /// A PUBREL for `pid` arrived (the CONNACK came): its PUBCOMP is queued.
    // Always inlined, as `handle_publish`: the firmware calls each once
    // (`Client::handle_frame`), and LLVM kept them out of line (80 B more).
    #[inline(always)]
    #[cfg(feature = "qos2")]
    pub(crate) fn handle_pubrel(&mut self, pid: Pid) -> Result<(), ProtocolError> {
        // PUBCOMP is due even for an id we no longer hold (§4.3.3):
        // the broker may resend PUBREL after a reconnect.
        self.lens.inbound_remove(self.tables.rows_mut(), pid);
        self.queue(Transmit::PubComp(pid))
    }

    /// A PUBACK, PUBREC, PUBCOMP, SUBACK (with its `return_codes`) or
    /// UNSUBACK for `pid` arrived (the CONNACK came): the event it makes.
    /// `refused`: a PUBACK or PUBREC with an error reason (MQTT 5), as
    /// [`Session::handle_refused_ack`] (one lookup of `pid` for both).
    // `Client::handle_frame` calls it once for every ack, and LLVM inlines
    // it there by itself (forcing it made the MQTT 5 receive path grow).
    pub(crate) fn handle_ack<'a>(
        &mut self,
        packet_type: PacketType,
        pid: Pid,
        return_codes: &'a [u8],
        refused: bool,
    ) -> Result<Event<'a>, ProtocolError> {
        // One path for every ack: its exchange, else it is stale.
        let Some(index) = self.find(pid) else {
            return Ok(Event::UnknownAck { packet_type, pid });
        };
        if refused {
            return self.refuse(index, packet_type, pid);
        }
        #[cfg(feature = "qos2")]
        if packet_type == PacketType::PubRec {
            let entry = self
                .lens
                .out_get_mut(self.tables.rows_mut(), index)
                .ok_or(ProtocolError::UnexpectedPacket(packet_type))?;
            // A repeated PUBREC (the broker did not get our PUBREL,
            // e.g. across a reconnect) is answered with PUBREL again.
            if !matches!(entry.awaiting, Awaiting::PubRec | Awaiting::PubComp) {
                return Err(ProtocolError::WrongAck { packet_type, pid });
            }
            entry.awaiting = Awaiting::PubComp;
            self.queue(Transmit::PubRel(pid))?;
            return Ok(Event::Received(pid));
        }
        Ok(match self.complete(index, pid, packet_type)? {
            Awaiting::SubAck { filters } if usize::from(filters) != return_codes.len() => {
                return Err(ProtocolError::SubAckCount)
            }
            _ if packet_type == PacketType::SubAck => Event::Subscribed { pid, return_codes },
            _ if packet_type == PacketType::UnsubAck => Event::Unsubscribed(pid),
            #[cfg(feature = "qos2")]
            _ if packet_type == PacketType::PubComp => Event::Delivered {
                pid,
                qos: QoS::ExactlyOnce,
            },
            _ => Event::Delivered {
                pid,
                qos: QoS::AtLeastOnce,
            },
        })
    }

    /// The application has the message `Event::Message` announced: queue
    /// its PUBACK (QoS 1) or PUBREC (QoS 2). Nothing for QoS 0. (Without
    /// feature `ack-queue` there is no queue: the driver sends the PUBACK
    /// itself, see `Client::accept_now`.)
    #[cfg(any(test, feature = "ack-queue"))]
    pub fn accept_message(&mut self, qos_pid: QosPid) -> Result<(), ProtocolError> {
        match qos_pid {
            QosPid::AtMostOnce => Ok(()),
            QosPid::AtLeastOnce(pid) => self.queue(Transmit::PubAck(pid)),
            // Never reported as a message ([`Session::handle_publish`]).
            #[cfg(not(feature = "qos2"))]
            QosPid::ExactlyOnce(_) => Err(ProtocolError::UnexpectedPacket(PacketType::Publish)),
            #[cfg(feature = "qos2")]
            QosPid::ExactlyOnce(pid) => {
                if !self.lens.inbound_contains(self.rows(), pid)
                    && !self.lens.inbound_push(self.tables.rows_mut(), pid)
                {
                    return Err(ProtocolError::TooManyInFlight);
                }
                self.queue(Transmit::PubRec(pid))
            }
        }
    }

    /// The ack [`Session::poll_transmit`] would return next, left queued (a
    /// non-blocking sender checks it has room before taking it).
    #[cfg(any(test, feature = "ack-queue"))]
    pub fn peek_transmit(&self) -> Option<Transmit> {
        self.lens.tx_front(self.rows())
    }

    /// The next ack to send, oldest first.
    #[cfg(any(test, feature = "ack-queue"))]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.lens.tx_pop(self.tables.rows_mut())
    }

    /// Removes and returns one exchange whose deadline has passed at `now`.
    pub fn poll_expired(&mut self, now: Instant) -> Option<(Pid, Awaiting)> {
        let index = self
            .lens
            .out(self.rows())
            .position(|e| e.deadline.is_some_and(|d| now.ms_since(d) >= 0))?;
        let entry = self.lens.out_remove(self.tables.rows_mut(), index)?;
        Some((entry.pid, entry.awaiting))
    }

    // `extern "C"` (called from Rust only): its two-word result comes back in
    // two registers on rv32, not through a stack slot (Rust ABI).
    #[allow(improper_ctypes_definitions)]
    extern "C" fn find(&self, pid: Pid) -> Option<usize> {
        self.lens.out(self.rows()).position(|e| e.pid == pid)
    }

    fn insert(
        &mut self,
        pid: Pid,
        awaiting: Awaiting,
        deadline: Option<Instant>,
    ) -> Result<(), SessionError> {
        if self.find(pid).is_some() {
            return Err(SessionError::PidInUse);
        }
        let entry = Outbound {
            pid,
            awaiting,
            deadline,
        };
        if self.lens.out_push(self.tables.rows_mut(), entry) {
            Ok(())
        } else {
            Err(SessionError::Full)
        }
    }

    /// Removes exchange `index` (`pid`), which a PUBACK, PUBCOMP, SUBACK or
    /// UNSUBACK completes, and returns what it awaited.
    fn complete(
        &mut self,
        index: usize,
        pid: Pid,
        packet_type: PacketType,
    ) -> Result<Awaiting, ProtocolError> {
        let awaiting = self.lens.out_get(self.rows(), index).map(|e| e.awaiting);
        let fits = match (packet_type, awaiting) {
            (PacketType::PubAck, Some(Awaiting::PubAck | Awaiting::Tracked))
            | (PacketType::SubAck, Some(Awaiting::SubAck { .. } | Awaiting::Tracked))
            | (PacketType::UnsubAck, Some(Awaiting::UnsubAck)) => true,
            #[cfg(feature = "qos2")]
            (PacketType::PubComp, Some(Awaiting::PubComp)) => true,
            _ => false,
        };
        match awaiting {
            Some(awaiting) if fits => {
                self.lens.out_remove(self.tables.rows_mut(), index);
                Ok(awaiting)
            }
            _ => Err(ProtocolError::WrongAck { packet_type, pid }),
        }
    }

    /// A PUBLISH arrived (the CONNACK came): `Ok(true)` if it is a QoS 2
    /// message already delivered and not yet released (its PUBREC is
    /// queued again), `Ok(false)` for a new message. Without feature
    /// `qos2` a QoS 2 PUBLISH is [`ProtocolError::UnexpectedPacket`].
    #[inline(always)]
    pub(crate) fn handle_publish(&mut self, publish: &Publish<'_>) -> Result<bool, ProtocolError> {
        // An MQTT 5 topic given by alias only must be resolved before it
        // gets here (limits::TopicAliases); never deliver an empty topic.
        if publish.topic.as_bytes().is_empty() {
            return Err(ProtocolError::UnexpectedPacket(PacketType::Publish));
        }
        #[cfg(not(feature = "qos2"))]
        if let QosPid::ExactlyOnce(_) = publish.qos_pid {
            return Err(ProtocolError::UnexpectedPacket(PacketType::Publish));
        }
        #[cfg(feature = "qos2")]
        if let QosPid::ExactlyOnce(pid) = publish.qos_pid {
            if self.lens.inbound_contains(self.rows(), pid) {
                self.queue(Transmit::PubRec(pid))?;
                return Ok(true);
            }
            if self.lens.inbound_is_full(self.rows()) {
                return Err(ProtocolError::TooManyInFlight);
            }
        }
        Ok(false)
    }

    /// Out of line: every ack the session owes goes through here.
    #[inline(never)]
    #[cfg(any(test, feature = "ack-queue"))]
    fn queue(&mut self, transmit: Transmit) -> Result<(), ProtocolError> {
        if self.lens.tx_push(self.tables.rows_mut(), transmit) {
            Ok(())
        } else {
            Err(ProtocolError::TooManyInFlight)
        }
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
