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
//! Capacities are fixed by the const parameter `N`: at most `N` outgoing
//! exchanges (QoS 1/2 publishes, subscribes, unsubscribes) and `N` incoming
//! QoS 2 messages awaiting PUBREL. About `12 * N + 8 * N` bytes.

use core::fmt;

use heapless::{Deque, Vec};

use crate::codec::{ConnAck, EncodeError, Packet, PubAck, PubComp, PubRec, PubRel, Publish};
use crate::time::Instant;
use crate::types::{PacketType, Pid, QoS, QosPid};

/// A good default for `N`: the in-flight limit of most embedded clients.
pub const DEFAULT_CAPACITY: usize = 32;

/// The acknowledgement an outgoing exchange waits for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Awaiting {
    /// A QoS 1 PUBLISH was sent.
    PubAck,
    /// A QoS 2 PUBLISH was sent.
    PubRec,
    /// A PUBREL was sent (QoS 2, second half).
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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Outbound {
    pid: Pid,
    awaiting: Awaiting,
    deadline: Option<Instant>,
}

/// A control packet the session wants sent, from [`Session::poll_transmit`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Transmit {
    /// Acknowledges a QoS 1 message.
    PubAck(Pid),
    /// First acknowledgement of a QoS 2 message.
    PubRec(Pid),
    /// Releases a QoS 2 message we published.
    PubRel(Pid),
    /// Completes a QoS 2 message we received.
    PubComp(Pid),
}

impl Transmit {
    /// The packet to send.
    pub fn packet(self) -> Packet<'static> {
        match self {
            Transmit::PubAck(pid) => Packet::PubAck(PubAck { pid }),
            Transmit::PubRec(pid) => Packet::PubRec(PubRec { pid }),
            Transmit::PubRel(pid) => Packet::PubRel(PubRel { pid }),
            Transmit::PubComp(pid) => Packet::PubComp(PubComp { pid }),
        }
    }

    /// Encodes the packet (4 bytes) into `buf`.
    pub fn encode(self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        self.packet().encode(buf)
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
    Duplicate(Publish<'a>),
    /// Our QoS 1 (PUBACK) or QoS 2 (PUBCOMP) publish, or a tracked id, is done.
    Delivered {
        /// The publish's id.
        pid: Pid,
        /// Its QoS.
        qos: QoS,
    },
    /// PUBREC for our QoS 2 publish: PUBREL is queued, PUBCOMP awaited.
    Received(Pid),
    /// PUBREL for a QoS 2 message we received: PUBCOMP is queued.
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
    /// CONNACK we did not ask for, or anything before the CONNACK.
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
    /// More than `N` QoS 2 messages awaiting PUBREL, or more than `N` acks queued.
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
    /// `N` exchanges are already in flight.
    Full,
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SessionError::PidInUse => "packet id already in flight",
            SessionError::Full => "in-flight table full",
        })
    }
}

/// Client session state for one broker; see the module docs.
#[derive(Clone, Debug)]
pub struct Session<const N: usize> {
    outbound: Vec<Outbound, N>,
    /// QoS 2 messages received and acknowledged with PUBREC, awaiting PUBREL.
    inbound_qos2: Vec<Pid, N>,
    transmit: Deque<Transmit, N>,
    last_pid: u16,
    awaiting_connack: bool,
}

impl<const N: usize> Default for Session<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Session<N> {
    /// An empty session.
    pub const fn new() -> Session<N> {
        Session {
            outbound: Vec::new(),
            inbound_qos2: Vec::new(),
            transmit: Deque::new(),
            last_pid: 0,
            awaiting_connack: false,
        }
    }

    /// Forgets everything in flight in both directions (a clean session).
    pub fn clear(&mut self) {
        self.outbound.clear();
        self.inbound_qos2.clear();
        self.transmit.clear();
    }

    /// The connection is gone. In-flight state is kept for a resumed session;
    /// queued acks are dropped.
    pub fn handle_disconnect(&mut self) {
        self.transmit.clear();
        self.awaiting_connack = false;
    }

    /// A CONNECT was sent. A clean session forgets all in-flight state; a
    /// resumed one queues PUBREL again for QoS 2 publishes that were
    /// released but not completed (§4.4).
    pub fn handle_connect(&mut self, clean_session: bool) {
        self.handle_disconnect();
        if clean_session {
            self.clear();
        } else {
            for entry in &self.outbound {
                if entry.awaiting == Awaiting::PubComp {
                    // Capacity equals the table's: this cannot fail.
                    let _ = self.transmit.push_back(Transmit::PubRel(entry.pid));
                }
            }
        }
        self.awaiting_connack = true;
    }

    /// QoS 1/2 publishes sent and not yet acknowledged: what an MQTT 5
    /// broker's Receive Maximum limits (§4.9).
    pub fn publishes_in_flight(&self) -> usize {
        self.outbound
            .iter()
            .filter(|e| {
                matches!(
                    e.awaiting,
                    Awaiting::PubAck | Awaiting::PubRec | Awaiting::PubComp
                )
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
        let awaiting = self.outbound.get(index).map(|e| e.awaiting);
        let fits = matches!(
            (packet_type, awaiting),
            (
                PacketType::PubAck,
                Some(Awaiting::PubAck | Awaiting::Tracked)
            ) | (PacketType::PubRec, Some(Awaiting::PubRec))
        );
        if !fits {
            return Err(ProtocolError::WrongAck { packet_type, pid });
        }
        self.outbound.remove(index);
        Ok(Event::Refused { packet_type, pid })
    }

    /// Makes [`Session::next_pid`] continue after `pid` (micropython-lib's
    /// umqtt.simple lets the application set its `pid` counter).
    pub fn continue_after(&mut self, pid: u16) {
        self.last_pid = pid;
    }

    /// The next packet id that is not in flight, or `None` if `N` exchanges
    /// are in flight. Ids run 1..=65535 and wrap.
    pub fn next_pid(&mut self) -> Option<Pid> {
        if self.outbound.is_full() {
            return None;
        }
        // At most N ids are taken, so at most N + 1 candidates are tried.
        for _ in 0..=N {
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
            QoS::ExactlyOnce => Awaiting::PubRec,
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
        let awaiting = match qos {
            QoS::AtMostOnce => return Ok(true),
            QoS::AtLeastOnce => Awaiting::PubAck,
            QoS::ExactlyOnce => Awaiting::PubRec,
        };
        let Some(index) = self.find(pid) else {
            self.insert(pid, awaiting, deadline)?;
            return Ok(true);
        };
        let entry = self.outbound.get_mut(index).ok_or(SessionError::PidInUse)?;
        match (entry.awaiting, qos) {
            (current, _) if current == awaiting => {
                entry.deadline = deadline;
                Ok(true)
            }
            (Awaiting::PubComp, QoS::ExactlyOnce) => Ok(false),
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
                if let Some(entry) = self.outbound.get_mut(index) {
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
        let entry = self.outbound.remove(index);
        Some((entry.awaiting, entry.deadline))
    }

    /// What `pid` awaits and its deadline, if it is in flight.
    pub fn in_flight(&self, pid: Pid) -> Option<(Awaiting, Option<Instant>)> {
        let entry = self.outbound.get(self.find(pid)?)?;
        Some((entry.awaiting, entry.deadline))
    }

    /// The in-flight exchanges, oldest first: id, what it awaits, deadline.
    pub fn in_flight_iter(&self) -> impl Iterator<Item = (Pid, Awaiting, Option<Instant>)> + '_ {
        self.outbound
            .iter()
            .map(|e| (e.pid, e.awaiting, e.deadline))
    }

    /// How many outgoing exchanges are in flight.
    pub fn in_flight_len(&self) -> usize {
        self.outbound.len()
    }

    /// Forgets every outgoing exchange (simple2's `rcv_pids.clear()`).
    pub fn clear_in_flight(&mut self) {
        self.outbound.clear();
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
            Packet::Publish(publish) => self.handle_publish(publish),
            Packet::PubAck(PubAck { pid }) => match self.complete(pid, packet_type)? {
                Some(_) => Ok(Event::Delivered {
                    pid,
                    qos: QoS::AtLeastOnce,
                }),
                None => Ok(Event::UnknownAck { packet_type, pid }),
            },
            Packet::PubRec(PubRec { pid }) => match self.find(pid) {
                Some(index) => {
                    let entry = self
                        .outbound
                        .get_mut(index)
                        .ok_or(ProtocolError::UnexpectedPacket(packet_type))?;
                    // A repeated PUBREC (the broker did not get our PUBREL,
                    // e.g. across a reconnect) is answered with PUBREL again.
                    if !matches!(entry.awaiting, Awaiting::PubRec | Awaiting::PubComp) {
                        return Err(ProtocolError::WrongAck { packet_type, pid });
                    }
                    entry.awaiting = Awaiting::PubComp;
                    self.queue(Transmit::PubRel(pid))?;
                    Ok(Event::Received(pid))
                }
                None => Ok(Event::UnknownAck { packet_type, pid }),
            },
            Packet::PubComp(PubComp { pid }) => match self.complete(pid, packet_type)? {
                Some(_) => Ok(Event::Delivered {
                    pid,
                    qos: QoS::ExactlyOnce,
                }),
                None => Ok(Event::UnknownAck { packet_type, pid }),
            },
            Packet::PubRel(PubRel { pid }) => {
                // PUBCOMP is due even for an id we no longer hold (§4.3.3):
                // the broker may resend PUBREL after a reconnect.
                if let Some(index) = self.inbound_qos2.iter().position(|p| *p == pid) {
                    self.inbound_qos2.remove(index);
                }
                self.queue(Transmit::PubComp(pid))?;
                Ok(Event::Released(pid))
            }
            Packet::SubAck(ack) => {
                let pid = ack.pid;
                match self.complete(pid, packet_type)? {
                    Some(Awaiting::SubAck { filters })
                        if usize::from(filters) != ack.return_codes.len() =>
                    {
                        Err(ProtocolError::SubAckCount)
                    }
                    Some(_) => Ok(Event::Subscribed {
                        pid,
                        return_codes: ack.return_codes,
                    }),
                    None => Ok(Event::UnknownAck { packet_type, pid }),
                }
            }
            Packet::UnsubAck(ack) => match self.complete(ack.pid, packet_type)? {
                Some(_) => Ok(Event::Unsubscribed(ack.pid)),
                None => Ok(Event::UnknownAck {
                    packet_type,
                    pid: ack.pid,
                }),
            },
            Packet::PingResp(_) => Ok(Event::Pong),
            Packet::Connect(_)
            | Packet::ConnAck(_)
            | Packet::Subscribe(_)
            | Packet::Unsubscribe(_)
            | Packet::PingReq(_)
            | Packet::Disconnect(_)
            | Packet::Auth(_) => Err(ProtocolError::UnexpectedPacket(packet_type)),
        }
    }

    /// The application has the message `Event::Message` announced: queue
    /// its PUBACK (QoS 1) or PUBREC (QoS 2). Nothing for QoS 0.
    pub fn accept_message(&mut self, qos_pid: QosPid) -> Result<(), ProtocolError> {
        match qos_pid {
            QosPid::AtMostOnce => Ok(()),
            QosPid::AtLeastOnce(pid) => self.queue(Transmit::PubAck(pid)),
            QosPid::ExactlyOnce(pid) => {
                if !self.inbound_qos2.contains(&pid) {
                    self.inbound_qos2
                        .push(pid)
                        .map_err(|_| ProtocolError::TooManyInFlight)?;
                }
                self.queue(Transmit::PubRec(pid))
            }
        }
    }

    /// The ack [`Session::poll_transmit`] would return next, left queued (a
    /// non-blocking sender checks it has room before taking it).
    pub fn peek_transmit(&self) -> Option<Transmit> {
        self.transmit.front().copied()
    }

    /// The next ack to send, oldest first.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmit.pop_front()
    }

    /// Removes and returns one exchange whose deadline has passed at `now`.
    pub fn poll_expired(&mut self, now: Instant) -> Option<(Pid, Awaiting)> {
        let index = self
            .outbound
            .iter()
            .position(|e| e.deadline.is_some_and(|d| now.ms_since(d) >= 0))?;
        let entry = self.outbound.remove(index);
        Some((entry.pid, entry.awaiting))
    }

    fn find(&self, pid: Pid) -> Option<usize> {
        self.outbound.iter().position(|e| e.pid == pid)
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
        self.outbound
            .push(Outbound {
                pid,
                awaiting,
                deadline,
            })
            .map_err(|_| SessionError::Full)
    }

    /// Removes the exchange a PUBACK, PUBCOMP, SUBACK or UNSUBACK completes.
    fn complete(
        &mut self,
        pid: Pid,
        packet_type: PacketType,
    ) -> Result<Option<Awaiting>, ProtocolError> {
        let Some(index) = self.find(pid) else {
            return Ok(None);
        };
        let awaiting = self.outbound.get(index).map(|e| e.awaiting);
        let fits = matches!(
            (packet_type, awaiting),
            (
                PacketType::PubAck,
                Some(Awaiting::PubAck | Awaiting::Tracked)
            ) | (PacketType::PubComp, Some(Awaiting::PubComp))
                | (
                    PacketType::SubAck,
                    Some(Awaiting::SubAck { .. } | Awaiting::Tracked)
                )
                | (PacketType::UnsubAck, Some(Awaiting::UnsubAck))
        );
        if !fits {
            return Err(ProtocolError::WrongAck { packet_type, pid });
        }
        self.outbound.remove(index);
        Ok(awaiting)
    }

    fn handle_publish<'a>(&mut self, publish: Publish<'a>) -> Result<Event<'a>, ProtocolError> {
        // An MQTT 5 topic given by alias only must be resolved before it
        // gets here (limits::TopicAliases); never deliver an empty topic.
        if publish.topic.as_bytes().is_empty() {
            return Err(ProtocolError::UnexpectedPacket(PacketType::Publish));
        }
        if let QosPid::ExactlyOnce(pid) = publish.qos_pid {
            if self.inbound_qos2.contains(&pid) {
                self.queue(Transmit::PubRec(pid))?;
                return Ok(Event::Duplicate(publish));
            }
            if self.inbound_qos2.is_full() {
                return Err(ProtocolError::TooManyInFlight);
            }
        }
        Ok(Event::Message(publish))
    }

    fn queue(&mut self, transmit: Transmit) -> Result<(), ProtocolError> {
        self.transmit
            .push_back(transmit)
            .map_err(|_| ProtocolError::TooManyInFlight)
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
